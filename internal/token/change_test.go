package token

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// oauthProvider is a provider shaped like Redox: an API key and secret, an
// optional access token that a button or the worker obtains with a refresh
// token beside it.
func oauthProvider() provider.Provider {
	return provider.Provider{
		ID: "test",
		Fields: []provider.Field{
			provider.NameField(""),
			provider.DescriptionField(),
			{Key: "api_key", Control: provider.Text, Required: true, Credential: true},
			{Key: "secret", Control: provider.Password, Required: true, Secret: true, Credential: true},
			{Key: "token", Control: provider.Password, Secret: true, Credential: true},
			{Key: "get", Control: provider.Button, Action: "get"},
			RenewalRateField("1h", Disabled, "1h"),
			provider.EncryptField(""),
		},
		Tokens: provider.TokenFields{Access: "token", Refresh: "refresh"},
		Renew: func(context.Context, provider.Env, map[string]string) (provider.Grant, error) {
			return provider.Grant{}, nil
		},
	}
}

func input(values map[string]string, clear ...string) Input {
	in := Input{Values: map[string]string{"name": "Lab Feed", "description": "", "api_key": "key-1", "secret": "",
		"token": "", "renewal_rate": "1h", "encrypt": ""}, Clear: map[string]bool{}}
	for k, v := range values {
		in.Values[k] = v
	}
	for _, k := range clear {
		in.Clear[k] = true
	}
	return in
}

func TestFromForm(t *testing.T) {
	expires := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	obtained := &provider.Grant{AccessToken: "obtained", RefreshToken: "refresh-1", ExpiresAt: expires}
	typedKeepsExpiry := oauthProvider()
	typedKeepsExpiry.Tokens.TypedExpiry = true

	tests := []struct {
		name string
		p    provider.Provider
		form Form
		want Change
	}{
		{
			name: "create stores every value, encrypted unless plain text is allowed",
			form: Form{Input: input(map[string]string{"secret": "s3cret"}), AppID: 7},
			want: Change{AppID: 7, Name: "Lab Feed", Rate: "1h", Encrypted: true,
				Set: map[string]string{"api_key": "key-1", "secret": "s3cret"}},
		},
		{
			name: "an administrator may store plain text",
			form: Form{Input: input(map[string]string{"secret": "s3cret"}), AllowPlain: true},
			want: Change{Name: "Lab Feed", Rate: "1h", Encrypted: false,
				Set: map[string]string{"api_key": "key-1", "secret": "s3cret"}},
		},
		{
			name: "edit with empty secrets keeps the stored ones",
			form: Form{Input: input(nil)},
			want: Change{Name: "Lab Feed", Rate: "1h", Encrypted: true, Set: map[string]string{"api_key": "key-1"}},
		},
		{
			name: "a secret typed in a rejected attempt is saved",
			form: Form{Input: input(nil), Kept: map[string]string{"secret": "typed-before"}},
			want: Change{Name: "Lab Feed", Rate: "1h", Encrypted: true,
				Set: map[string]string{"api_key": "key-1", "secret": "typed-before"}},
		},
		{
			name: "clearing the access token forgets its expiry and refresh token",
			form: Form{Input: input(nil, "token")},
			want: Change{Name: "Lab Feed", Rate: "1h", Encrypted: true, Set: map[string]string{"api_key": "key-1"},
				Clear: []string{"token"}, Forget: []string{"refresh"}, ForgetExpiry: true},
		},
		{
			name: "a hand-typed token drops the expiry and the refresh token, and beats an obtained one",
			form: Form{Input: input(map[string]string{"token": "typed"}), Grant: obtained},
			want: Change{Name: "Lab Feed", Rate: "1h", Encrypted: true,
				Set:    map[string]string{"api_key": "key-1", "token": "typed"},
				Forget: []string{"refresh"}, ForgetExpiry: true},
		},
		{
			name: "a provider whose typed tokens keep their expiry keeps it",
			p:    typedKeepsExpiry,
			form: Form{Input: input(map[string]string{"token": "typed"})},
			want: Change{Name: "Lab Feed", Rate: "1h", Encrypted: true,
				Set:    map[string]string{"api_key": "key-1", "token": "typed"},
				Forget: []string{"refresh"}},
		},
		{
			name: "an obtained grant is stored where the provider keeps it",
			form: Form{Input: input(nil), Grant: obtained},
			want: Change{Name: "Lab Feed", Rate: "1h", Encrypted: true,
				Set:   map[string]string{"api_key": "key-1", "token": "obtained", "refresh": "refresh-1"},
				Grant: obtained},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			if p.ID == "" {
				p = oauthProvider()
			}
			got, err := FromForm(p, tt.form, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Provider, want.Renewable = "test", true
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("change\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

func TestFromFormAddsGeneratedValues(t *testing.T) {
	p := oauthProvider()
	var seen map[string]string
	p.Generate = func(values map[string]string) (map[string]string, error) {
		seen = values
		if values["private_key"] != "" {
			return nil, nil
		}
		return map[string]string{"private_key": "generated"}, nil
	}
	in := input(map[string]string{"secret": "s3cret"})

	ch, err := FromForm(p, Form{Input: in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Set["private_key"] != "generated" || seen["secret"] != "s3cret" {
		t.Fatalf("first save: set %v, generator saw %v", ch.Set, seen)
	}

	// An edit: the stored key pair is seen and kept.
	ch, err = FromForm(p, Form{Input: in}, func() (map[string]string, error) {
		return map[string]string{"private_key": "stored"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ch.Set["private_key"]; ok {
		t.Fatalf("edit replaced the stored key pair: %v", ch.Set)
	}

	broken := errors.New("database gone")
	if _, err := FromForm(p, Form{Input: in}, func() (map[string]string, error) { return nil, broken }); !errors.Is(err, broken) {
		t.Fatalf("error %v, want %v", err, broken)
	}
}

func TestFromGrant(t *testing.T) {
	expires := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		grant  provider.Grant
		set    map[string]string
		fields []string
	}{
		{
			name:   "a renewal that rotated the refresh token stores both",
			grant:  provider.Grant{AccessToken: "a-2", RefreshToken: "r-2", ExpiresAt: expires},
			set:    map[string]string{"token": "a-2", "refresh": "r-2"},
			fields: []string{"refresh", "token"},
		},
		{
			name:   "a renewal without a refresh token keeps the stored one",
			grant:  provider.Grant{AccessToken: "a-2", ExpiresAt: expires},
			set:    map[string]string{"token": "a-2"},
			fields: []string{"token"},
		},
		{
			name:   "what the service said about using the token is stored with it",
			grant:  provider.Grant{AccessToken: "a-2", ExpiresAt: expires, Extra: map[string]string{"api_url": "https://api.zoomgov.com"}},
			set:    map[string]string{"token": "a-2", "api_url": "https://api.zoomgov.com"},
			fields: []string{"api_url", "token"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := FromGrant(oauthProvider(), tt.grant)
			if !reflect.DeepEqual(ch.Set, tt.set) || ch.Grant == nil || !reflect.DeepEqual(*ch.Grant, tt.grant) || !ch.Renewable ||
				ch.ForgetExpiry || len(ch.Clear)+len(ch.Forget) != 0 {
				t.Fatalf("change %+v", ch)
			}
			if got := ch.Fields(); !reflect.DeepEqual(got, tt.fields) {
				t.Fatalf("audited fields %v, want %v", got, tt.fields)
			}
		})
	}

	// A provider that issues no refresh token never stores one.
	p := oauthProvider()
	p.Tokens.Refresh = ""
	if ch := FromGrant(p, provider.Grant{AccessToken: "a", RefreshToken: "r"}); !reflect.DeepEqual(ch.Set, map[string]string{"token": "a"}) {
		t.Fatalf("set %v", ch.Set)
	}
}

func TestKeyValuesKeepsTheSettingsAndRemovesEmptyValues(t *testing.T) {
	tok := Token{ID: 3, AppID: 2, Provider: "test", Name: "Lab Feed", Description: "d", Encrypted: true, Rate: "1h"}
	ch := KeyValues(oauthProvider(), tok, nil, map[string]string{"private_key": "new", "previous_keys": "", "key_id": "k2"})
	want := Change{AppID: 2, Provider: "test", Name: "Lab Feed", Description: "d", Encrypted: true, Rate: "1h", Renewable: true,
		Set: map[string]string{"private_key": "new", "key_id": "k2"}, Clear: []string{"previous_keys"}}
	if !reflect.DeepEqual(ch, want) {
		t.Fatalf("change\n got  %+v\n want %+v", ch, want)
	}
}

func TestSecretsHeld(t *testing.T) {
	p := oauthProvider()
	tok := &Token{Stored: map[string]Stamp{"secret": {}}}
	tests := []struct {
		name  string
		tok   *Token
		kept  map[string]string
		grant *provider.Grant
		want  map[string]bool
	}{
		{"nothing yet", nil, nil, nil, map[string]bool{}},
		{"stored", tok, nil, nil, map[string]bool{"secret": true}},
		{"typed before", nil, map[string]string{"secret": "x"}, nil, map[string]bool{"secret": true}},
		{"obtained by a button", nil, nil, &provider.Grant{AccessToken: "a"}, map[string]bool{"token": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SecretsHeld(p, tt.tok, tt.kept, tt.grant); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// A typed access token expires after the lifetime its provider declares
// for the token's values; a provider that declares none leaves
// AssumedLifetime. An obtained grant's own expiry wins over both.
func TestTypedTokenExpiryIsTheDeclaredLifetime(t *testing.T) {
	now := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	declares := oauthProvider()
	declares.AssumedLifetime = func(values map[string]string) time.Duration {
		if values["api_key"] == "key-1" {
			return 15 * time.Minute
		}
		return 0
	}
	typed := Form{Input: input(map[string]string{"secret": "s", "token": "typed"})}
	for _, c := range []struct {
		name string
		p    provider.Provider
		form Form
		want time.Time
	}{
		{"declared", declares, typed, now.Add(15 * time.Minute)},
		{"declared for other values only", declares, Form{Input: input(map[string]string{"secret": "s", "token": "typed", "api_key": "key-2"})}, now.Add(AssumedLifetime)},
		{"declares nothing", oauthProvider(), typed, now.Add(AssumedLifetime)},
		{"an obtained grant says", declares, Form{Input: input(map[string]string{"secret": "s"}), Grant: &provider.Grant{AccessToken: "a", ExpiresAt: now.Add(3 * time.Hour)}}, now.Add(3 * time.Hour)},
	} {
		ch, err := FromForm(c.p, c.form, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := ch.Expiry(now); !got.Equal(c.want) {
			t.Errorf("%s: expires %v, want %v", c.name, got, c.want)
		}
	}
}
