package web

import (
	"bufio"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/notify"
	"github.com/tokendesk/tokendesk/internal/store"
)

// smtpListener is a tiny SMTP server: it takes every message and keeps it.
type smtpListener struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []smtpMessage
}

type smtpMessage struct {
	From string
	To   []string
	Data string
}

func newSMTPListener(t testing.TB) *smtpListener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpListener{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpListener) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(line string) { conn.Write([]byte(line + "\r\n")) }
	say("220 mail.test ESMTP")
	var m smtpMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-mail.test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m = smtpMessage{From: angled(line)}
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.To = append(m.To, angled(line))
			say("250 OK")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.Data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 OK")
		}
	}
}

// angled is the address between < and > of a MAIL or RCPT command.
func angled(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.IndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

func (s *smtpListener) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

// E-mail: a mailto: endpoint receives its events through TOKENDESK_SMTP_URL.
func TestEmailNotificationsThroughSMTP(t *testing.T) {
	mail := newSMTPListener(t)
	host, port, _ := net.SplitHostPort(mail.ln.Addr().String())
	portN, _ := strconv.Atoi(port)
	server := config.SMTP{Host: host, Port: portN, From: "tokendesk@example.com"}
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.SMTP = &server }))
	ts.dispatcher().Mailer = notify.SMTPMailer{Server: server, Timeout: notify.DefaultTimeout}
	ts.signInAdmin()

	if !strings.Contains(ts.get("/settings/webhooks").text("[data-testid=smtp]"), "tokendesk@example.com") {
		t.Fatal("the page does not say e-mail is set up")
	}
	id, secret := addWebhook(t, ts, "mailto:ops@example.com", store.EventRenewalFailing, store.EventTokenChanged)
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	p := ts.get(webhookURL(id))
	if !strings.Contains(p.Body, "Test event sent: accepted by the mail server for ops@example.com") || p.text("[data-testid=attempt-answer]") != "Sent" {
		t.Fatalf("outcome not shown:\n%s", excerpt(p.Body))
	}

	tokenID := createTestToken(t, ts, "Lab Feed")
	ts.get("/tokens/" + itoa(tokenID))
	form := redoxForm("Lab Feed")
	form.Set("description", "edited")
	form.Set("version", "1")
	wantRedirect(t, ts.post("/tokens/"+itoa(tokenID), form), "/tokens")
	ts.deliver()

	msgs := mail.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails sent", len(msgs))
	}
	changed := msgs[1]
	if changed.From != "tokendesk@example.com" || len(changed.To) != 1 || changed.To[0] != "ops@example.com" ||
		!strings.Contains(changed.Data, "Subject: tokendesk: token.changed - Lab Feed") || !strings.Contains(changed.Data, "Token: Lab Feed (global, redox)") {
		t.Fatalf("e-mail:\n%+v", changed)
	}
	for _, m := range msgs {
		body, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.Data)))
		if !strings.Contains(string(body), `"type":"`) {
			t.Fatalf("e-mail body not decoded: %s", body)
		}
		for _, s := range []string{redoxSecret, secret} {
			if strings.Contains(string(body), s) {
				t.Fatal("an e-mail carries a secret")
			}
		}
	}
}

// Without TOKENDESK_SMTP_URL a mailto: endpoint is a field error.
func TestMailtoNeedsAMailServer(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/settings/webhooks")
	p := ts.post("/settings/webhooks", url.Values{"url": {"mailto:ops@example.com"}, "event": {store.EventTokenChanged}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=error-url]"), "TOKENDESK_SMTP_URL") {
		t.Fatalf("error %q", p.text("[data-testid=error-url]"))
	}
}
