package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// tokendesk key rotate against a running server on the same database: a
// new data key, every value re-sealed with progress printed, the old key
// retired, and the server goes on opening every value without a restart.
func TestKeyRotateWhileTheServerRuns(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_ADMIN_EMAIL": "ada@example.com", "TOKENDESK_ADMIN_PASSWORD": "correct horse battery"}
	inst, err := start(t, env)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()
	b := newBrowser(t)
	b.post(inst.base+"/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}}, inst.base+"/login")
	form := url.Values{"name": {"Sealed"}, "environment": {"development"}, "api_key": {"k1"}, "secret": {"the-secret"}, "renewal_rate": {"disabled"}}
	b.post(inst.base+"/tokens/new/redox", form, inst.base+"/tokens/new/redox")
	// The server has opened the values under key 1 already.
	edit := url.Values{"name": {"Sealed"}, "environment": {"development"}, "api_key": {"k1"}, "renewal_rate": {"disabled"}, "version": {"1"}, "description": {"before"}}
	if resp := b.post(inst.base+"/tokens/1", edit, inst.base+"/tokens/1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit before rotating: %d", resp.StatusCode)
	}

	// Settings → Rotate key: the server's own background re-seal moves
	// every value to key 2.
	if resp := b.post(inst.base+"/settings/key/rotate", url.Values{}, inst.base+"/settings/key/rotate"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate from settings: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, doc := b.get(inst.base + "/settings")
		if strings.Contains(doc.Find("[data-testid=rotation-progress]").Text(), "Re-sealing: 3 of 3 values") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not re-seal: %q", doc.Find("[data-testid=keyring]").Text())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The command carries on the rotation the server runs, and retires key 1.
	var out bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"key", "rotate", "--retire-after", "0s"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"A key rotation is already under way; carrying it on.",
		"Re-sealing: 3 of 3 values",
		"Retired key 1",
		"Done. Key 2 seals all 3 value(s).",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// A rotation started from the command line, the server running.
	out.Reset()
	if err := run(context.Background(), []string{"key", "rotate", "--retire-after", "0s"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Key 3 is now the key for new values",
		"Re-sealing: 3 of 3 values",
		"Retired key 2",
		"Done. Key 3 seals all 3 value(s).",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The running server opens the values re-sealed by the command (loading
	// key 3 on first use) and seals its next write under key 3.
	edit.Set("version", "2")
	edit.Set("description", "after")
	edit.Set("secret", "a-new-secret")
	if resp := b.post(inst.base+"/tokens/1", edit, inst.base+"/tokens/1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit after rotating: %d\n%s", resp.StatusCode, inst.logs.String())
	}
	_, doc := b.get(inst.base + "/settings")
	if rows := doc.Find("[data-testid=key-row]"); rows.Length() != 1 || !strings.Contains(rows.Text(), "key 3") {
		t.Errorf("keys after the edit %q", rows.Text())
	}
	if got := doc.Find("[data-testid=key-current]").Text(); !strings.Contains(got, "key 3") {
		t.Errorf("settings show current key %q", got)
	}
	if strings.Contains(inst.logs.String(), "the-secret") || strings.Contains(out.String(), "the-secret") {
		t.Fatal("a secret reached a log or the output")
	}
}
