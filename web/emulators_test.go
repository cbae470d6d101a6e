package web

import (
	"net/http/httptest"
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
	for _, e := range registry.Emulators() {
		if len(e.Serves) == 0 {
			continue // reached through URLs typed on its form
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
		if urls[b.Name] == b.Default {
			t.Fatalf("no registered emulator serves the base URL %q (%s): the test server would call the real service", b.Name, b.EnvVar())
		}
	}
}
