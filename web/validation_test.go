package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestBadInputIsRefusedNextToItsField(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	long := func(n int) string { return strings.Repeat("a", n) }

	for _, tc := range []struct {
		name     string
		provider string
		set      map[string]string
		field    string
		want     string
	}{
		{"empty name", "redox", map[string]string{"name": ""}, "name", "Enter a Token Name."},
		{"blank name", "redox", map[string]string{"name": "   "}, "name", "Enter a Token Name."},
		{"hyphen in name", "redox", map[string]string{"name": "Lab-Feed"}, "name", "only letters, numbers and spaces; remove “-”"},
		{"underscore in name", "redox", map[string]string{"name": "Lab_Feed"}, "name", "remove “_”"},
		{"slash in name", "redox", map[string]string{"name": "Lab/Feed"}, "name", "remove “/”"},
		{"dot in name", "redox", map[string]string{"name": "Lab.Feed"}, "name", "remove “.”"},
		{"markup in name", "redox", map[string]string{"name": "<script>"}, "name", "remove “<”"},
		{"emoji in name", "redox", map[string]string{"name": "Lab 🚀"}, "name", "remove “🚀”"},
		{"tab in name", "redox", map[string]string{"name": "Lab\tFeed"}, "name", "the invisible character U+0009"},
		{"zero-width space in name", "zoom", map[string]string{"name": "Zoom\u200bLab"}, "name", "U+200B"},
		{"name too long", "redox", map[string]string{"name": long(101)}, "name", "at most 100 characters; this one has 101"},
		{"Cyrillic letter in a Latin name", "redox", map[string]string{"name": "Redox H\u0405"}, "name", "mixes Latin and Cyrillic letters (“R” is Latin, “Ѕ” is Cyrillic)"},
		{"Greek letter in a Latin name", "zoom", map[string]string{"name": "Z\u03bfom"}, "name", "mixes Latin and Greek letters"},
		{"description too long", "redox", map[string]string{"description": long(2001)}, "description", "at most 2000 characters; this one has 2001"},
		{"NUL in description", "redox", map[string]string{"description": "a\x00b"}, "description", "control character (the invisible character U+0000)"},
		{"escape in description", "zoom", map[string]string{"description": "a\x1b[31mred"}, "description", "U+001B"},
		{"DEL in description", "zoom", map[string]string{"description": "a\x7f"}, "description", "U+007F"},
		{"unknown environment", "redox", map[string]string{"environment": "production"}, "environment", "Choose one of the listed Environment options."},
		{"empty environment", "redox", map[string]string{"environment": ""}, "environment", "Choose one of the listed Environment options."},
		{"missing Redox API Key", "redox", map[string]string{"api_key": ""}, "api_key", "Enter the API Key from Redox."},
		{"space in API Key", "redox", map[string]string{"api_key": "abc def"}, "api_key", "cannot contain spaces"},
		{"API Key too long", "redox", map[string]string{"api_key": long(257)}, "api_key", "at most 256 characters"},
		{"bell in API Key", "redox", map[string]string{"api_key": "abc\x07"}, "api_key", "without control characters"},
		{"missing Secret", "redox", map[string]string{"secret": ""}, "secret", "Enter the Secret from Redox."},
		{"newline inside Secret", "redox", map[string]string{"secret": "abc\ndef"}, "secret", "without control characters"},
		{"Secret too long", "redox", map[string]string{"secret": long(513)}, "secret", "at most 512 characters"},
		{"space in access token", "redox", map[string]string{"access_token": "abc def"}, "access_token", "cannot contain spaces"},
		{"access token too long", "redox", map[string]string{"access_token": long(4097)}, "access_token", "at most 4096 characters"},
		{"unknown renewal rate", "redox", map[string]string{"renewal_rate": "5m"}, "renewal_rate", "Choose one of the listed Renewal Rate options."},
		{"rate Redox does not offer", "redox", map[string]string{"renewal_rate": "daily-noon"}, "renewal_rate", "Choose one of the listed Renewal Rate options."},
		{"empty renewal rate", "redox", map[string]string{"renewal_rate": ""}, "renewal_rate", "Choose one of the listed Renewal Rate options."},
		{"missing Zoom name", "zoom", map[string]string{"name": ""}, "name", "Enter a Token Name."},
		{"missing Zoom API Key", "zoom", map[string]string{"api_key": " "}, "api_key", "Enter the API Key from Zoom."},
		{"missing Zoom API Secret", "zoom", map[string]string{"api_secret": ""}, "api_secret", "Enter the API Secret from Zoom."},
		{"space in Zoom API Secret", "zoom", map[string]string{"api_secret": "abc def"}, "api_secret", "cannot contain spaces"},
		{"Zoom API Key too long", "zoom", map[string]string{"api_key": long(300)}, "api_key", "at most 256 characters; this one has 300"},
		{"control character in Zoom API Key", "zoom", map[string]string{"api_key": "k\x01"}, "api_key", "U+0001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := redoxForm("Valid Name")
			if tc.provider == "zoom" {
				form = zoomForm("Valid Name")
			}
			for k, v := range tc.set {
				form.Set(k, v)
			}
			ts.get("/tokens/new/" + tc.provider)
			p := ts.post("/tokens/new/"+tc.provider, form)
			wantStatus(t, p, http.StatusUnprocessableEntity)

			msg := p.text("[data-testid=error-" + tc.field + "]")
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("message beside %s: %q, want it to contain %q", tc.field, msg, tc.want)
			}
			field := p.Doc.Find("[data-testid=field-" + tc.field + "]")
			if field.Find("[data-testid=error-"+tc.field+"]").Length() != 1 {
				t.Fatal("the message is not next to its field")
			}
			if inv, _ := p.Doc.Find("#f-" + tc.field).Attr("aria-invalid"); inv != "true" {
				t.Error("field not marked aria-invalid")
			}
			// Nothing saved.
			if toks, _, _ := ts.store.ListTokens(t.Context(), storeFilter()); len(toks) != 0 {
				t.Fatalf("%d tokens saved from a rejected form", len(toks))
			}
			// The input is kept: visible fields hold what was typed; typed secrets
			// are kept sealed, never rendered back.
			for _, key := range []string{"name", "api_key"} {
				if v, _ := p.Doc.Find("#f-" + key).Attr("value"); v != strings.TrimSpace(form.Get(key)) {
					t.Errorf("%s not kept: %q", key, v)
				}
			}
			// (HTML parsers show a NUL as U+FFFD.)
			if got := p.Doc.Find("#f-description").Text(); got != strings.ReplaceAll(strings.TrimSpace(form.Get("description")), "\x00", "\uFFFD") {
				t.Errorf("description not kept: %q", got)
			}
			for _, secret := range []string{"secret", "api_secret", "access_token"} {
				typed := form.Get(secret)
				if typed == "" {
					continue
				}
				if v, _ := p.Doc.Find("#f-" + secret).Attr("value"); v != "" {
					t.Errorf("%s rendered back into the page", secret)
				}
				if strings.Contains(p.Body, typed) {
					t.Errorf("typed %s appears in the page", secret)
				}
				if !strings.HasPrefix(p.text("[data-testid=stored-"+secret+"]"), "Kept from your last attempt") {
					t.Errorf("typed %s not kept: %q", secret, p.text("[data-testid=stored-"+secret+"]"))
				}
			}
		})
	}
}

// A rejected form keeps a typed secret, so fixing another field and saving
// again stores it without retyping.
func TestFixingARejectedFormKeepsTheTypedSecret(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	form := redoxForm("Bad-Name")
	p := ts.post("/tokens/new/redox", form)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
	fixed := redoxForm("Good Name")
	fixed.Set("secret", "")
	fixed.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/new/redox", fixed), "/tokens")
	vals, _ := ts.store.TokenValues(t.Context(), tokenIDByName(t, ts, "Good Name"))
	if vals["secret"] != "rdx-secret-5678" {
		t.Fatalf("secret after fixing the form: %q", vals["secret"])
	}
	// Another user cannot replay the sealed value.
	ts.addUser("eve@example.com", "eve long password", "admin")
	eve := newTestServerClient(ts)
	eve.signIn("eve@example.com", "eve long password")
	eve.get("/tokens/new/redox")
	replay := redoxForm("Eve Token")
	replay.Set("secret", "")
	replay.Set("pending", pending)
	if p := eve.post("/tokens/new/redox", replay); p.StatusCode != http.StatusUnprocessableEntity || p.text("[data-testid=error-secret]") == "" {
		t.Fatalf("pending secret accepted for another user: %d", p.StatusCode)
	}
}

func TestGarbledRequestsGetClearAnswers(t *testing.T) {
	ts := newTestServer(t)
	id := createTestToken(t, ts, "Garble")
	ts.signInAdmin()
	ts.get("/tokens/" + itoa(id))
	for name, tc := range map[string]struct {
		path string
		form url.Values
		want int
	}{
		"no version":   {"/tokens/" + itoa(id), redoxForm("Garble"), http.StatusBadRequest},
		"bad version":  {"/tokens/" + itoa(id), withField(redoxForm("Garble"), "version", "abc"), http.StatusBadRequest},
		"stale action": {"/tokens/" + itoa(id), withField(withField(redoxForm("Garble"), "version", "1"), "action", "launch"), http.StatusBadRequest},
		"bad id":       {"/tokens/0", redoxForm("Garble"), http.StatusNotFound},
		"bad provider": {"/tokens/new/nope", redoxForm("Garble"), http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			p := ts.post(tc.path, tc.form)
			wantStatus(t, p, tc.want)
			if p.text("[data-testid=error-message]") == "" {
				t.Fatal("no message")
			}
		})
	}
	big := url.Values{"name": {strings.Repeat("x", 2<<20)}}
	wantStatus(t, ts.post("/tokens/new/redox", big), http.StatusRequestEntityTooLarge)
	if tok, _ := ts.store.TokenByID(t.Context(), id); tok.Version != 1 {
		t.Fatal("garbled requests changed the token")
	}
}

func withField(v url.Values, k, val string) url.Values {
	v.Set(k, val)
	return v
}
