package token

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// endpointProvider is oauthProvider with an address its secrets are sent
// to (an Endpoint field, as a Token URL is) and a key pair it publishes.
func endpointProvider() provider.Provider {
	p := oauthProvider()
	p.Fields = append(p.Fields,
		provider.Field{Key: "token_url", Label: "Token URL", Control: provider.Text, Credential: true, Endpoint: true},
		// Addresses added in a later release: tokens saved before have
		// no stored value for them.
		provider.Field{Key: "api_base", Label: "API Base URL", Control: provider.Text, Credential: true, Endpoint: true},
		provider.Field{Key: "region", Label: "Region", Control: provider.Select, Credential: true, Endpoint: true,
			DefaultWhenMissing: true, Default: "us", Options: []provider.Option{{Value: "us"}, {Value: "eu"}}},
		provider.Field{Key: KeyIDField, Control: provider.Text},
		provider.Field{Key: SigningMethodField, Control: provider.Select},
	)
	p.Generate = func(values map[string]string) (map[string]string, error) {
		if values["private_key"] != "" {
			return nil, nil
		}
		return map[string]string{"private_key": "new key"}, nil
	}
	p.PublicKeys = func(values map[string]string) (provider.PublishedKeys, bool) {
		if values["private_key"] == "" {
			return provider.PublishedKeys{}, false
		}
		return provider.PublishedKeys{JWKS: []byte(`{"keys":[]}`)}, true
	}
	p.KeyPublished = func(values map[string]string, kid string) bool { return kid == "old-kid" }
	p.Tokens.Answer = []string{"api_url"} // what the service said with its grant
	p.Keys = &provider.KeyPairs{KeyID: KeyIDField, Method: SigningMethodField, SharedMethod: "hs384"}
	return p
}

// The values endpointProvider keeps its signing key's identity in.
const (
	KeyIDField         = "key_id"
	SigningMethodField = "signing_method"
)

// Save decides a form's change from the token as the write read it: no
// value is read anywhere else, and what it refuses or drops follows from
// the stored values alone.
func TestSave(t *testing.T) {
	p := endpointProvider()
	stored := map[string]string{"api_key": "key-1", "secret": "stored secret", "token": "at", "refresh": "rt", "api_url": "https://old.example/api",
		"token_url": "https://old.example/token", "private_key": "stored key", KeyIDField: "kid-1", SigningMethodField: "rs384"}
	edit := func(values map[string]string) Input {
		in := input(map[string]string{"token_url": "https://old.example/token", KeyIDField: "kid-1", SigningMethodField: "rs384"})
		for k, v := range values {
			in.Values[k] = v
		}
		return in
	}
	cur := &Current{Token: Token{ID: 7, Provider: p.ID}, Values: stored}
	tests := []struct {
		name      string
		form      Form
		cur       *Current
		refused   []string // fields refused, in order
		clear     []string
		newKeys   bool
		keepsKeys bool
		moved     string // the address that dropped the stored access token
	}{
		{name: "a new token makes its key pair", form: Form{Input: input(map[string]string{"secret": "s", "token_url": "https://x.example"})},
			newKeys: true},
		{name: "an edit keeps the stored key pair", form: Form{Input: edit(nil)}, cur: cur, keepsKeys: true},
		{name: "a moved endpoint asks for the stored secret again", form: Form{Input: edit(map[string]string{"token_url": "https://new.example/token"})},
			cur: cur, refused: []string{"secret"}},
		{name: "a moved endpoint with the secret typed drops the stored grant",
			form: Form{Input: edit(map[string]string{"token_url": "https://new.example/token", "secret": "typed"})}, cur: cur,
			clear: []string{"refresh", "token", "api_url"}, moved: "Token URL"},
		{name: "a moved endpoint with the secret kept from before drops the stored grant",
			form: Form{Input: edit(map[string]string{"token_url": "https://new.example/token"}), Kept: map[string]string{"secret": "kept"}}, cur: cur,
			clear: []string{"refresh", "token", "api_url"}, moved: "Token URL"},
		{name: "a moved endpoint keeps an access token typed with it",
			form: Form{Input: edit(map[string]string{"token_url": "https://new.example/token", "secret": "typed", "token": "typed at"})}, cur: cur,
			clear: []string{"refresh", "api_url"}},
		{name: "an edit that moves no endpoint keeps the stored grant",
			form: Form{Input: edit(map[string]string{"secret": "typed"})}, cur: cur, keepsKeys: true},
		{name: "a moved endpoint with a new grant keeps the grant's refresh token",
			form: Form{Input: edit(map[string]string{"token_url": "https://new.example/token", "secret": "typed"}), Grant: &provider.Grant{AccessToken: "a2", RefreshToken: "r2"}}, cur: cur},
		{name: "an address typed where none was stored asks for the stored secret again",
			form: Form{Input: edit(map[string]string{"api_base": "https://typed.example"})}, cur: cur, refused: []string{"secret"}},
		{name: "an address typed where none was stored drops the stored grant",
			form: Form{Input: edit(map[string]string{"api_base": "https://typed.example", "secret": "typed"})}, cur: cur,
			clear: []string{"refresh", "token", "api_url"}, moved: "API Base URL"},
		{name: "a select's default where none was stored moves nothing",
			form: Form{Input: edit(map[string]string{"region": "us"})}, cur: cur, keepsKeys: true},
		{name: "another choice where none was stored moves the address",
			form: Form{Input: edit(map[string]string{"region": "eu", "secret": "typed"})}, cur: cur,
			clear: []string{"refresh", "token", "api_url"}, moved: "Region"},
		{name: "a registered key's ID is not changed in place", form: Form{Input: edit(map[string]string{KeyIDField: "kid-2"})}, cur: cur,
			refused: []string{KeyIDField}},
		{name: "nor its signing method", form: Form{Input: edit(map[string]string{SigningMethodField: "es384"})}, cur: cur,
			refused: []string{SigningMethodField}},
		{name: "HS384 replaces no key pair", form: Form{Input: edit(map[string]string{SigningMethodField: "hs384"})}, cur: cur, keepsKeys: true},
		{name: "the key pair's fields are refused first", form: Form{Input: edit(map[string]string{"token_url": "https://new.example/token", KeyIDField: "old-kid"})}, cur: cur,
			refused: []string{KeyIDField}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := Save(p, tt.form, tt.cur)
			errs := RefusedFields(err)
			if got := slices.Sorted(maps.Keys(errs)); !slices.Equal(got, tt.refused) {
				t.Fatalf("refused %v (%v), want %v", got, errs, tt.refused)
			}
			if tt.refused != nil {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ch.Clear, tt.clear) {
				t.Errorf("clears %v, want %v", ch.Clear, tt.clear)
			}
			if ch.Moved != tt.moved {
				t.Errorf("Moved %q, want %q", ch.Moved, tt.moved)
			}
			if ch.NewKeyPair != tt.newKeys {
				t.Errorf("NewKeyPair %v, want %v", ch.NewKeyPair, tt.newKeys)
			}
			if _, replaced := ch.Set["private_key"]; tt.keepsKeys && replaced {
				t.Errorf("the stored key pair was replaced: %v", ch.Fields())
			}
		})
	}
}

// A key edit is decided from the values the write read: the stored
// values it leaves and the key set it publishes.
func TestKeyEdit(t *testing.T) {
	p := endpointProvider()
	cur := Current{Token: Token{ID: 3, Provider: p.ID, Name: "Lab", Rate: "1h"}, Values: map[string]string{"private_key": "k1", KeyAwaiting: "1"}}
	var saw map[string]string
	ch, err := KeyEdit(p, cur, func(values map[string]string) (map[string]string, error) {
		saw = values
		return map[string]string{"private_key": "k2", KeyAwaiting: ""}, nil
	})
	if err != nil || saw["private_key"] != "k1" {
		t.Fatalf("edit saw %v: %v", saw, err)
	}
	if ch.Name != "Lab" || ch.Set["private_key"] != "k2" || !slices.Equal(ch.Clear, []string{KeyAwaiting}) || !ch.Publish || !ch.Renewable {
		t.Fatalf("key edit %+v", ch)
	}
	ch, _ = KeyEdit(p, cur, func(map[string]string) (map[string]string, error) { return map[string]string{"private_key": "k2"}, nil })
	if ch.Renewable {
		t.Fatal("a key still awaiting registration is scheduled")
	}
	refused := &Refused{Errs: FieldErrors{KeyIDField: "taken"}}
	if _, err := KeyEdit(p, cur, func(map[string]string) (map[string]string, error) { return nil, refused }); err != refused {
		t.Fatalf("refusal came back as %v", err)
	}
}

// An import replacing a token decides from the token as read, as the
// form does: a moved endpoint drops the secrets the file does not carry.
func TestImportReplace(t *testing.T) {
	p := endpointProvider()
	cur := Current{Token: Token{ID: 3}, Values: map[string]string{"secret": "stored", "refresh": "rt", "token": "at", "api_url": "https://old.example/api",
		"token_url": "https://old.example", "private_key": "k"}}
	in := importInput(map[string]string{"api_key": "k", "token_url": "https://new.example"})
	ch, err := ImportReplace(p, Import{Input: in}, cur)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.NeedsSecret || ch.Renewable || !slices.Contains(ch.Clear, "secret") || !slices.Contains(ch.Clear, "refresh") {
		t.Fatalf("replacement at a new address %+v", ch)
	}
	// The access token obtained at the old address, and what the service
	// said with it, stay behind as well.
	for _, k := range []string{"token", "api_url"} {
		if _, set := ch.Set[k]; set || !slices.Contains(ch.Clear, k) {
			t.Errorf("replacement at a new address keeps %s: %+v", k, ch)
		}
	}
	if ch.Moved != "Token URL" {
		t.Errorf("Moved %q", ch.Moved)
	}
	// At the same address they stay.
	in.Values["token_url"] = "https://old.example"
	if ch, _ = ImportReplace(p, Import{Input: in}, cur); slices.Contains(ch.Clear, "token") || ch.Moved != "" {
		t.Errorf("replacement at the same address %+v", ch)
	}
	// A file that names an address the token never stored (saved before
	// the field existed) moves it as well.
	in.Values["api_base"] = "https://typed.example"
	if ch, _ = ImportReplace(p, Import{Input: in}, cur); !ch.NeedsSecret || !slices.Contains(ch.Clear, "token") || ch.Moved != "API Base URL" {
		t.Errorf("replacement with a first API Base URL %+v", ch)
	}
}

// The renewal policy, table-tested without a database: what an edit, a
// grant and a failed renewal do to a token's renewal state.
func TestAfterEdit(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	renewed := Renewal{LastRenewedAt: now.Add(-10 * time.Minute), ExpiresAt: now.Add(50 * time.Minute)}
	planned := NextRenewal("1h", true, renewed.LastRenewedAt, renewed.ExpiresAt, now)
	tests := []struct {
		name          string
		before, after Renewal
		rate          string
		renewable     bool
		changed       bool
		want          Reschedule
	}{
		{name: "nothing changed: the plan stays", after: renewed, rate: "1h", renewable: true},
		{name: "a change replans", after: renewed, rate: "1h", renewable: true, changed: true, want: Reschedule{Set: true, NextAt: planned}},
		{name: "Disabled: none planned", after: renewed, rate: Disabled, renewable: true, changed: true, want: Reschedule{Set: true}},
		{name: "waiting to be reconnected: none planned", after: Renewal{NeedsReconnect: true, LastRenewedAt: renewed.LastRenewedAt}, rate: "1h", renewable: true, changed: true,
			want: Reschedule{Set: true}},
		{name: "failing: retried now", before: Renewal{Failures: 1}, after: renewed, rate: "1h", renewable: true, changed: true, want: Reschedule{Set: true, NextAt: now}},
		{name: "failing and Disabled: not retried", before: Renewal{Failures: 1}, after: renewed, rate: Disabled, renewable: true, changed: true, want: Reschedule{Set: true}},
		{name: "stopped, saved unchanged: restarts now", before: Renewal{Failures: 9, AttentionSince: now.Add(-time.Hour)}, after: renewed, rate: "1h", renewable: true,
			want: Reschedule{Restart: true, Set: true, NextAt: now}},
		{name: "stopped, saved Disabled: restarts, none planned", before: Renewal{Failures: 9, AttentionSince: now.Add(-time.Hour)}, after: renewed, rate: Disabled, renewable: true,
			want: Reschedule{Restart: true, Set: true}},
		{name: "stopped, a provider that renews nothing", before: Renewal{AttentionSince: now}, after: renewed, rate: "1h", changed: true, want: Reschedule{Restart: true, Set: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AfterEdit(tt.before, tt.after, tt.rate, tt.renewable, tt.changed, now); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAfterGrant(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	exp, rexp := now.Add(time.Hour), now.Add(90*24*time.Hour)
	grant := func(refresh string) Change {
		g := &provider.Grant{AccessToken: "a", RefreshToken: refresh, ExpiresAt: exp}
		if refresh != "" {
			g.RefreshExpiresAt = rexp
		}
		return Change{Grant: g}
	}
	tests := []struct {
		name   string
		before Renewal
		ch     Change
		want   Granted
	}{
		{name: "a first grant", ch: grant(""), want: Granted{ExpiresAt: exp}},
		{name: "a new refresh token brings its end", ch: grant("r"), want: Granted{ExpiresAt: exp, NewRefresh: true, RefreshExpiresAt: rexp}},
		{name: "one failure is no recovery", before: Renewal{Failures: FailingAfter - 1}, ch: grant(""), want: Granted{ExpiresAt: exp}},
		{name: "an announced run of failures recovers", before: Renewal{Failures: FailingAfter}, ch: grant(""), want: Granted{ExpiresAt: exp, Recovered: true}},
		{name: "a stopped renewal recovers", before: Renewal{AttentionSince: now}, ch: grant(""), want: Granted{ExpiresAt: exp, Recovered: true}},
		{name: "no expiry given: the assumed lifetime", ch: Change{Grant: &provider.Grant{AccessToken: "a"}}, want: Granted{ExpiresAt: now.Add(AssumedLifetime)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AfterGrant(tt.before, tt.ch, now); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAfterFailure(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	retry := now.Add(time.Minute)
	planned := Renewal{NextRenewalAt: now}
	tests := []struct {
		name   string
		before Renewal
		since  time.Time
		rate   string
		want   Failed
	}{
		{name: "the first failure begins a run and pages nobody", before: planned, rate: "1h",
			want: Failed{Failures: 1, FailingSince: now, NextAt: retry}},
		{name: "the FailingAfter-th announces", before: Renewal{Failures: FailingAfter - 1, NextRenewalAt: now}, since: now.Add(-time.Hour), rate: "1h",
			want: Failed{Failures: FailingAfter, FailingSince: now.Add(-time.Hour), NextAt: retry, Announce: true}},
		{name: "later ones do not again", before: Renewal{Failures: FailingAfter, NextRenewalAt: now}, since: now.Add(-time.Hour), rate: "1h",
			want: Failed{Failures: FailingAfter + 1, FailingSince: now.Add(-time.Hour), NextAt: retry}},
		{name: "just short of StopAfter", before: Renewal{Failures: 8, NextRenewalAt: now}, since: now.Add(-StopAfter + time.Second), rate: "1h",
			want: Failed{Failures: 9, FailingSince: now.Add(-StopAfter + time.Second), NextAt: retry}},
		{name: "StopAfter stops", before: Renewal{Failures: 8, NextRenewalAt: now}, since: now.Add(-StopAfter), rate: "1h",
			want: Failed{Failures: 9, FailingSince: now.Add(-StopAfter), NextAt: retry, Stop: true}},
		{name: "Disabled never stops", before: Renewal{Failures: 8, NextRenewalAt: now}, since: now.Add(-2 * StopAfter), rate: Disabled,
			want: Failed{Failures: 9, FailingSince: now.Add(-2 * StopAfter), NextAt: retry}},
		{name: "a token not renewed on a schedule gets no retry and never stops", before: Renewal{Failures: 8}, since: now.Add(-2 * StopAfter), rate: "1h",
			want: Failed{Failures: 9, FailingSince: now.Add(-2 * StopAfter)}},
		{name: "Renew now on a stopped token begins a new run, retried", before: Renewal{Failures: 30, AttentionSince: now.Add(-time.Hour)}, since: now.Add(-2 * StopAfter), rate: "1h",
			want: Failed{Failures: 31, FailingSince: now, NextAt: retry}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AfterFailure(tt.before, tt.since, tt.rate, retry, now); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
