package index_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
	"github.com/tokendesk/tokendesk/internal/token"
)

// unreachable is the database as the index sees it when it goes away
// right after a commit: every read the index makes fails.
type unreachable struct {
	*store.Store
	down atomic.Bool
}

var errDown = errors.New("database unavailable")

func (u *unreachable) ClientByHash(ctx context.Context, hash string) (store.Client, error) {
	if u.down.Load() {
		return store.Client{}, errDown
	}
	return u.Store.ClientByHash(ctx, hash)
}

func (u *unreachable) ResolveToken(ctx context.Context, appID int64, name string) (token.Token, error) {
	if u.down.Load() {
		return token.Token{}, errDown
	}
	return u.Store.ResolveToken(ctx, appID, name)
}

func (u *unreachable) TokenValuesOf(ctx context.Context, id int64, fields []string) (map[string]string, error) {
	if u.down.Load() {
		return nil, errDown
	}
	return u.Store.TokenValuesOf(ctx, id, fields)
}

func (u *unreachable) ChangesSince(ctx context.Context, after int64, limit int) ([]store.ChangeLogEntry, error) {
	if u.down.Load() {
		return nil, errDown
	}
	return u.Store.ChangesSince(ctx, after, limit)
}

func (u *unreachable) ChangesAmong(ctx context.Context, ids []int64) ([]store.ChangeLogEntry, error) {
	if u.down.Load() {
		return nil, errDown
	}
	return u.Store.ChangesAmong(ctx, ids)
}

func (u *unreachable) LatestChange(ctx context.Context) (int64, error) {
	if u.down.Load() {
		return 0, errDown
	}
	return u.Store.LatestChange(ctx)
}

// Issue 20 item 3: a save this process committed just before the database
// went away does not keep the index from the tokens and keys it holds
// (TestPostgresRestartUnderLoad: every fetch answered 503 for the whole
// outage). What the save changed is forgotten at once, without reading
// the log: a token whose values this process changed is not served stale.
func TestOwnCommitsApplyWithoutTheDatabase(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db string) {
		ctx := context.Background()
		st := openStore(t, storetest.DatabaseURL(t, db))
		src := &unreachable{Store: st}
		ix := index.New(src, nil, nil)

		a, err := st.CreateToken(ctx, redox("Steady", "steady-1"), "test")
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.CreateToken(ctx, redox("Changing", "changing-1"), "test")
		if err != nil {
			t.Fatal(err)
		}
		cl, key, err := st.CreateClient(ctx, 0, "Load", "test")
		if err != nil {
			t.Fatal(err)
		}
		hash := sha256.Sum256([]byte(key))
		if _, err := ix.Client(ctx, hash); err != nil {
			t.Fatal(err)
		}
		accessToken(t, ix, 0, "Steady")
		accessToken(t, ix, 0, "Changing")

		// Saves commit, then the database is gone for the index.
		if _, err := st.CreateToken(ctx, redox("Saved 1", "saved"), "test"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.UpdateToken(ctx, b.ID, b.Version, token.Change{Provider: "redox", Name: "Changing", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"access_token": "changing-2"}, ForgetExpiry: true}, "test"); err != nil {
			t.Fatal(err)
		}
		src.down.Store(true)

		got, err := ix.Client(ctx, hash)
		if err != nil || got.ID != cl.ID {
			t.Fatalf("the client key after a save, database away: %v %v", got.ID, err)
		}
		tok, err := ix.Resolve(ctx, 0, "Steady")
		if err != nil || tok.ID != a.ID || tok.Values["access_token"] != "steady-1" {
			t.Fatalf("the token held, after a save and with the database away: %v", err)
		}
		if tok, err := ix.Resolve(ctx, 0, "Changing"); err == nil {
			t.Fatalf("the token this process changed is served as it was: %q", tok.Values["access_token"])
		}

		src.down.Store(false)
		if got := accessToken(t, ix, 0, "Changing"); got != "changing-2" {
			t.Fatalf("after the database is back: %q", got)
		}
		if got := accessToken(t, ix, 0, "saved 1"); got != "saved" {
			t.Fatalf("the new token: %q", got)
		}
	})
}

// A rename, a move into an app and a deletion by this process forget
// exactly the names they affect.
func TestOwnRenamesAndDeletesForgetTheirNames(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "t.db"))
	ix := index.New(st, nil, nil)
	app, err := st.CreateApp(ctx, "Alpha", "process", nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.CreateToken(ctx, redox("Old Name", "a"), "test")
	if err != nil {
		t.Fatal(err)
	}
	if got := accessToken(t, ix, app.ID, "Old Name"); got != "a" {
		t.Fatalf("before: %q", got)
	}
	if got := accessToken(t, ix, app.ID, "New Name"); got != "(none)" {
		t.Fatalf("before: %q", got)
	}
	if _, _, err := st.UpdateToken(ctx, a.ID, a.Version, token.Change{Provider: "redox", Name: "New Name", Encrypted: true, Rate: token.Disabled}, "test"); err != nil {
		t.Fatal(err)
	}
	if got := accessToken(t, ix, app.ID, "Old Name"); got != "(none)" {
		t.Fatalf("the old name after a rename: %q", got)
	}
	if got := accessToken(t, ix, app.ID, "new name"); got != "a" {
		t.Fatalf("the new name after a rename: %q", got)
	}
	if _, err := st.DeleteTokens(ctx, 0, []int64{a.ID}, "test"); err != nil {
		t.Fatal(err)
	}
	if got := accessToken(t, ix, app.ID, "New Name"); got != "(none)" {
		t.Fatalf("after deleting it: %q", got)
	}
}
