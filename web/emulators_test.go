package web

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// pointAtEmulators points every base URL the registered providers declare
// at the registered emulator serving it: started lists the emulators the
// test server has already started (with the tests' own credentials) by
// name; any other registered emulator is started here with its demo
// credentials, so a provider added to the registry is wired without being
// named in the tests.
func pointAtEmulators(t testing.TB, urls map[string]string, started map[string]string) {
	t.Helper()
	noDefault := map[string]bool{}
	for _, b := range registry.BaseURLs() {
		noDefault[b.Name] = b.Default == ""
	}
	for _, e := range registry.Emulators() {
		if !slices.ContainsFunc(e.Serves, func(n string) bool { return !noDefault[n] }) {
			// Reached through URLs typed on its form, or standing in for
			// many hosts (the OAuth catalogue's vendors) that the tests
			// route themselves (catalogueRoute).
			continue
		}
		base, ok := started[e.Name]
		if !ok {
			hs := httptest.NewUnstartedServer(nil)
			base = "http://" + hs.Listener.Addr().String()
			demo := e.Demo(base, "http://127.0.0.1/oauth/callback")
			hs.Config.Handler = demo.Handler
			hs.Start()
			t.Cleanup(func() { hs.Close(); demo.Close() })
		}
		for _, name := range e.Serves {
			urls[name] = base
		}
	}
	for _, b := range registry.BaseURLs() {
		if urls[b.Name] == b.Default && !noDefault[b.Name] {
			t.Fatalf("no registered emulator serves the base URL %q (%s): the test server would call the real service", b.Name, b.EnvVar())
		}
	}
}
