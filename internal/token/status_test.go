package token

import (
	"testing"
	"time"
)

// Statuses is the one declaration of the statuses a token can be in:
// whatever renewal state a token is in, Status names a declared one (or
// shows one as it declares: "Reconnect within 3 days"), and every
// declared status but the retirement (known by provider, not by state)
// is reached by some state. Names, tones and the runtime API's codes are
// read from the declaration, so they are checked here once.
func TestStatusIsAlwaysADeclaredOne(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	times := []time.Time{{}, now.Add(-time.Hour), now, now.Add(5 * time.Minute), now.Add(2 * time.Hour), now.Add(3 * 24 * time.Hour), now.Add(30 * 24 * time.Hour)}
	reached := map[string]bool{}
	for _, rate := range []string{"", Disabled, "1h"} {
		for _, exp := range times {
			for _, next := range times {
				for _, refresh := range times {
					for flags := range 16 {
						r := Renewal{ExpiresAt: exp, NextRenewalAt: next, RefreshExpiresAt: refresh,
							Failures: flags & 1, NeedsReconnect: flags&2 != 0, NeedsSecret: flags&4 != 0}
						if flags&8 != 0 {
							r.AttentionSince = now.Add(-time.Hour)
						}
						got := Status(rate, r, now)
						def, ok := StatusByName(got)
						if !ok {
							t.Fatalf("%q (rate %q, %+v) is no declared status", got, rate, r)
						}
						reached[def.Name] = true
					}
				}
			}
		}
	}
	names := map[string]bool{}
	for _, s := range Statuses {
		if names[s.Name] {
			t.Errorf("%q is declared twice", s.Name)
		}
		names[s.Name] = true
		if s.Tone == ToneNone {
			t.Errorf("%q has no badge colour", s.Name)
		}
		if s.Unusable != (s.Code != "") {
			t.Errorf("%q: unusable %v but API code %q", s.Name, s.Unusable, s.Code)
		}
		if !reached[s.Name] && s.Name != StatusRetired {
			t.Errorf("no renewal state is %q", s.Name)
		}
		if StatusTone(s.Name) != s.Tone || StatusCode(s.Name) != s.Code {
			t.Errorf("%q is not read from its declaration", s.Name)
		}
	}
}
