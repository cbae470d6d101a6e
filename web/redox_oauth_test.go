package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
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
	if strings.Join(names, ",") != "Redox,Redox (OAuth 2.0),Zoom (Server-to-Server OAuth),Zoom" {
		t.Fatalf("picker %v", names)
	}

	form := ts.get("/tokens/new/redox-oauth")
	wantStatus(t, form, http.StatusOK)
	var labels []string
	form.Doc.Find("#token-form label[for]").Each(func(_ int, s *goquery.Selection) {
		labels = append(labels, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.Text()), "*")))
	})
	want := "Token Name,Description,Environment,Region,Client ID,Key ID,Signing Method,Shared Secret,Source ID,OAuth 2.0 Access Token,Renewal Rate"
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
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", f), "/tokens")
	id := tokenIDByName(t, ts, "FHIR Feed")
	page := ts.get("/tokens/" + itoa(id))
	jwksURL, _ := page.Doc.Find("[data-testid=jwks-url]").Attr("value")
	pemText := page.text("[data-testid=public-key]")
	if jwksURL != ts.srv.Config.BaseURL.String()+"/jwks/"+itoa(id)+".json" || !strings.HasPrefix(pemText, "-----BEGIN PUBLIC KEY-----") {
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
	status, hdr, jwks := anonymousGet(t, ts.http.URL+"/jwks/"+itoa(id)+".json")
	var doc struct{ Keys []map[string]string }
	json.Unmarshal(jwks, &doc)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/jwk-set+json") || len(doc.Keys) != 1 ||
		doc.Keys[0]["kid"] != "kid-1" || doc.Keys[0]["alg"] != "RS384" || doc.Keys[0]["d"] != "" || doc.Keys[0]["p"] != "" {
		t.Fatalf("jwks %d %s", status, jwks)
	}
	if status, _, _ := anonymousGet(t, ts.http.URL+"/jwks/999.json"); status != 404 {
		t.Fatalf("jwks of no token: %d", status)
	}
	resp, _ := http.Post(ts.http.URL+"/jwks/"+itoa(id)+".json", "application/json", nil)
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

	// The worker and the runtime API take it from there.
	key := createClient(t, ts, "/clients", "FHIR")
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

// Issue 10 item 1: "New key pair" signs with a new key under a new Key ID
// and keeps the old key in the JWKS until the administrator retires it.
func TestRedoxOAuthKeyRotationWithoutAnOutage(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "es384")), "/tokens")
	id := tokenIDByName(t, ts, "FHIR Feed")
	jwks := func() map[string]bool {
		_, _, body := anonymousGet(t, ts.http.URL+"/jwks/"+itoa(id)+".json")
		var doc struct{ Keys []map[string]string }
		json.Unmarshal(body, &doc)
		out := map[string]bool{}
		for _, k := range doc.Keys {
			out[k["kid"]] = true
		}
		return out
	}
	_, _, first := anonymousGet(t, ts.http.URL+"/jwks/"+itoa(id)+".json")
	ts.redox.RegisterJWKS("rdx-client-1", first)
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
	after, _ := ts.store.TokenValues(t.Context(), id)
	if after["private_key"] == before["private_key"] || after["key_id"] != "kid-2" {
		t.Fatal("no new key pair")
	}
	// Redox re-reads the JWKS URL: the new key signs, and works.
	_, _, second := anonymousGet(t, ts.http.URL+"/jwks/"+itoa(id)+".json")
	ts.redox.RegisterJWKS("rdx-client-1", second)
	key := createClient(t, ts, "/clients", "FHIR")
	if a := apiGet(t, ts, key, "FHIR Feed"); a.Status != 200 {
		t.Fatalf("token with the new key: %d %s", a.Status, a.Error.Message)
	}
	p := ts.get("/tokens/" + itoa(id))
	if p.Doc.Find("[data-testid=retire-kid-1]").Length() != 1 {
		t.Fatal("no Retire button for the earlier key")
	}
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/keys/retire", url.Values{"kid": {"kid-1"}}), "/tokens/"+itoa(id))
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
