// Package notify tells people about their tokens: it delivers the events
// the store queues (its outbox) to webhook endpoints, signed as the
// Standard Webhooks specification says, retrying with backoff for a day.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/tokendesk/tokendesk/internal/jobs"
	"github.com/tokendesk/tokendesk/internal/netguard"
	"github.com/tokendesk/tokendesk/internal/store"
)

// Delivery rules.
const (
	// GiveUpAfter: a delivery not accepted within a day of its event fails for good.
	GiveUpAfter = 24 * time.Hour
	// BackoffStart is the first retry's wait; it doubles up to BackoffMax.
	BackoffStart = 30 * time.Second
	BackoffMax   = time.Hour
	// DefaultTimeout bounds one attempt: connecting, sending, the answer.
	DefaultTimeout = 10 * time.Second
	// ExpiringWithin: token.expiring is sent this long before an access
	// token with nothing to renew it runs out.
	ExpiringWithin = 15 * time.Minute

	defaultParallel = 4
	defaultBatch    = 32
	defaultLease    = time.Minute
	defaultPoll     = 5 * time.Second
	excerptLen      = 200
)

// Dispatcher delivers queued events. Create it with New; Run it in a goroutine.
type Dispatcher struct {
	store  *store.Store
	logger *slog.Logger
	// Clock tells the time; Jitter returns [0,1). Tests make both predictable.
	Clock  jobs.Clock
	Jitter func() float64
	Owner  string
	// Parallel bounds the deliveries under way at once.
	Parallel int
	Batch    int
	Lease    time.Duration
	Poll     time.Duration
	// Client sends the requests: no redirects followed, private targets
	// refused unless the setting allows them (see NewClient).
	Client *http.Client
	// Mailer sends mailto: endpoints' events; nil when e-mail is not set up.
	Mailer Mailer

	wake jobs.Waker
}

// New returns a dispatcher with the defaults.
func New(st *store.Store, logger *slog.Logger) *Dispatcher {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return &Dispatcher{
		store: st, logger: logger, Clock: jobs.RealClock{}, Jitter: mrand.Float64,
		Owner:    fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b),
		Parallel: defaultParallel, Batch: defaultBatch, Lease: defaultLease, Poll: defaultPoll,
		Client: NewClient(DefaultTimeout), wake: jobs.NewWaker(),
	}
}

// NewSecret is a new endpoint secret in the Standard Webhooks form: whsec_
// and 32 random bytes in base64.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// CheckURL says what is wrong with an endpoint URL ("" when nothing is).
// mailOK: e-mail is set up, so mailto: URLs are endpoints too.
func CheckURL(raw string, mailOK bool) string {
	if raw == "" {
		return "Enter the URL that receives the notifications, such as https://example.com/hooks/tokendesk."
	}
	if len(raw) > 2000 || !utf8.ValidString(raw) {
		return "The URL must be at most 2,000 characters of text."
	}
	if to, isMail := mailRecipients(raw); isMail {
		switch {
		case !mailOK:
			return "E-mail is not set up on this server (TOKENDESK_SMTP_URL); use an http:// or https:// URL."
		case len(to) == 0:
			return "Write e-mail endpoints as mailto:ops@example.com (several addresses separated by commas)."
		}
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "Enter a full http:// or https:// URL, such as https://example.com/hooks/tokendesk."
	}
	if u.User != nil {
		return "Put no user name or password in the URL: the endpoint checks the signature instead."
	}
	if u.Fragment != "" {
		return "Remove the #fragment: it is never sent to the endpoint."
	}
	return ""
}

// ErrPrivateTarget: the endpoint resolved to an address on this machine or
// a private network, which the setting does not allow.
var ErrPrivateTarget = errors.New("the endpoint's address is loopback, private or link-local; turn on “" + SettingLabel + "” under Settings → Notifications to send there")

type allowPrivateKey struct{}

// NewClient is the HTTP client for deliveries: one timeout for the whole
// attempt, no proxy from the environment, redirects never followed (a 3xx
// is a failed attempt: a signed body is not re-sent to wherever a
// redirect points), and every connection's address checked by netguard
// as it is made (so a name that resolves, or later re-resolves, to a
// private address is refused too) unless the request's context allows
// private targets.
func NewClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       time.Minute,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		allow, _ := ctx.Value(allowPrivateKey{}).(bool)
		d := &net.Dialer{Timeout: timeout}
		if !allow {
			d.Control = func(network, address string, c syscall.RawConn) error {
				if netguard.Control(network, address, c) != nil {
					return ErrPrivateTarget
				}
				return nil
			}
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Timeout:       timeout,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Wake makes a sleeping dispatcher look for due deliveries now.
func (d *Dispatcher) Wake() { d.wake.Wake() }

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.logger.Error("delivering notifications", "err", err)
		}
		next, err := d.store.NextDelivery(ctx)
		if err != nil {
			next = time.Time{}
		}
		d.wake.Sleep(ctx, d.Clock, next, d.Poll)
	}
}

// RunOnce queues token.expiring for tokens about to run out, then makes
// one attempt at every delivery due now, Parallel at a time, and waits for
// them. It returns how many it attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	if _, err := d.store.NoticeExpiring(ctx, d.Clock.Now(), ExpiringWithin); err != nil {
		return 0, err
	}
	return jobs.RunBatches(d.Batch, d.Parallel,
		func() ([]store.Delivery, error) {
			return d.store.ClaimDeliveries(ctx, d.Owner, d.Clock.Now(), d.Lease, d.Batch)
		},
		func(c store.Delivery) {
			if _, err := d.attempt(ctx, c); err != nil {
				d.logger.Warn("recording a webhook attempt", "delivery_id", c.ID, "err", err)
			}
		})
}

// DeliverNow makes one attempt at delivery id at once (Send test event)
// and returns it; a test event is never retried.
func (d *Dispatcher) DeliverNow(ctx context.Context, id int64) (store.Attempt, error) {
	c, err := d.store.ClaimDelivery(ctx, id, d.Owner, d.Clock.Now(), d.Lease)
	if err != nil {
		return store.Attempt{}, err
	}
	return d.attempt(ctx, c)
}

// attempt sends one claimed delivery and records the answer and what
// comes next.
func (d *Dispatcher) attempt(ctx context.Context, c store.Delivery) (store.Attempt, error) {
	allow, err := d.store.GetSetting(ctx, store.SettingWebhooksAllowPrivate)
	if err != nil {
		return store.Attempt{}, err
	}
	start := d.Clock.Now()
	var a store.Attempt
	var retryAfter time.Duration
	if to, isMail := mailRecipients(c.URL); isMail {
		sendCtx, cancel := context.WithTimeout(ctx, DefaultTimeout)
		began := time.Now()
		var err error
		a.Excerpt, err = d.sendMail(sendCtx, to, eventToSend{c.Event, c.Body})
		cancel()
		a.Duration = time.Since(began)
		if err != nil {
			a.Error = err.Error()
		}
	} else {
		a, retryAfter = d.send(context.WithValue(ctx, allowPrivateKey{}, allow == "true"), c, start)
	}
	a.At = start
	if ctx.Err() != nil {
		// Shutting down: not the receiver's failure. The lease runs out
		// and the delivery is tried again.
		return a, ctx.Err()
	}
	state, next := store.DeliveryDelivered, time.Time{}
	switch {
	case a.Accepted():
	case c.Event == store.EventTest:
		// A test asks "does this endpoint work now?": its one answer is
		// the result. Retried, it would arrive hours later, unasked.
		state = store.DeliveryFailed
	default:
		state, next = d.retry(c, start, retryAfter)
	}
	d.logger.Info("webhook attempt", "webhook_id", c.WebhookID, "delivery_id", c.ID, "event", c.Event,
		"status", a.Status, "problem", a.Error, "state", state, "next", next)
	return a, d.store.RecordAttempt(context.WithoutCancel(ctx), c, a, state, next)
}

// retry decides when to try a failed delivery again: after the backoff
// (30 s doubling to an hour, ±20 %), never sooner than the receiver's
// Retry-After, and not at all once a day has passed since the event.
func (d *Dispatcher) retry(c store.Delivery, now time.Time, retryAfter time.Duration) (string, time.Time) {
	wait := BackoffStart
	for i := 0; i < c.Attempts && wait < BackoffMax; i++ {
		wait *= 2
	}
	wait = time.Duration(float64(min(wait, BackoffMax)) * (0.8 + 0.4*d.Jitter()))
	wait = max(wait, retryAfter)
	next := now.Add(wait)
	if next.Sub(c.CreatedAt) > GiveUpAfter {
		return store.DeliveryFailed, time.Time{}
	}
	return store.DeliveryPending, next
}

// send makes the request and reads the answer's start.
func (d *Dispatcher) send(ctx context.Context, c store.Delivery, at time.Time) (store.Attempt, time.Duration) {
	var a store.Attempt
	wh, err := standardwebhooks.NewWebhook(c.Secret)
	if err != nil {
		a.Error = "the endpoint's secret is unreadable; rotate it"
		return a, 0
	}
	sig, err := wh.Sign(c.MsgID, at, []byte(c.Body))
	if err != nil {
		a.Error = "signing failed"
		return a, 0
	}
	if c.PreviousSecret != "" {
		// For a day after Rotate secret, a signature under the old secret
		// too: Standard Webhooks receivers accept a delivery when any of
		// the space-separated signatures verifies.
		if old, err := standardwebhooks.NewWebhook(c.PreviousSecret); err == nil {
			if oldSig, err := old.Sign(c.MsgID, at, []byte(c.Body)); err == nil {
				sig += " " + oldSig
			}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(c.Body))
	if err != nil {
		a.Error = "the URL cannot be requested"
		return a, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tokendesk-webhooks")
	req.Header.Set(standardwebhooks.HeaderWebhookID, c.MsgID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	began := time.Now() // the wall clock: how long the receiver took
	resp, err := d.Client.Do(req)
	a.Duration = time.Since(began)
	if err != nil {
		a.Error = describe(err)
		return a, 0
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4*excerptLen))
	a.Status, a.Excerpt = resp.StatusCode, excerpt(head)
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = "redirects are not followed; give the endpoint's final URL"
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return a, parseRetryAfter(resp.Header.Get("Retry-After"), at)
	}
	return a, 0
}

// describe says why an attempt got no answer, without the URL's query.
func describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrPrivateTarget):
		return ErrPrivateTarget.Error()
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "no answer in time (timed out)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "the host name does not resolve"
	}
	return "the request failed before an answer (network or TLS error)"
}

// excerpt is the start of an answer, as text, for the endpoint's page.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > excerptLen {
		r := []rune(s)
		s = string(r[:excerptLen]) + "…"
	}
	return s
}

// parseRetryAfter reads Retry-After (seconds or an HTTP date) as a wait,
// at most GiveUpAfter (beyond it the delivery gives up anyway).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return time.Duration(min(n, uint64(GiveUpAfter/time.Second))) * time.Second
	} else if errors.Is(err, strconv.ErrRange) {
		return GiveUpAfter
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), GiveUpAfter)
	}
	return 0
}

// TimeFrom is jobs.TimeFrom: a clock that reads the time from now and
// waits on the wall clock.
func TimeFrom(now func() time.Time) jobs.Clock { return jobs.TimeFrom(now) }
