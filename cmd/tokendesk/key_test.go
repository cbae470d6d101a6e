package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
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

	var out bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"key", "rotate", "--retire-after", "0s"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Key 2 is now the key for new values",
		"Re-sealing: 0 of 3 values",
		"Re-sealing: 3 of 3 values",
		"Retired key 1",
		"Done. Key 2 seals all 3 value(s).",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The running server opens the re-sealed values (loading key 2 on
	// first use) and seals its next write under key 2.
	edit.Set("version", "2")
	edit.Set("description", "after")
	edit.Set("secret", "a-new-secret")
	if resp := b.post(inst.base+"/tokens/1", edit, inst.base+"/tokens/1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit after rotating: %d\n%s", resp.StatusCode, inst.logs.String())
	}
	_, doc := b.get(inst.base + "/settings")
	if got := doc.Find("[data-testid=key-current]").Text(); !strings.Contains(got, "key 2") {
		t.Errorf("settings show current key %q", got)
	}
	if strings.Contains(inst.logs.String(), "the-secret") || strings.Contains(out.String(), "the-secret") {
		t.Fatal("a secret reached a log or the output")
	}
}
