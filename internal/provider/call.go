package provider

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/tokendesk/tokendesk/internal/netguard"
)

// DefaultTimeout bounds every call to a provider.
const DefaultTimeout = 10 * time.Second

// maxBody is the most of a provider's answer that is read.
const maxBody = 1 << 20

// CallError is a failed call to a provider, worded for the person who
// pressed the button. It never carries a response body that could echo a
// secret back.
type CallError struct {
	Service string // "Redox"
	Host    string
	Status  int // 0 when no answer came
	Message string
	// Code is the provider's own error code, where it sends one (Zoom's 124, 4711).
	Code int
	// RetryAfter is how long the provider asked us to wait (HTTP 429).
	RetryAfter time.Duration
}

// Throttled reports whether the provider was limiting requests.
func (e *CallError) Throttled() bool { return e.Status == http.StatusTooManyRequests }

// Refused reports whether the provider answered and turned the request
// down: not a network failure, not a failure of its own (5xx), not
// throttling. Only a refusal says the credentials themselves are wrong.
func (e *CallError) Refused() bool {
	return e.Status >= 400 && e.Status < 500 && !e.Throttled()
}

// DefaultRetryAfter is the wait assumed when a 429 names none.
const DefaultRetryAfter = 30 * time.Second

// MaxRetryAfter bounds the wait a provider may ask for. A Retry-After of
// days (a misconfigured proxy, a typo, a hostile answer) would otherwise
// stop a token's renewals for that long, and a large enough number of
// seconds does not fit a time.Duration at all.
const MaxRetryAfter = time.Hour

// Throttle turns a 429 answer into a CallError naming the wait, from
// Retry-After in seconds or as an HTTP date, at most MaxRetryAfter; nil
// for any other status.
func Throttle(service, host string, ex Exchange, now time.Time) *CallError {
	if ex.Status != http.StatusTooManyRequests {
		return nil
	}
	wait := ParseRetryAfter(ex.Header.Get("Retry-After"), now)
	return &CallError{Service: service, Host: host, Status: ex.Status, RetryAfter: wait,
		Message: fmt.Sprintf("%s is limiting requests; try again in %s.", service, FormatWait(wait))}
}

// ParseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3: a number of
// seconds or an HTTP date) as a wait from now between zero and
// MaxRetryAfter; DefaultRetryAfter when it is missing or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultRetryAfter
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		return time.Duration(min(n, uint64(MaxRetryAfter/time.Second))) * time.Second
	} else if errors.Is(err, strconv.ErrRange) {
		return MaxRetryAfter // all digits, too many of them
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), MaxRetryAfter)
	}
	return DefaultRetryAfter
}

// FormatWait says a wait the way a person reads it: "30 s", "2 min".
func FormatWait(d time.Duration) string {
	switch {
	case d < time.Second:
		return "a moment"
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
	}
	return fmt.Sprintf("%d h", int((d+time.Hour-1)/time.Hour))
}

func (e *CallError) Error() string { return e.Message }

// Exchange is one HTTP request and its answer.
type Exchange struct {
	Status int
	Body   []byte
	Header http.Header
	Step   Step
}

// Do sends req and reads the answer. Transport failures (timeouts,
// refused connections, unknown hosts) come back as *CallError; any HTTP
// status is returned for the caller to interpret.
func Do(ctx context.Context, client *http.Client, service string, req *http.Request) (Exchange, error) {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	timeout := client.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req = req.WithContext(ctx)
	where := req.Method + " " + redactURL(req.URL)
	start := time.Now()
	resp, err := client.Do(req)
	took := time.Since(start)
	if err != nil {
		msg := transportProblem(err, req.URL.Host, timeout)
		return Exchange{Step: Step{Text: where + " → " + msg, Took: took}}, &CallError{Service: service, Host: req.URL.Host, Message: msg}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	took = time.Since(start)
	if err != nil {
		msg := fmt.Sprintf("%s started to answer but the answer was cut off (%s).", service, transportProblem(err, req.URL.Host, timeout))
		return Exchange{Status: resp.StatusCode, Step: Step{Text: where + " → cut off", Took: took}}, &CallError{Service: service, Host: req.URL.Host, Status: resp.StatusCode, Message: msg}
	}
	return Exchange{
		Status: resp.StatusCode, Body: body, Header: resp.Header,
		Step: Step{Text: fmt.Sprintf("%s → HTTP %d", where, resp.StatusCode), OK: resp.StatusCode < 400, Took: took},
	}, nil
}

// transportProblem names what went wrong before any answer came.
func transportProblem(err error, host string, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var tlsErr *tls.CertificateVerificationError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("no answer from %s within %s", host, roundTimeout(timeout))
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	case errors.Is(err, netguard.ErrBlocked):
		return fmt.Sprintf("%s is on this machine or a private network, which tokendesk does not call for a typed URL unless an administrator allows it in Settings", host)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the host %s was not found", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("could not reach %s: connection refused", host)
	case errors.As(err, &tlsErr):
		return fmt.Sprintf("could not reach %s: its TLS certificate is not valid", host)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("%s closed the connection", host)
	}
	return fmt.Sprintf("could not reach %s", host)
}

// roundTimeout says a timeout as it was set: whole seconds, or
// milliseconds for a short one (tests inject those).
func roundTimeout(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// redactURL drops query strings, which some providers accept tokens in.
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.User, c.Fragment = "", nil, ""
	return c.String()
}

// maxQuoted bounds how much of a provider's own text is quoted.
const maxQuoted = 200

// Redact makes text a provider supplied (an error_description, a reason,
// a value it echoed) fit to quote: every secret removed, control
// characters made spaces, and at most maxQuoted characters, cut between
// characters. It is for the provider's part of a message only: applied to
// tokendesk's own sentences it would cut advice short and replace their
// words with [redacted] wherever a secret happens to be a word ("wrong").
func Redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(msg, "\uFFFD"))
	msg = strings.TrimSpace(msg)
	if utf8.RuneCountInString(msg) > maxQuoted {
		msg = string([]rune(msg)[:maxQuoted]) + "…"
	}
	return msg
}

// StatusProblem describes an unexpected HTTP status from service.
func StatusProblem(service string, status int) string {
	if status >= 500 {
		return fmt.Sprintf("%s is failing (HTTP %d). Nothing was changed; try again later.", service, status)
	}
	if status >= 300 && status < 400 {
		// Never followed: a token request carries the client's secret.
		return fmt.Sprintf("%s answered with a redirect (HTTP %d), which tokendesk does not follow: enter the URL it redirects to.", service, status)
	}
	return fmt.Sprintf("%s refused the request (HTTP %d).", service, status)
}
