package config

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestSMTPURL(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil || c.SMTP != nil {
		t.Fatalf("default: %+v %v, want no e-mail", c.SMTP, err)
	}
	c, err = Load([]string{"--smtp-url", "smtp://mailer:p%40ss@mail.example.com:2525?from=tokendesk@example.com&to=ops@example.com,Ada <ada@example.com>"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := c.SMTP
	if s.Host != "mail.example.com" || s.Port != 2525 || s.Username != "mailer" || s.Password != "p@ss" || s.ImplicitTLS ||
		s.From != "tokendesk@example.com" || !slices.Equal(s.To, []string{"ops@example.com", "ada@example.com"}) {
		t.Fatalf("parsed %+v", s)
	}
	c, _ = Load(nil, env(map[string]string{"TOKENDESK_SMTP_URL": "smtps://mail.example.com?from=t@example.com"}), io.Discard)
	if c.SMTP == nil || c.SMTP.Port != 465 || !c.SMTP.ImplicitTLS {
		t.Fatalf("smtps: %+v", c.SMTP)
	}

	for _, bad := range []string{
		"http://mail.example.com?from=t@example.com",
		"smtp://?from=t@example.com",
		"smtp://u:secretpw@mail.example.com",
		"smtp://u:secretpw@mail.example.com:99999?from=t@example.com",
		"smtp://u:secretpw@mail.example.com?from=t@example.com&to=not an address",
		"smtp://u:secretpw@mail.example.com?from=t@example.com&cc=x@example.com",
	} {
		_, err := Load(nil, env(map[string]string{"TOKENDESK_SMTP_URL": bad}), io.Discard)
		if err == nil {
			t.Fatalf("%s accepted", bad)
		}
		if msg := err.Error(); !strings.Contains(msg, "TOKENDESK_SMTP_URL") || strings.Contains(msg, "secretpw") {
			t.Fatalf("%s: error %q should name the setting and not the password", bad, msg)
		}
	}
}
