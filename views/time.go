package views

import (
	"fmt"
	"time"
)

// When formats a time for people.
func When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// Ago says how long before now t was ("3 hours ago"), for lists where the
// exact time (When, shown on hover) matters less than its age.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = Plural(int(d/time.Minute), "minute", "minutes")
	case d < 24*time.Hour:
		s = Plural(int(d/time.Hour), "hour", "hours")
	case d < 60*24*time.Hour:
		s = Plural(int(d/(24*time.Hour)), "day", "days")
	default:
		return t.UTC().Format("2006-01-02")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Exact is t to the second, for a time's hover text.
func Exact(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ISO is t for machines (the datetime attribute a script reads).
func ISO(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Plural counts n things: "1 app", "2 apps".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Agree picks the words that agree with n: one for 1, many otherwise
// ("its access token", "their access tokens").
func Agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
