package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/store"
	gomail "github.com/wneessen/go-mail"
)

// An endpoint whose URL is mailto:address[,address…] receives its events
// by e-mail through TOKENDESK_SMTP_URL, with the same outbox, retries and
// attempt list as a webhook.
const mailtoScheme = "mailto:"

// Mailer sends one e-mail; SMTPMailer is the real one.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// SMTPMailer sends through the server of TOKENDESK_SMTP_URL with go-mail
// (STARTTLS when offered, or TLS from the start for smtps://; the
// mechanism the server offers for authentication; proper MIME headers):
// net/smtp is frozen and leaves all of that to its callers.
type SMTPMailer struct {
	Server  config.SMTP
	Timeout time.Duration
}

// Send sends one plain-text message.
func (m SMTPMailer) Send(ctx context.Context, to []string, subject, body string) error {
	msg := gomail.NewMsg()
	if err := msg.From(m.Server.From); err != nil {
		return fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(to...); err != nil {
		return fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(subject)
	msg.SetBodyString(gomail.TypeTextPlain, body)
	opts := []gomail.Option{gomail.WithPort(m.Server.Port), gomail.WithTimeout(m.Timeout)}
	if m.Server.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.Server.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.Server.Username), gomail.WithPassword(m.Server.Password))
	}
	c, err := gomail.NewClient(m.Server.Host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// mailRecipients are the addresses of a mailto: URL (nil, false if it is none).
func mailRecipients(raw string) ([]string, bool) {
	if !strings.HasPrefix(strings.ToLower(raw), mailtoScheme) {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, true
	}
	list, err := mail.ParseAddressList(strings.ReplaceAll(u.Opaque, "%20", " "))
	if err != nil {
		return nil, true
	}
	var out []string
	for _, a := range list {
		if !slices.Contains(out, a.Address) {
			out = append(out, a.Address)
		}
	}
	return out, true
}

// MailtoURL is the endpoint URL for e-mail to addresses.
func MailtoURL(addresses []string) string { return mailtoScheme + strings.Join(addresses, ",") }

// mailMessage is what an event says in an e-mail: a line a person reads
// at a glance, then the event as the webhook body has it.
func mailMessage(event, body string) (string, string) {
	var ev struct {
		Data map[string]any `json:"data"`
	}
	json.Unmarshal([]byte(body), &ev)
	str := func(k string) string { s, _ := ev.Data[k].(string); return s }
	subject := "tokendesk: " + event
	if name := str("name"); name != "" {
		subject += " - " + name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Event: %s\n", event)
	if name := str("name"); name != "" {
		scope := str("scope")
		if app := str("app"); app != "" {
			scope = "app " + app
		}
		fmt.Fprintf(&b, "Token: %s (%s, %s)\n", name, scope, str("provider"))
		fmt.Fprintf(&b, "Status: %s\n", str("status"))
	}
	if e := str("error"); e != "" {
		fmt.Fprintf(&b, "Last error: %s\n", e)
	}
	if m := str("message"); m != "" {
		fmt.Fprintf(&b, "%s\n", m)
	}
	fmt.Fprintf(&b, "\nThe event as webhooks receive it:\n%s\n", body)
	return subject, b.String()
}

// ErrNoMailServer: a mailto: endpoint, but TOKENDESK_SMTP_URL is not set.
var ErrNoMailServer = errors.New("e-mail is not set up: set TOKENDESK_SMTP_URL")

// sendMail delivers c by e-mail. Success has no HTTP status; the answer
// says the mail server accepted it.
func (d *Dispatcher) sendMail(ctx context.Context, to []string, c eventToSend) (string, error) {
	if d.Mailer == nil {
		return "", ErrNoMailServer
	}
	subject, body := mailMessage(c.event, c.body)
	if err := d.Mailer.Send(ctx, to, subject, body); err != nil {
		msg := err.Error()
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return "", errors.New("the mail server did not take it: " + strings.ToValidUTF8(msg, "?"))
	}
	return "accepted by the mail server for " + strings.Join(to, ", "), nil
}

type eventToSend struct{ event, body string }

// MailAlerts are the events the e-mail endpoint of TOKENDESK_SMTP_URL's
// to= receives: the alerts, not every edit.
var MailAlerts = []string{"renewal.failing", "renewal.recovered", "renewal.stopped", "token.expiring", "token.needs_reconnect"}

// EnsureMailEndpoint adds the e-mail endpoint for to (TOKENDESK_SMTP_URL's
// to=) unless one exists: once added, it is managed on the page like any other.
func EnsureMailEndpoint(ctx context.Context, st *store.Store, to []string) error {
	u := MailtoURL(to)
	hooks, err := st.Webhooks(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if h.URL == u {
			return nil
		}
	}
	_, err = st.CreateWebhook(ctx, u, MailAlerts, NewSecret(), "TOKENDESK_SMTP_URL")
	return err
}
