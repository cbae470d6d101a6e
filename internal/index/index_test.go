package index_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/provider"
	redoxp "github.com/tokendesk/tokendesk/internal/provider/redox"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
	"github.com/tokendesk/tokendesk/internal/token"
)

func openStore(t *testing.T, path string) *store.Store {
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

func redox(name, access string) token.Change {
	return token.Change{Provider: "redox", Name: name, Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"api_key": "k", "secret": "s", "access_token": access}}
}

// accessToken is what the index answers for name to an app's client.
func accessToken(t *testing.T, ix *index.Index, appID int64, name string) string {
	t.Helper()
	tok, err := ix.Resolve(context.Background(), appID, name)
	if errors.Is(err, store.ErrNotFound) {
		return "(none)"
	}
	if err != nil {
		t.Fatal(err)
	}
	return tok.Values["access_token"]
}

// Every kind of write is visible to the very next lookup in the same
// process, without waiting for the poll.
func TestNextLookupSeesThisProcessWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db string) {
		ctx := context.Background()
		st := openStore(t, storetest.DatabaseURL(t, db))
		ix := index.New(st, nil, nil)

		app, err := st.CreateApp(ctx, "Alpha", "process", nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.CreateApp(ctx, "Beta", "process", nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		global, err := st.CreateToken(ctx, redox("Feed", "global-1"), "test")
		if err != nil {
			t.Fatal(err)
		}
		if got := accessToken(t, ix, app.ID, "Feed"); got != "global-1" {
			t.Fatalf("before: %q", got)
		}

		// A renewal.
		now := time.Now()
		c, err := st.ClaimOne(ctx, global.ID, "w", now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SaveRenewal(ctx, c, token.FromGrant(redoxp.Provider, provider.Grant{AccessToken: "global-2", ExpiresAt: now.Add(time.Hour)}), now); err != nil {
			t.Fatal(err)
		}
		if got := accessToken(t, ix, app.ID, "Feed"); got != "global-2" {
			t.Fatalf("after a renewal: %q", got)
		}

		// An app token of the same name now shadows the global one.
		own, err := st.CreateToken(ctx, token.Change{AppID: app.ID, Provider: "redox", Name: "Feed", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"api_key": "k", "secret": "s", "access_token": "own"}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if got := accessToken(t, ix, app.ID, "feed"); got != "own" {
			t.Fatalf("shadowing: %q", got)
		}

		// Permission settings that leave Beta out.
		if got := accessToken(t, ix, other.ID, "Feed"); got != "global-2" {
			t.Fatalf("Beta before: %q", got)
		}
		if err := st.SetTokenPermissions(ctx, global.ID, store.Access{Restricted: true, Apps: []int64{app.ID}}, "test"); err != nil {
			t.Fatal(err)
		}
		if got := accessToken(t, ix, other.ID, "Feed"); got != "(none)" {
			t.Fatalf("Beta after permissions: %q", got)
		}

		// Deleting the app takes its token; nothing answers for it any more.
		if _, err := st.DeleteApp(ctx, app.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if got := accessToken(t, ix, app.ID, "Feed"); got == "own" {
			t.Fatalf("token %d of a deleted app still answers", own.ID)
		}
	})
}

// A write by another process (another Store on the same database) is seen
// once the change log is read, and only what it names is forgotten.
func TestSyncSeesOtherProcessWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db string) {
		ctx := context.Background()
		path := storetest.DatabaseURL(t, db)
		mine, theirs := openStore(t, path), openStore(t, path)
		ix := index.New(mine, nil, nil)

		a, err := mine.CreateToken(ctx, redox("A", "a-1"), "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mine.CreateToken(ctx, redox("B", "b-1"), "test"); err != nil {
			t.Fatal(err)
		}
		accessToken(t, ix, 0, "A")
		accessToken(t, ix, 0, "B")
		if s := ix.Stats(); s.Tokens != 2 {
			t.Fatalf("index holds %+v", s)
		}

		if _, _, err := theirs.UpdateToken(ctx, a.ID, a.Version, token.Change{Provider: "redox", Name: "A", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"access_token": "a-2"}, ForgetExpiry: true}, "other"); err != nil {
			t.Fatal(err)
		}
		if got := accessToken(t, ix, 0, "A"); got != "a-1" {
			t.Fatalf("the other process's write cannot be known before the log is read: %q", got)
		}
		if err := ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if s := ix.Stats(); s.Tokens != 1 {
			t.Fatalf("a value change should forget that token only: %+v", s)
		}
		if got := accessToken(t, ix, 0, "A"); got != "a-2" {
			t.Fatalf("after Sync: %q", got)
		}
	})
}

// Names no token can have are looked up but never remembered, so made-up
// names cannot fill the index.
func TestMadeUpLongNamesAreNotRemembered(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "t.db"))
	ix := index.New(st, nil, nil)
	long := strings.Repeat("x", 4096)
	for i := range 10 {
		if _, err := ix.Resolve(context.Background(), 0, fmt.Sprint(i, long)); !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	accessToken(t, ix, 0, "Short And Missing")
	if s := ix.Stats(); s.Names != 2 { // the short miss, folded and as asked
		t.Fatalf("index holds %+v", s)
	}
}

// lateCommits is the database as PostgreSQL shows it: a transaction takes
// its change's id when it writes, and the change is seen only when it
// commits, possibly after later ids. Hidden ids are not committed yet.
type lateCommits struct {
	*store.Store
	hidden map[int64]bool
}

func (l *lateCommits) visible(cs []store.ChangeLogEntry) []store.ChangeLogEntry {
	var out []store.ChangeLogEntry
	for _, c := range cs {
		if !l.hidden[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

func (l *lateCommits) ChangesSince(ctx context.Context, after int64, limit int) ([]store.ChangeLogEntry, error) {
	cs, err := l.Store.ChangesSince(ctx, after, limit)
	return l.visible(cs), err
}

func (l *lateCommits) ChangesAmong(ctx context.Context, ids []int64) ([]store.ChangeLogEntry, error) {
	cs, err := l.Store.ChangesAmong(ctx, ids)
	return l.visible(cs), err
}

// A change committed after a later one (another replica's transaction
// that took longer) is still seen: the ids skipped are looked for again.
func TestAChangeCommittedLateIsNotMissed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	mine, theirs := openStore(t, path), openStore(t, path)
	src := &lateCommits{Store: mine, hidden: map[int64]bool{}}
	ix := index.New(src, nil, nil)

	a, err := mine.CreateToken(ctx, redox("A", "a-1"), "test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := mine.CreateToken(ctx, redox("B", "b-1"), "test")
	if err != nil {
		t.Fatal(err)
	}
	accessToken(t, ix, 0, "A")
	accessToken(t, ix, 0, "B")

	update := func(tok token.Token, access string) (first, last int64) {
		t.Helper()
		before, _ := theirs.LatestChange(ctx)
		if _, _, err := theirs.UpdateToken(ctx, tok.ID, tok.Version, token.Change{Provider: "redox", Name: tok.Name, Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"access_token": access}, ForgetExpiry: true}, "other"); err != nil {
			t.Fatal(err)
		}
		after, _ := theirs.LatestChange(ctx)
		return before + 1, after
	}
	// A's change takes its ids first but commits last.
	first, last := update(a, "a-2")
	for id := first; id <= last; id++ {
		src.hidden[id] = true
	}
	update(b, "b-2")
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := accessToken(t, ix, 0, "B"); got != "b-2" {
		t.Fatalf("B after Sync: %q", got)
	}
	clear(src.hidden) // A's transaction commits
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := accessToken(t, ix, 0, "A"); got != "a-2" {
		t.Fatalf("a change committed after a later one was missed: A is still %q", got)
	}
}
