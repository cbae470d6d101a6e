package oauth

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// A grant is timed by tokendesk's clock, keeps only the answer values its
// preset names, and knows when its refresh token runs out: from the
// service's refresh_token_expires_in, else the preset's known lifetime; a
// refresh token handed back unchanged keeps what is stored.
func TestGrantFromTheTokenAnswer(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	box := client{preset: Preset{RefreshLifetime: 60 * day, Keep: []string{KeyInstanceURL}}}
	answer := func(extra map[string]any) *oauth2.Token {
		return (&oauth2.Token{AccessToken: "at-1", RefreshToken: "rt-2"}).WithExtra(extra)
	}

	g := box.grant(answer(map[string]any{"expires_in": 3600.0, "instance_url": "https://na1.example", "api_url": "https://api.example"}), nil, "rt-1", at)
	if !g.ExpiresAt.Equal(at.Add(time.Hour)) || !g.RefreshExpiresAt.Equal(at.Add(60*day)) || g.RefreshToken != "rt-2" {
		t.Fatalf("grant %+v", g)
	}
	if g.Extra[KeyInstanceURL] != "https://na1.example" || g.Extra[KeyAPIURL] != "" {
		t.Fatalf("kept %v", g.Extra)
	}

	g = box.grant(answer(map[string]any{"expires_in": "7200", "refresh_token_expires_in": 86400.0}), nil, "rt-1", at)
	if !g.ExpiresAt.Equal(at.Add(2*time.Hour)) || !g.RefreshExpiresAt.Equal(at.Add(day)) {
		t.Fatalf("the service's own lifetimes: %+v", g)
	}

	g = box.grant(answer(nil), nil, "rt-2", at)
	if g.RefreshToken != "" || !g.RefreshExpiresAt.IsZero() || !g.ExpiresAt.IsZero() {
		t.Fatalf("an unchanged refresh token: %+v", g)
	}
}

func TestAdditionalParameters(t *testing.T) {
	got, err := parseParams("access_type=offline\n\n prompt = consent \nempty=")
	if err != nil || len(got) != 3 || got[1] != [2]string{"prompt", "consent"} || got[2] != [2]string{"empty", ""} {
		t.Fatalf("%v %v", got, err)
	}
	for in, want := range map[string]string{
		"access_type":                 "Line 1 is not name=value",
		"a=b\n=c":                     "Line 2 is not name=value",
		"state=abc":                   "tokendesk sets itself",
		"code_challenge_method=plain": "tokendesk sets itself",
	} {
		if _, err := parseParams(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%q: %v", in, err)
		}
	}
}
