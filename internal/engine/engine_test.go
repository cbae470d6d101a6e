package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/engine"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	return openStoreAt(t, filepath.Join(t.TempDir(), "t.db"))
}

// createLabFeed stores the global Redox token "Lab Feed", renewal off,
// whose access token is access.
func createLabFeed(t *testing.T, st *store.Store, access string) {
	t.Helper()
	if _, err := st.CreateToken(context.Background(), token.Change{Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"environment": "development", "api_key": "k", "secret": "s", "access_token": access}}, "test"); err != nil {
		t.Fatal(err)
	}
}

// openStoreAt opens the database at path, as one more process would.
func openStoreAt(t *testing.T, path string) *store.Store {
	t.Helper()
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), path, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func refusalOf(t *testing.T, err error) *engine.Refusal {
	t.Helper()
	var ref *engine.Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return ref
}

// Issue 20 item 3: the runtime API answers without HTTP. A fetch is a
// key and a name in, the answer's bytes or a refusal (status, code,
// message and the headers that go with it) out; the read audit and the
// refusal log count it as the HTTP API always did.
func TestFetchWithoutHTTP(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	createLabFeed(t, st, "live <&>")
	_, key, err := st.CreateClient(ctx, 0, "Feeder", "test")
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Store: st, Now: func() time.Time { return now }, RateLimit: 1})

	body, err := e.Fetch(ctx, engine.Request{Authorization: "Bearer " + key, Name: "lab feed", Address: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if got["access_token"] != "live <&>" || got["name"] != "Lab Feed" || got["scope"] != "global" || got["expires_at"] == nil {
		t.Fatalf("answer %s", body)
	}

	ref := refusalOf(t, fetchErr(e, engine.Request{Name: "Lab Feed"}))
	if ref.Status != http.StatusUnauthorized || ref.WWWAuthenticate != `Bearer realm="tokendesk"` {
		t.Fatalf("no key: %+v", ref)
	}
	ref = refusalOf(t, fetchErr(e, engine.Request{Authorization: "Bearer tdk_madeup", Name: "Lab Feed"}))
	if ref.Status != http.StatusUnauthorized || ref.WWWAuthenticate != `Bearer realm="tokendesk", error="invalid_token"` {
		t.Fatalf("bad key: %+v", ref)
	}
	ref = refusalOf(t, fetchErr(e, engine.Request{Authorization: "Bearer " + key, Name: "Nothing"}))
	if ref.Status != http.StatusNotFound || ref.Code != "not_found" || ref.Message != "No access token named “Nothing” is available to this client." {
		t.Fatalf("unknown name: %+v", ref)
	}
	// A limit of 1 a second allows a burst of 2: the third fetch waits.
	ref = refusalOf(t, fetchErr(e, engine.Request{Authorization: "Bearer " + key, Name: "Lab Feed"}))
	if ref.Status != http.StatusTooManyRequests || ref.RetryAfter() != "1" {
		t.Fatalf("over the limit: %+v %q", ref, ref.RetryAfter())
	}
	if want := `{"error":{"code":"rate_limited","message":"Too many requests with this key; the limit is 1 a second. Retry after the time in Retry-After."}}` + "\n"; string(ref.Body()) != want {
		t.Fatalf("body %s", ref.Body())
	}

	if err := e.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	refused, _, err := st.Refusals(ctx, store.ReadFilter{}, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, r := range refused {
		reasons[r.Reason] = true
		if r.Address != "" && r.Address != "192.0.2.1" {
			t.Fatalf("address %q", r.Address)
		}
	}
	for _, want := range []string{store.RefusedMissingKey, store.RefusedBadKey, store.RefusedNotFound, store.RefusedRateLimited} {
		if !reasons[want] {
			t.Fatalf("no %q in the refusal log: %+v", want, refused)
		}
	}
}

func fetchErr(e *engine.Engine, r engine.Request) error {
	_, err := e.Fetch(context.Background(), r)
	return err
}

// A key a fetch has used stops working at once when it is revoked, by
// this process or by another sharing the database (once the index has
// read the change log): what a fetch remembers of a key (the client and
// its limiter, keys.go) lasts one generation of the index.
func TestARevokedKeyStopsWorkingEverywhere(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	here, there := openStoreAt(t, path), openStoreAt(t, path)
	createLabFeed(t, here, "live")
	mine, key1, err := here.CreateClient(ctx, 0, "Here", "test")
	if err != nil {
		t.Fatal(err)
	}
	theirs, key2, err := here.CreateClient(ctx, 0, "There", "test")
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Store: here, RateLimit: 1000})
	for _, key := range []string{key1, key2, key1, key2} {
		if _, err := e.Fetch(ctx, engine.Request{Authorization: "Bearer " + key, Name: "Lab Feed"}); err != nil {
			t.Fatal(err)
		}
	}
	revoked := func(key string) bool {
		_, err := e.Fetch(ctx, engine.Request{Authorization: "Bearer " + key, Name: "Lab Feed"})
		var ref *engine.Refusal
		return errors.As(err, &ref) && ref.Status == http.StatusUnauthorized
	}

	if _, err := here.RevokeClient(ctx, 0, mine.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if !revoked(key1) || revoked(key2) {
		t.Fatal("revoked here: the revoked key still works, or the other stopped")
	}
	if _, err := there.RevokeClient(ctx, 0, theirs.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if err := e.Index.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if !revoked(key2) {
		t.Fatal("revoked by another process: the key still works after the index read the log")
	}
}
