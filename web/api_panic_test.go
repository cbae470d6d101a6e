package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// panickingRenewer stands for a bug on the fetch path: renewing on a
// consumer's behalf panics.
type panickingRenewer struct{}

func (panickingRenewer) RenewNow(context.Context, int64) error { panic("renewal exploded") }
func (panickingRenewer) Wake()                                 {}

// A panic on the runtime API's fast path is what it is on every other
// route (Echo's Recover): a 500 in the API's JSON, with nothing of the
// panic in the answer, and the panic with its stack in the log, where
// whoever mends it looks. Here it comes from renewing on the consumer's
// behalf (provider code): its single flight logs the stack where it
// panicked, and the handler's recover its own (serveFetch.func1), as for
// a panic anywhere on the path.
func TestAFetchThatPanicsIsA500WithItsStackLogged(t *testing.T) {
	ts := newTestServer(t, func(d *testSetup) { d.Renewer = panickingRenewer{} })
	ts.redox.SetTTL(300 * time.Second)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	key := createClient(t, ts, "/clients", "Feeder")
	ts.clock.Advance(time.Hour) // its access token has expired: the fetch renews it

	a := apiGet(t, ts, key, "Lab Feed")
	if a.Status != http.StatusInternalServerError || a.Error.Code == "" {
		t.Fatalf("a panicking fetch answered %d %+v", a.Status, a.Error)
	}
	if strings.Contains(a.Error.Message, "exploded") || strings.Contains(a.Error.Message, "goroutine") {
		t.Errorf("the answer tells of the panic: %q", a.Error.Message)
	}
	logs := ts.logs.String()
	for _, want := range []string{"[PANIC RECOVER] renewal exploded", "panickingRenewer.RenewNow", "web.(*Server).serveFetch.func1("} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	// The server goes on serving.
	if a := apiGet(t, ts, key, "No Such Token"); a.Status != http.StatusNotFound {
		t.Errorf("after the panic: %d", a.Status)
	}
}
