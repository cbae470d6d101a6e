package web

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/token"
)

func redoxOAuthForm(name, method string) url.Values {
	return url.Values{
		"name": {name}, "description": {"FHIR feed"}, "environment": {"development"}, "region": {"us"},
		"client_id": {"rdx-client-1"}, "key_id": {"kid-1"}, "signing_method": {method},
		"source_id": {"src-42"}, "renewal_rate": {"15m"},
	}
}

func anonymousGet(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// Issue 10 item 1, through the router against redoxtest: the picker, the
// form in the documented order, a key pair generated on first save and
// published as PEM and JWKS, registered in "the Redox dashboard", then
// Get OAuth 2.0 Access Token, Save, and the runtime API with source_id.
func TestRedoxOAuthFromPickerToRuntimeAPI(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()

	pick := ts.get("/tokens/new")
	var names []string
	pick.Doc.Find("[data-testid=provider-choices] a strong").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if !pickerEnds(pick, names) {
		t.Fatalf("picker %v", names)
	}

	form := ts.get("/tokens/new/redox-oauth")
	wantStatus(t, form, http.StatusOK)
	var labels []string
	form.Doc.Find("#token-form label[for]").Each(func(_ int, s *goquery.Selection) {
		labels = append(labels, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.Text()), "*")))
	})
	want := "Token Name,Description,Environment,Region,Client ID,Key ID,Signing Method,Shared Secret,Source ID,OAuth 2.0 Access Token,Renewal Rate,Only through the proxy"
	if strings.Join(labels, ",") != want {
		t.Fatalf("labels\n%v\nwant\n%s", strings.Join(labels, ","), want)
	}
	if sel, _ := form.Doc.Find("#f-signing_method option[selected]").Attr("value"); sel != "rs384" {
		t.Fatalf("default signing method %q", sel)
	}
	if typ, _ := form.Doc.Find("#f-shared_secret").Attr("type"); typ != "password" {
		t.Fatal("Shared Secret is not a password input")
	}
	if !strings.Contains(form.text("#token-form"), "Redox's OAuth 2.0 access tokens live 5 minutes") {
		t.Fatal("the screen does not say what tokendesk does with 5-minute tokens")
	}
	// Before the first save there is no key pair: the button says what to do.
	f := redoxOAuthForm("FHIR Feed", "rs384")
	f.Set("action", "get_token")
	early := ts.post("/tokens/new/redox-oauth", f)
	if s, _ := resultOf(early, "get_token"); !strings.Contains(s, "no key pair yet: press Save") {
		t.Fatalf("before save: %q", s)
	}

	f.Del("action")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", f), "/tokens/1")
	id := tokenIDByName(t, ts, "FHIR Feed")
	page := ts.get("/tokens/" + itoa(id))
	jwksURL, _ := page.Doc.Find("[data-testid=jwks-url]").Attr("value")
	pemText := page.text("[data-testid=public-key]")
	jwksPath := strings.TrimPrefix(jwksURL, ts.srv.Config.BaseURL.String())
	if !strings.HasPrefix(jwksPath, "/jwks/") || !strings.HasSuffix(jwksPath, ".json") || len(jwksPath) < 30 || !strings.HasPrefix(pemText, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("jwks url %q, pem %q", jwksURL, pemText)
	}
	if page.Doc.Find("[data-testid=copy-jwks-url]").Length() != 1 || page.Doc.Find("[data-testid=copy-public-key]").Length() != 1 {
		t.Fatal("no copy buttons")
	}
	values, _ := ts.store.TokenValues(t.Context(), id)
	priv := values["private_key"]
	if !strings.Contains(priv, "PRIVATE KEY") {
		t.Fatal("no private key stored")
	}
	body := page.Doc.Text()
	if strings.Contains(body, "PRIVATE KEY") || strings.Contains(ts.logs.String(), "PRIVATE KEY") {
		t.Fatal("the private key reached a page or a log")
	}

	// The JWKS is public and read-only, and holds only the public key.
	status, hdr, jwks := anonymousGet(t, ts.http.URL+jwksPath)
	var doc struct{ Keys []map[string]string }
	json.Unmarshal(jwks, &doc)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/jwk-set+json") || len(doc.Keys) != 1 ||
		doc.Keys[0]["kid"] != "kid-1" || doc.Keys[0]["alg"] != "RS384" || doc.Keys[0]["d"] != "" || doc.Keys[0]["p"] != "" {
		t.Fatalf("jwks %d %s", status, jwks)
	}
	for _, other := range []string{"/jwks/999.json", "/jwks/" + itoa(id) + ".json"} {
		if status, _, _ := anonymousGet(t, ts.http.URL+other); status != 404 {
			t.Fatalf("jwks at %s: %d", other, status)
		}
	}
	resp, _ := http.Post(ts.http.URL+jwksPath, "application/json", nil)
	if resp.StatusCode < 400 {
		t.Fatalf("POST to the JWKS: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// A second save keeps the same key pair.
	edit := redoxOAuthForm("FHIR Feed", "rs384")
	edit.Set("description", "renamed")
	edit.Set("version", "1")
	wantRedirect(t, ts.post("/tokens/"+itoa(id), edit), "/tokens")
	if v, _ := ts.store.TokenValues(t.Context(), id); v["private_key"] != priv {
		t.Fatal("an edit replaced the key pair")
	}

	// Registered in Redox, the button gets a 5-minute token.
	if err := ts.redox.RegisterJWKS("rdx-client-1", jwks); err != nil {
		t.Fatal(err)
	}
	get := redoxOAuthForm("FHIR Feed", "rs384")
	get.Set("version", "2")
	get.Set("action", "get_token")
	ts.get("/tokens/" + itoa(id))
	res := ts.post("/tokens/"+itoa(id), get)
	wantStatus(t, res, http.StatusOK)
	if s, _ := resultOf(res, "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token from Redox, valid until 2026-11-22 09:05:00 UTC") {
		t.Fatalf("get token: %q", s)
	}

	// Issue 19 item 5: until a token obtained with the key is saved, the
	// key counts as waiting for registration: the runtime API answers 409
	// not_connected without asking Redox.
	key := createClient(t, ts, "/clients", "FHIR")
	calls := ts.redox.Calls("/v2/auth/token")
	if a := apiGet(t, ts, key, "FHIR Feed"); a.Status != http.StatusConflict || a.Error.Code != "not_connected" ||
		!strings.Contains(a.Error.Message, "/tokens/"+itoa(id)) || ts.redox.Calls("/v2/auth/token") != calls {
		t.Fatalf("a key waiting for registration: %d %s %q; %d calls to Redox", a.Status, a.Error.Code, a.Error.Message, ts.redox.Calls("/v2/auth/token")-calls)
	}
	if got := tokenRowStatus(t, ts, "FHIR Feed"); got != token.StatusNotConnected {
		t.Fatalf("listed as %q", got)
	}
	saveObtained(t, ts, id, res, redoxOAuthForm("FHIR Feed", "rs384"), "2")

	// The worker and the runtime API take it from there.
	a := apiGet(t, ts, key, "FHIR Feed")
	if a.Status != 200 || a.Token["source_id"] != "src-42" || a.Token["provider"] != "redox-oauth" || ts.redox.KeyOf(a.Token["access_token"].(string)) != "oauth:rdx-client-1" {
		t.Fatalf("api: %d %v %s", a.Status, a.Token, a.Error.Message)
	}
	ts.clock.Advance(10 * time.Minute)
	b := apiGet(t, ts, key, "FHIR Feed")
	if b.Status != 200 || b.Token["access_token"] == a.Token["access_token"] || !ts.clock.Now().Before(expiresAt(t, b)) {
		t.Fatalf("after 10 minutes: %d %v", b.Status, b.Token)
	}
}

// HS384 signs with the Shared Secret: no key pair, a clear word without it.
func TestRedoxOAuthSharedSecret(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	f := redoxOAuthForm("Shared", "hs384")
	f.Set("action", "get_token")
	p := ts.post("/tokens/new/redox-oauth", f)
	if s, _ := resultOf(p, "get_token"); !strings.HasPrefix(s, "HS384 signs with the Shared Secret") {
		t.Fatalf("no secret: %q", s)
	}
	ts.redox.AddOAuthKey("rdx-client-1", "kid-1", []byte("shared-secret-0123456789"))
	f.Set("shared_secret", "shared-secret-0123456789")
	p = ts.post("/tokens/new/redox-oauth", f)
	if s, _ := resultOf(p, "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token from Redox") {
		t.Fatalf("with secret: %q", s)
	}
	if strings.Contains(p.Doc.Text(), "shared-secret-0123456789") {
		t.Fatal("the shared secret came back in the page")
	}
	f.Del("action")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", f), "/tokens")
	id := tokenIDByName(t, ts, "Shared")
	if ts.get("/tokens/"+itoa(id)).Doc.Find("[data-testid=key-pair]").Length() != 0 {
		t.Fatal("a key pair section for HS384")
	}
	if status, _, _ := anonymousGet(t, ts.http.URL+"/jwks/"+itoa(id)+".json"); status != 404 {
		t.Fatalf("jwks for HS384: %d", status)
	}
}

// jwksPathOf reads the JWKS URL a token's page shows, as a path.
func jwksPathOf(t *testing.T, ts *testServer, tokenPath string) string {
	t.Helper()
	u, ok := ts.get(tokenPath).Doc.Find("[data-testid=jwks-url]").Attr("value")
	if !ok {
		t.Fatalf("%s shows no JWKS URL", tokenPath)
	}
	return strings.TrimPrefix(u, ts.srv.Config.BaseURL.String())
}

// kidsAt lists the Key IDs the JWKS at path publishes.
func kidsAt(t *testing.T, ts *testServer, path string) map[string]bool {
	t.Helper()
	_, _, body := anonymousGet(t, ts.http.URL+path)
	var doc struct{ Keys []map[string]string }
	json.Unmarshal(body, &doc)
	out := map[string]bool{}
	for _, k := range doc.Keys {
		out[k["kid"]] = true
	}
	return out
}

// Issue 10 item 1 and the review's finding 3a: "New key pair" publishes a
// new key under a new Key ID beside the current one, which keeps signing
// until "Sign with the new key"; the old key stays in the JWKS until the
// administrator retires it.
func TestRedoxOAuthKeyRotationWithoutAnOutage(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "es384")), "/tokens/1")
	id := tokenIDByName(t, ts, "FHIR Feed")
	path := jwksPathOf(t, ts, "/tokens/"+itoa(id))
	jwks := func() map[string]bool { return kidsAt(t, ts, path) }
	_, _, first := anonymousGet(t, ts.http.URL+path)
	ts.redox.RegisterJWKS("rdx-client-1", first)
	get := redoxOAuthForm("FHIR Feed", "es384")
	get.Set("version", "1")
	get.Set("action", "get_token")
	ts.get("/tokens/" + itoa(id))
	saveObtained(t, ts, id, ts.post("/tokens/"+itoa(id), get), redoxOAuthForm("FHIR Feed", "es384"), "1")
	before, _ := ts.store.TokenValues(t.Context(), id)

	ts.get("/tokens/" + itoa(id))
	// A Key ID already published is refused, with the input kept and nothing saved.
	bad := ts.post("/tokens/"+itoa(id)+"/keys", url.Values{"new_key_id": {"kid-1"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if e := bad.text("[data-testid=error-new_key_id]"); !strings.Contains(e, "already published") {
		t.Fatalf("error %q", e)
	}
	if v, _ := bad.Doc.Find("#new-key-id").Attr("value"); v != "kid-1" {
		t.Fatal("input not kept")
	}
	if blank := ts.post("/tokens/"+itoa(id)+"/keys", url.Values{"new_key_id": {" "}}); blank.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("blank key id: %d", blank.StatusCode)
	}
	if v, _ := ts.store.TokenValues(t.Context(), id); v["private_key"] != before["private_key"] {
		t.Fatal("a refused New key pair changed the key")
	}

	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys", url.Values{"new_key_id": {"kid-2"}}), "/tokens/"+itoa(id))
	if got := jwks(); !got["kid-1"] || !got["kid-2"] || len(got) != 2 {
		t.Fatalf("JWKS after New key pair: %v", got)
	}
	// Published, not signing: Redox has not read the new key yet, and the
	// token keeps working with the current one.
	after, _ := ts.store.TokenValues(t.Context(), id)
	if after["private_key"] != before["private_key"] || after["key_id"] != "kid-1" {
		t.Fatal("the new key pair signs before anyone could register it")
	}
	key := createClient(t, ts, "/clients", "FHIR")
	if a := apiGet(t, ts, key, "FHIR Feed"); a.Status != 200 {
		t.Fatalf("token right after New key pair: %d %s", a.Status, a.Error.Message)
	}
	waiting := ts.get("/tokens/" + itoa(id))
	if !strings.Contains(waiting.text("[data-testid=next-key]"), "kid-2") || waiting.Doc.Find("[data-testid=use-new-key]").Text() != "Sign with the new key" {
		t.Fatalf("page does not offer the switch: %q", waiting.text("[data-testid=key-pair]"))
	}
	if r := ts.post("/tokens/"+itoa(id)+"/keys", url.Values{"new_key_id": {"kid-3"}}); r.StatusCode != http.StatusConflict {
		t.Fatalf("a second new key pair while one waits: %d", r.StatusCode)
	}

	// Redox re-reads the JWKS URL; the administrator switches.
	_, _, second := anonymousGet(t, ts.http.URL+path)
	ts.redox.RegisterJWKS("rdx-client-1", second)
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys/use", nil), "/tokens/"+itoa(id))
	switched, _ := ts.store.TokenValues(t.Context(), id)
	if switched["private_key"] == before["private_key"] || switched["key_id"] != "kid-2" {
		t.Fatal("Sign with the new key did not switch")
	}
	if got := jwks(); !got["kid-1"] || !got["kid-2"] || len(got) != 2 {
		t.Fatalf("JWKS after the switch: %v", got)
	}
	ts.clock.Advance(10 * time.Minute)
	if a := apiGet(t, ts, key, "FHIR Feed"); a.Status != 200 {
		t.Fatalf("token with the new key: %d %s", a.Status, a.Error.Message)
	}
	p := ts.get("/tokens/" + itoa(id))
	if p.Doc.Find("[data-testid=retire-kid-1]").Length() != 1 {
		t.Fatal("no Retire button for the earlier key")
	}
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys/retire", url.Values{"kid": {"kid-1"}}), "/tokens/"+itoa(id))
	ts.get("/tokens/" + itoa(id))
	if got := jwks(); got["kid-1"] || !got["kid-2"] {
		t.Fatalf("JWKS after retiring kid-1: %v", got)
	}
	if r := ts.post("/tokens/"+itoa(id)+"/keys/retire", url.Values{"kid": {"kid-1"}}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("retiring twice: %d", r.StatusCode)
	}
	// Without the CSRF field, nothing happens.
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+"/tokens/"+itoa(id)+"/keys", strings.NewReader("new_key_id=kid-3"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", resp.StatusCode)
	}
}

// The review's finding 1: a deleted token's JWKS URL must never serve
// another token's keys. SQLite hands the highest id out again, so with
// /jwks/<id>.json a designer's new token took over the URL an
// administrator had registered in Redox; the URL now carries a random
// slug made once, and a deleted token's slug answers 404 for ever.
func TestRedoxOAuthJWKSURLIsNeverTakenOver(t *testing.T) {
	w := newAppWorld(t)
	w.get("/tokens/new/redox-oauth")
	wantRedirect(t, w.post("/tokens/new/redox-oauth", redoxOAuthForm("Admin Feed", "rs384")), "/tokens/1")
	adminID := tokenIDByName(t, w.testServer, "Admin Feed")
	adminPath := jwksPathOf(t, w.testServer, "/tokens/"+itoa(adminID))
	if strings.Contains(adminPath, itoa(adminID)) {
		t.Fatalf("the JWKS URL %s carries the token's id", adminPath)
	}
	if got := kidsAt(t, w.testServer, adminPath); !got["kid-1"] {
		t.Fatalf("admin JWKS %v", got)
	}
	w.get("/tokens/remove?id=" + itoa(adminID))
	wantRedirect(t, w.post("/tokens/remove", url.Values{"id": {itoa(adminID)}}), "/tokens")

	base := "/apps/" + itoa(w.alpha) + "/tokens"
	w.dee.get(base + "/new/redox-oauth")
	if saved := w.dee.post(base+"/new/redox-oauth", redoxOAuthForm("Dee Feed", "rs384")); !strings.HasPrefix(saved.Header.Get("Location"), base+"/") {
		t.Fatalf("saved a key pair token, then went to %q", saved.Header.Get("Location"))
	}
	var deeID int64
	w.dee.get(base).Doc.Find("[data-testid=token-row] input[name=id]").Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		deeID = mustAtoi(t, v)
	})
	if deeID != adminID {
		t.Logf("the designer's token got id %d, not the reused %d: the test still checks the URLs", deeID, adminID)
	}
	deePath := jwksPathOf(t, w.dee, base+"/"+itoa(deeID))
	if deePath == adminPath {
		t.Fatal("the designer's token took over the deleted token's JWKS URL")
	}
	if status, _, body := anonymousGet(t, w.http.URL+adminPath); status != 404 {
		t.Fatalf("the deleted token's JWKS URL answers %d: %s", status, body)
	}
	if got := kidsAt(t, w.testServer, deePath); !got["kid-1"] || len(got) != 1 {
		t.Fatalf("designer JWKS %v", got)
	}
}

// The review's finding 9: the JWKS is served from the document kept when
// the keys last changed (no decryption, no key parsing per anonymous
// request), with an ETag for conditional requests and the cache header.
func TestRedoxOAuthJWKSServedWithoutDecrypting(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "es384")), "/tokens/1")
	id := tokenIDByName(t, ts, "FHIR Feed")
	path := jwksPathOf(t, ts, "/tokens/"+itoa(id))

	status, hdr, body := anonymousGet(t, ts.http.URL+path)
	etag := hdr.Get("ETag")
	if status != 200 || etag == "" || hdr.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("JWKS %d, ETag %q, Cache-Control %q", status, etag, hdr.Get("Cache-Control"))
	}
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+path, nil)
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match with the current ETag: %d", resp.StatusCode)
	}

	// With the sealed private key unreadable, the public document is still
	// served as it was: the route does not open sealed values.
	sqliteFileOnly(t)
	db, err := sql.Open("sqlite", filepath.Join(ts.dir, "tokendesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE token_values SET value = x'00' WHERE token_id = ? AND field = 'private_key'`, id); err != nil {
		t.Fatal(err)
	}
	if status, _, again := anonymousGet(t, ts.http.URL+path); status != 200 || string(again) != string(body) {
		t.Fatalf("JWKS with the sealed values unreadable: %d %s", status, again)
	}
}

// The review's finding 3b and 3c: the form never replaces a registered key
// pair in place. A changed Signing Method or Key ID is refused next to its
// field, pointing to New key pair (which keeps the old key published), and
// a Key ID the JWKS already publishes for another key is refused.
func TestRedoxOAuthFormNeverReplacesARegisteredKeyPair(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "rs384")), "/tokens/1")
	id := tokenIDByName(t, ts, "FHIR Feed")
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys", url.Values{"new_key_id": {"kid-2"}}), "/tokens/"+itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys/use", nil), "/tokens/"+itoa(id))
	path := jwksPathOf(t, ts, "/tokens/"+itoa(id))
	_, _, jwksBefore := anonymousGet(t, ts.http.URL+path)
	before, _ := ts.store.TokenValues(t.Context(), id)

	for _, tc := range []struct {
		name, field, value, want string
	}{
		{"a Key ID the JWKS publishes for an earlier key", "key_id", "kid-1", "already published"},
		{"another Key ID", "key_id", "kid-9", "New key pair"},
		{"another key-pair method", "signing_method", "es384", "New key pair"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := ts.get("/tokens/" + itoa(id))
			version, _ := page.Doc.Find("input[name=version]").Attr("value")
			f := redoxOAuthForm("FHIR Feed", "rs384")
			f.Set("key_id", "kid-2")
			f.Set("description", "edited")
			f.Set("version", version)
			f.Set(tc.field, tc.value)
			res := ts.post("/tokens/"+itoa(id), f)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			if e := res.text("[data-testid=error-" + tc.field + "]"); !strings.Contains(e, tc.want) {
				t.Fatalf("error next to %s: %q", tc.field, e)
			}
			if v := res.text("#f-description"); v != "edited" {
				t.Fatalf("input not kept: %q", v)
			}
			after, _ := ts.store.TokenValues(t.Context(), id)
			if after["private_key"] != before["private_key"] || after["key_id"] != "kid-2" || after["signing_method"] != "rs384" {
				t.Fatal("a refused edit changed the key pair")
			}
			if tok, _ := ts.store.TokenByID(t.Context(), id); tok.Description != "FHIR feed" {
				t.Fatal("a refused edit was saved")
			}
			if _, _, now := anonymousGet(t, ts.http.URL+path); string(now) != string(jwksBefore) {
				t.Fatal("a refused edit changed the JWKS")
			}
		})
	}
}

// The review's item 4: HS384 without a Shared Secret is a field error on
// save, not a renewal failure later.
func TestRedoxOAuthHS384NeedsItsSharedSecret(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	res := ts.post("/tokens/new/redox-oauth", redoxOAuthForm("Shared", "hs384"))
	wantStatus(t, res, http.StatusUnprocessableEntity)
	if e := res.text("[data-testid=error-shared_secret]"); !strings.HasPrefix(e, "Enter the Shared Secret: HS384 signs with the secret") {
		t.Fatalf("error next to Shared Secret: %q", e)
	}
	if v, _ := res.Doc.Find("#f-client_id").Attr("value"); v != "rdx-client-1" {
		t.Fatalf("input not kept: %q", v)
	}
	if list := ts.get("/tokens"); strings.Contains(list.text("[data-testid=token-list]")+list.Doc.Find("[data-testid=token-row]").Text(), "Shared") {
		t.Fatal("saved without its secret")
	}
	// With the secret it saves, and a later edit keeps the stored secret.
	f := redoxOAuthForm("Shared", "hs384")
	f.Set("shared_secret", "shared-secret-0123456789")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", f), "/tokens")
	id := tokenIDByName(t, ts, "Shared")
	edit := redoxOAuthForm("Shared", "hs384")
	edit.Set("version", "1")
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id), edit), "/tokens")
	// Clearing it while HS384 stays chosen is refused.
	edit.Set("version", "2")
	edit.Set("clear_shared_secret", "on")
	wantStatus(t, ts.post("/tokens/"+itoa(id), edit), http.StatusUnprocessableEntity)
}

// The review's finding 10: a new key pair waits, visibly and without
// failing, for someone to register it in Redox; the first token obtained
// with it starts the renewals.
func TestRedoxOAuthNewKeyWaitsForRegistration(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "rs384")), "/tokens/1")
	id := tokenIDByName(t, ts, "FHIR Feed")

	worker := ts.srv.Renewer.(*renewal.Worker)
	ts.clock.Advance(time.Hour)
	if _, err := worker.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	page := ts.get("/tokens/" + itoa(id))
	if got := page.text("[data-testid=renewal-status]"); got != token.StatusNotConnected {
		t.Fatalf("status %q", got)
	}
	if got := page.text("[data-testid=next-renewal]"); !strings.HasPrefix(got, "Waiting for the key to be registered in Redox") {
		t.Fatalf("next renewal %q", got)
	}
	if got := page.text("[data-testid=key-awaiting]"); !strings.Contains(got, "add the JWKS URL") || !strings.Contains(got, "Get OAuth 2.0 Access Token") {
		t.Fatalf("the page does not say what to do: %q", got)
	}
	if page.Doc.Find("[data-testid=last-error]").Length() != 0 {
		t.Fatal("a waiting key shows an error")
	}
	if tok, _ := ts.store.TokenByID(t.Context(), id); tok.Failures != 0 || !tok.NextRenewalAt.IsZero() {
		t.Fatalf("waiting token: %d failures, next renewal %v", tok.Failures, tok.NextRenewalAt)
	}

	// Registered, Get OAuth 2.0 Access Token and Save: renewals start.
	ts.redox.RegisterJWKS("rdx-client-1", func() []byte {
		_, _, b := anonymousGet(t, ts.http.URL+jwksPathOf(t, ts, "/tokens/"+itoa(id)))
		return b
	}())
	f := redoxOAuthForm("FHIR Feed", "rs384")
	f.Set("version", "1")
	f.Set("action", "get_token")
	ts.get("/tokens/" + itoa(id))
	res := ts.post("/tokens/"+itoa(id), f)
	if s, _ := resultOf(res, "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("get token: %q", s)
	}
	f.Del("action")
	pending, _ := res.Doc.Find("input[name=pending]").Attr("value")
	f.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/"+itoa(id), f), "/tokens")
	page = ts.get("/tokens/" + itoa(id))
	if page.Doc.Find("[data-testid=key-awaiting]").Length() != 0 || page.text("[data-testid=renewal-status]") != "Healthy" {
		t.Fatalf("after the first token: %q", page.text("[data-testid=renewal-status]"))
	}
	if tok, _ := ts.store.TokenByID(t.Context(), id); tok.NextRenewalAt.IsZero() {
		t.Fatal("no renewal scheduled after the first token")
	}
}

// The emulator reads a registered JWKS URL as Redox does, so the demo can
// register a key pair and rotate it without a success real Redox would
// not give: before registration Redox does not know the key.
func TestRedoxOAuthEmulatorReadsARegisteredJWKSURL(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "rs384")), "/tokens/1")
	id := tokenIDByName(t, ts, "FHIR Feed")
	getToken := func() string {
		t.Helper()
		version, _ := ts.get("/tokens/" + itoa(id)).Doc.Find("input[name=version]").Attr("value")
		f := redoxOAuthForm("FHIR Feed", "rs384")
		f.Set("version", version)
		f.Set("action", "get_token")
		s, _ := resultOf(ts.post("/tokens/"+itoa(id), f), "get_token")
		return s
	}
	if s := getToken(); !strings.Contains(s, "Public key not found") {
		t.Fatalf("before registration: %q", s)
	}

	status, _, _ := postForm(t, ts.redoxURL+"/dashboard/jwks", url.Values{
		"client_id": {"rdx-client-1"}, "jwks_url": {ts.http.URL + jwksPathOf(t, ts, "/tokens/"+itoa(id))}})
	if status != http.StatusOK {
		t.Fatalf("registering the JWKS URL: %d", status)
	}
	if s := getToken(); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("after registration: %q", s)
	}
	// A rotated key is found through the same URL.
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys", url.Values{"new_key_id": {"kid-2"}, "new_signing_method": {"es384"}}), "/tokens/"+itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys/use", nil), "/tokens/"+itoa(id))
	version, _ := ts.get("/tokens/" + itoa(id)).Doc.Find("input[name=version]").Attr("value")
	f := redoxOAuthForm("FHIR Feed", "es384")
	f.Set("key_id", "kid-2")
	f.Set("version", version)
	f.Set("action", "get_token")
	if s, _ := resultOf(ts.post("/tokens/"+itoa(id), f), "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("with the new ES384 key: %q", s)
	}
}

func postForm(t *testing.T, u string, form url.Values) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// saveObtained saves form with the access token that got (a page answering
// "Get OAuth 2.0 Access Token") obtained and kept pending.
func saveObtained(t *testing.T, ts *testServer, id int64, got page, form url.Values, version string) {
	t.Helper()
	pending, ok := got.Doc.Find("input[name=pending]").Attr("value")
	if !ok || pending == "" {
		t.Fatal("no obtained token kept on the page")
	}
	form.Set("version", version)
	form.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/"+itoa(id), form), "/tokens")
}
