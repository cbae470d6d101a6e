package token

import "time"

// Rate is a documented Renewal Rate choice.
type Rate struct {
	Key   string
	Label string
	// every is the fixed interval; zero for calendar rates and Disabled.
	every time.Duration
	// next computes a calendar rate's next run after t.
	next func(t time.Time) time.Time
}

// Disabled is the rate that never renews.
const Disabled = "disabled"

// Rates is the full documented list, in the documented order.
var Rates = []Rate{
	{Key: Disabled, Label: "Disabled"},
	{Key: "15m", Label: "Every 15 minutes", every: 15 * time.Minute},
	{Key: "30m", Label: "Every half an hour", every: 30 * time.Minute},
	{Key: "1h", Label: "Every hour", every: time.Hour},
	{Key: "2h", Label: "Every 2 hours", every: 2 * time.Hour},
	{Key: "4h", Label: "Every 4 hours", every: 4 * time.Hour},
	{Key: "6h", Label: "Every 6 hours", every: 6 * time.Hour},
	{Key: "8h", Label: "Every 8 hours", every: 8 * time.Hour},
	{Key: "12h", Label: "Every half day", every: 12 * time.Hour},
	{Key: "daily-midnight", Label: "Once a day at midnight", next: atHour(0, 1)},
	{Key: "daily-noon", Label: "Once a day at noon", next: atHour(12, 1)},
	{Key: "other-day-midnight", Label: "Every other day at midnight", next: atHour(0, 2)},
	{Key: "sunday-midnight", Label: "Every Sunday at midnight", next: sundayMidnight},
}

// RateByKey finds a rate.
func RateByKey(key string) (Rate, bool) {
	for _, r := range Rates {
		if r.Key == key {
			return r, true
		}
	}
	return Rate{}, false
}

// RateLabel is the documented label of key ("Disabled" for unknown keys).
func RateLabel(key string) string {
	if r, ok := RateByKey(key); ok {
		return r.Label
	}
	return "Disabled"
}

// Next returns when a token renewed at last is next due; zero for Disabled.
func (r Rate) Next(last time.Time) time.Time {
	switch {
	case r.every > 0:
		return last.Add(r.every)
	case r.next != nil:
		return r.next(last)
	}
	return time.Time{}
}

// Interval is the longest time between two renewals at this rate; zero for
// Disabled. Backoff after failures is capped at it.
func (r Rate) Interval() time.Duration {
	switch {
	case r.every > 0:
		return r.every
	case r.Key == "other-day-midnight":
		return 48 * time.Hour
	case r.Key == "sunday-midnight":
		return 7 * 24 * time.Hour
	case r.next != nil:
		return 24 * time.Hour
	}
	return 0
}

// atHour runs at hour:00 (in t's location) every `days` days.
func atHour(hour, days int) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		y, m, d := t.Date()
		at := time.Date(y, m, d, hour, 0, 0, 0, t.Location())
		for !at.After(t) {
			at = at.AddDate(0, 0, 1)
		}
		if days > 1 {
			at = at.AddDate(0, 0, days-1)
		}
		return at
	}
}

func sundayMidnight(t time.Time) time.Time {
	y, m, d := t.Date()
	at := time.Date(y, m, d, 0, 0, 0, 0, t.Location())
	for !at.After(t) || at.Weekday() != time.Sunday {
		at = at.AddDate(0, 0, 1)
	}
	return at
}
