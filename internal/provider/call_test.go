package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// A call that runs out of time names the timeout that applied: the 10 s
// default in production, or a short one a test injected.
func TestTimeoutMessageNamesTheTimeout(t *testing.T) {
	for _, tt := range []struct {
		timeout time.Duration
		want    string
	}{
		{DefaultTimeout, "no answer from api.example within 10s"},
		{2500 * time.Millisecond, "no answer from api.example within 3s"},
		{300 * time.Millisecond, "no answer from api.example within 300ms"},
	} {
		t.Run(tt.timeout.String(), func(t *testing.T) {
			err := fmt.Errorf("Post: %w", context.DeadlineExceeded)
			if got := transportProblem(err, "api.example", tt.timeout); got != tt.want {
				t.Fatalf("%q, want %q", got, tt.want)
			}
		})
	}
}

// Retry-After is read in seconds or as an HTTP date and never asks for
// more than MaxRetryAfter: a wait of years, or one that overflows a
// time.Duration, would stop a token's renewals for good.
func TestRetryAfterIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"", DefaultRetryAfter},
		{"30", 30 * time.Second},
		{" 600 ", 10 * time.Minute},
		{"0", 0},
		{"3600", time.Hour},
		{"999999999", MaxRetryAfter},
		{"9300000000", MaxRetryAfter},
		{"99999999999999999999999999", MaxRetryAfter},
		{"-5", DefaultRetryAfter},
		{"soon", DefaultRetryAfter},
		{now.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.AddDate(30, 0, 0).Format(http.TimeFormat), MaxRetryAfter},
	} {
		t.Run(tt.header, func(t *testing.T) {
			ex := Exchange{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {tt.header}}}
			ce := Throttle("Redox", "api.example", ex, now)
			if ce.RetryAfter != tt.want {
				t.Fatalf("Retry-After %q: wait %v, want %v", tt.header, ce.RetryAfter, tt.want)
			}
			if strings.Contains(ce.Message, " h.") {
				t.Fatalf("message %q", ce.Message)
			}
		})
	}
}

// What a provider says is quoted without secrets, on one line, and cut to
// 200 characters between characters, never inside one.
func TestRedactQuotesAProvidersWords(t *testing.T) {
	long := strings.Repeat("é", 300)
	got := Redact(long)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 201 || !strings.HasSuffix(got, "…") {
		t.Fatalf("%d runes, valid %v: %q", utf8.RuneCountInString(got), utf8.ValidString(got), got)
	}
	if got := Redact("bad secret s3cr3t-value\nsent", "s3cr3t-value", "abc"); got != "bad secret [redacted] sent" {
		t.Fatalf("%q", got)
	}
}
