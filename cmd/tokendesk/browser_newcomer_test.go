package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
)

// dialogs answers the page's dialogs (beforeunload, confirm) as told, and
// records their types in order.
type dialogs struct {
	mu     sync.Mutex
	accept bool
	seen   []string
}

func (d *dialogs) setAccept(v bool) { d.mu.Lock(); d.accept = v; d.mu.Unlock() }

func (d *dialogs) types() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// answerDialogs closes every dialog from a goroutine of its own: a dialog
// blocks the page, and with it the action that opened it.
func answerDialogs(ctx context.Context, t *testing.T) *dialogs {
	d := &dialogs{}
	if _, err := chromedp.Run(ctx, chromedp.Location()); err != nil { // attach the tab first
		t.Fatal(err)
	}
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.seen = append(d.seen, string(ev.Type))
			accept := d.accept
			d.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	}()
	return d
}

// Issue 18 items 13, 16, 17, 18 and 20, as a newcomer met them in
// Chromium at 390 px: the navigation and the token list's Status in view,
// the webhook page within the screen, unsaved work guarded on any way out
// (never on Save), times in the reader's zone, fields that follow their
// choice, and Permission Settings in one try.
func TestInTheBrowserNewcomerAt390px(t *testing.T) {
	t.Parallel() // beside the other browser and replica tests: its own processes, browser and database
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("SKIPPED browser tests: Chromium not found (apt-get install chromium)")
	}
	axe := axeSource(t)
	redox, redoxURL := redoxtest.Start(t)
	redox.AddKey(demoRedoxKey, demoRedoxSecret)
	inst, err := start(t, map[string]string{
		"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_ADMIN_EMAIL": "ada@example.com", "TOKENDESK_ADMIN_PASSWORD": "correct horse battery",
		"TOKENDESK_REDOX_URL": redoxURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()
	ctx := newChromium(t, chromium, 390, 844)
	b := &browserRun{t: t, ctx: ctx, base: inst.base, js: true, axe: axe, shots: os.Getenv("TOKENDESK_SCREENSHOTS"), visits: map[string]bool{}}
	dlg := answerDialogs(ctx, t)
	b.do(chromedp.EmulateViewport(390, 844), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"})
		return err
	}))
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	fits := func(where string) {
		t.Helper()
		if w := eval(`document.documentElement.scrollWidth + "/" + window.innerWidth`); w != "390/390" {
			t.Fatalf("%s is wider than the screen at 390 px: %s", where, w)
		}
	}

	b.visit("/login")
	b.do(chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.KeyEvent("ada@example.com"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("correct horse battery"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=signed-in-as]")))

	// 17: every section of the main navigation is on screen.
	if off := eval(`[...document.querySelectorAll("nav[aria-label=Main] a")].filter(a => { const r = a.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > window.innerWidth; }).map(a => a.textContent).join(",")`); off != "" {
		t.Fatalf("navigation items off screen at 390 px: %s", off)
	}
	fits("the token list")

	// 18: a token obtained and not saved is guarded on any way out; Save is not.
	b.visit("/tokens/new/redox")
	b.fill(map[string]string{"f-name": "Lab Feed", "f-api_key": demoRedoxKey, "f-secret": demoRedoxSecret})
	b.press("[data-testid=action-get_token]", "[data-testid=result-summary]")
	b.do(chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b.do(chromedp.Click(chromedp.CSS("[data-testid=nav-apps]"), chromedp.NodeVisible))
	time.Sleep(300 * time.Millisecond)
	if got := dlg.types(); len(got) != 1 || got[0] != string(page.DialogTypeBeforeunload) || !strings.HasSuffix(b.location(), "/tokens/new/redox") {
		t.Fatalf("leaving an obtained token: dialogs %v, now at %s", got, b.location())
	}
	b.press("[data-testid=save]", "[data-testid=flash]")
	if got := dlg.types(); len(got) != 1 {
		t.Fatalf("Save asked before leaving: %v", got)
	}
	b.shot("tokens-390px")
	fits("the token list with a token")
	// 17: the Status column is on screen, not behind a sideways scroll.
	if cut := eval(`[...document.querySelectorAll("[data-testid=token-row] td")].filter(td => td.getBoundingClientRect().right > window.innerWidth + 1).map(td => td.dataset.testid).join(",")`); cut != "" {
		t.Fatalf("token list cells cut off at 390 px: %s", cut)
	}
	if s := b.text("[data-testid=token-status]"); !strings.Contains(s, "Healthy") {
		t.Fatalf("status %q", s)
	}

	// 16: the token's page reads in the browser's zone (Tokyo, UTC+9).
	b.press("[data-testid=token-name]", "[data-testid=renewal]")
	next := b.text("[data-testid=next-renewal] time")
	title := eval(`document.querySelector("[data-testid=next-renewal] time").title`)
	if strings.HasSuffix(next, "UTC") || !strings.Contains(title, "Japan") || !strings.HasSuffix(title, " UTC)") {
		t.Fatalf("next renewal %q, on hover %q", next, title)
	}
	b.shot("token-page-390px")
	fits("the token's page")

	// 20: fields follow the choice they depend on.
	b.visit("/tokens/new/oauth2")
	visible := func(key string) bool {
		t.Helper()
		return eval(`String(document.getElementById("wrap-`+key+`").offsetParent !== null)`) == "true"
	}
	choose := func(id, value string) {
		t.Helper()
		b.do(chromedp.SetValue(chromedp.ID(id), value), chromedp.Evaluate[chromedp.Void](`document.getElementById("`+id+`").dispatchEvent(new Event("change", {bubbles: true}))`))
	}
	if !visible("auth_url") || !visible("redirect_uri") || !visible("client_secret") || eval(`String(document.querySelector("#wrap-auth_url .req").hidden)`) != "false" {
		t.Fatal("Authorization Code fields hidden, or the Authorization URL not marked required")
	}
	choose("f-grant_type", "client_credentials")
	choose("f-client_auth", "private_key_jwt")
	if visible("auth_url") || visible("redirect_uri") || visible("pkce") || visible("client_secret") || !visible("token_url") {
		t.Fatal("fields of other choices still shown")
	}
	b.shot("oauth-client-credentials-390px")
	choose("f-grant_type", "authorization_code")
	if !visible("auth_url") || !visible("redirect_uri") {
		t.Fatal("Authorization Code fields did not come back")
	}
	dlg.setAccept(true) // leave the edited form

	// 13: ticking an app chooses "Only the chosen apps".
	b.visit("/apps")
	b.fill(map[string]string{"app-name": "Alpha"})
	b.press("[data-testid=app-form] button[type=submit]", "[data-testid=app-tokens]")
	b.visit("/tokens")
	b.press("[data-testid=token-name]", "[data-testid=permissions-link]")
	b.press("[data-testid=permissions-link]", "[data-testid=permissions-form]")
	b.do(chromedp.Click(chromedp.CSS("input[name=app]"), chromedp.NodeVisible))
	if eval(`String(document.getElementById("access-chosen").checked)`) != "true" {
		t.Fatal("ticking an app left “Every app” chosen")
	}
	b.press("[data-testid=permissions-form] button[type=submit]", "[data-testid=flash]")
	if f := b.text("[data-testid=flash]"); !strings.HasPrefix(f, "Only the chosen app may use") {
		t.Fatalf("after one try: %q", f)
	}

	// 17: the Notifications pages stay within the screen.
	b.visit("/settings/webhooks")
	b.fill(map[string]string{"webhook-url": "https://notifications.hospital-integration.example/tokendesk/events/receiver"})
	b.do(chromedp.Click(chromedp.CSS("[data-testid=webhook-form] input[name=event]"), chromedp.NodeVisible))
	b.press("[data-testid=webhook-form] button[type=submit]", "[data-testid=flash]")
	b.shot("webhook-390px")
	fits("the webhook page")
	b.visit("/settings/webhooks")
	b.shot("webhooks-390px")
	fits("the Notifications page")
	if cut := eval(`[...document.querySelectorAll("[data-testid=webhook-link]")].filter(a => a.getBoundingClientRect().right > a.closest(".table-wrap").getBoundingClientRect().right).length + ""`); cut != "0" {
		t.Fatal("the endpoint's URL is cut off in the list")
	}
}
