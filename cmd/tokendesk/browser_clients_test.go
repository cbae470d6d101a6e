package main

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A new API client key at 390 px: the one-time page fits the screen, its
// Copy button copies the key, and a reload shows the key no more.
func TestNewClientKeyInTheBrowser(t *testing.T) {
	t.Parallel() // beside the other browser and replica tests: its own processes, browser and database
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("SKIPPED browser tests: Chromium not found (apt-get install chromium)")
	}
	axe := axeSource(t)
	inst, err := start(t, map[string]string{
		"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_ADMIN_EMAIL": "ada@example.com", "TOKENDESK_ADMIN_PASSWORD": "correct horse battery",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()
	ctx := newChromium(t, chromium, 390, 844)
	b := &browserRun{t: t, ctx: ctx, base: inst.base, js: true, axe: axe, shots: os.Getenv("TOKENDESK_SCREENSHOTS"), visits: map[string]bool{}}
	b.do(chromedp.EmulateViewport(390, 844))

	b.visit("/login")
	b.do(chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.KeyEvent("ada@example.com"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("correct horse battery"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=signed-in-as]")))
	fits := func(where string) {
		t.Helper()
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth + 1`))
		if err != nil || !ok {
			t.Fatalf("%s overflows at 390 px: %v", where, err)
		}
	}

	for _, name := range []string{"Nightly export to the laboratory information system", "Billing"} {
		b.visit("/clients")
		b.fill(map[string]string{"client-name": name})
		b.press("form.form button[type=submit]", "[data-testid=key]")
		if !strings.HasSuffix(b.location(), "/clients/created") {
			t.Fatalf("after Create key: %s", b.location())
		}
	}
	fits("the new key page")
	b.shot("client-key-390px")
	key := b.text("[data-testid=key]")
	copied, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => {
		let got = "";
		// The headless browser has no clipboard to read back: record the write.
		navigator.clipboard.writeText = async (s) => { got = s; };
		document.querySelector("[data-testid=copy-key]").click();
		await new Promise(r => setTimeout(r, 50));
		return got + "|" + document.querySelector("[data-testid=copy-key]").textContent;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || copied != key+"|Copied" {
		t.Fatalf("Copy: %q %v", copied, err)
	}

	b.visit("/clients/created")
	if !strings.HasSuffix(b.location(), "/clients") || strings.Contains(b.text("main"), key) {
		t.Fatal("a reload showed the key again")
	}
	fits("the API clients list")
	// Every column is on screen, not behind a sideways scroll.
	cut, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("[data-testid=client-row] td")].filter(td => td.getBoundingClientRect().right > window.innerWidth + 1).length`))
	if err != nil || cut != 0 {
		t.Fatalf("%d client table cells are cut off at 390 px (%v)", cut, err)
	}
	b.shot("clients-390px")
}
