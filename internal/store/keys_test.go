package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/token"
)

// keyStore opens a store on path under the zero test master key, with a
// clock the test moves.
func keyStore(t *testing.T, path string, now *time.Time) *Store {
	t.Helper()
	box, _ := secret.NewBox(make([]byte, 32))
	s, err := Open(context.Background(), path, box)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return *now }
	t.Cleanup(func() { s.Close() })
	return s
}

// sealedTokens creates n encrypted tokens of three values each, and one
// value sealed the way tokendesk did before data keys (format v1).
func sealedTokens(t *testing.T, s *Store, n int) map[int64]map[string]string {
	t.Helper()
	want := map[int64]map[string]string{}
	for i := range n {
		set := map[string]string{"api_key": fmt.Sprintf("key-%d", i), "secret": fmt.Sprintf("secret-%d", i), "access_token": fmt.Sprintf("at-%d", i)}
		ch := labFeed(set)
		ch.Name = fmt.Sprintf("Feed %d", i)
		tok, err := s.CreateToken(context.Background(), ch, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		want[tok.ID] = set
	}
	var first int64
	for id := range want {
		if first == 0 || id < first {
			first = id
		}
	}
	if _, err := s.write.Exec("UPDATE token_values SET value = ?, key_id = NULL WHERE token_id = ? AND field = 'secret'",
		s.box.Seal([]byte(want[first]["secret"]), valueAAD(first, "secret")), first); err != nil {
		t.Fatal(err)
	}
	return want
}

// everyValueOpens checks each token's values through s.
func everyValueOpens(t *testing.T, s *Store, want map[int64]map[string]string) {
	t.Helper()
	for id, w := range want {
		got, err := s.TokenValues(context.Background(), id)
		if err != nil {
			t.Fatalf("token %d: %v", id, err)
		}
		for k, v := range w {
			if got[k] != v {
				t.Fatalf("token %d %s = %q, want %q", id, k, got[k], v)
			}
		}
	}
}

func keyIDs(t *testing.T, s *Store) []int64 {
	t.Helper()
	kr, err := s.KeyringStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, k := range kr.Keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func TestRotationResealsInBatchesWhileEveryProcessReadsEveryValue(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	a := keyStore(t, path, &now)
	want := sealedTokens(t, a, 20) // 60 values, one of them format v1
	// Another process that has read nothing yet: it must load keys it meets.
	b := keyStore(t, path, &now)

	if ids := keyIDs(t, a); len(ids) != 1 || ids[0] != 1 {
		t.Fatalf("keys before rotating: %v", ids)
	}
	newKey, err := a.StartKeyRotation(ctx, "ada@example.com")
	if err != nil || newKey != 2 {
		t.Fatalf("start: key %d, %v", newKey, err)
	}
	if _, err := a.StartKeyRotation(ctx, "bob@example.com"); !errors.Is(err, ErrRotationRunning) {
		t.Fatalf("a second rotation started: %v", err)
	}
	// A write in the other process seals under the new key at once.
	edit := labFeed(map[string]string{"api_key": "edited"})
	edit.Name = "Feed 3"
	tok, _ := b.TokenByID(ctx, 4)
	if _, _, err := b.UpdateToken(ctx, 4, tok.Version, edit, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	want[4]["api_key"] = "edited"
	if id, _ := secret.KeyIDOf(rawValue(t, a, 4, "api_key")); id != 2 {
		t.Fatalf("an edit during the rotation sealed under key %d", id)
	}

	lastDone := -1
	batches := 0
	for {
		res, err := a.ResealBatch(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		batches++
		// Nothing unreadable at any moment, in either process.
		everyValueOpens(t, a, want)
		everyValueOpens(t, b, want)
		kr, _ := a.KeyringStatus(ctx)
		if r := kr.Rotation; r.Total != 60 || r.Done < lastDone {
			t.Fatalf("progress %d of %d after %d (was %d)", r.Done, r.Total, batches, lastDone)
		} else {
			lastDone = r.Done
		}
		if !res.More {
			break
		}
		if ids := keyIDs(t, a); len(ids) != 2 {
			t.Fatalf("keys while re-sealing: %v", ids)
		}
	}
	// Everything moved; the old key waits out the grace, then goes.
	kr, _ := a.KeyringStatus(ctx)
	if r := kr.Rotation; !r.Running || r.Done != 60 || kr.MasterV1 != 0 || len(kr.Keys) != 2 || kr.Keys[1].Values != 0 || kr.Keys[0].Values != 60 {
		t.Fatalf("after the last batch: %+v %+v", kr, kr.Rotation)
	}
	if res, _ := a.ResealBatch(ctx, 7); !res.Running || len(res.Retired) != 0 {
		t.Fatalf("retired before the grace: %+v", res)
	}
	now = now.Add(DefaultRetireGrace)
	res, err := a.ResealBatch(ctx, 7)
	if err != nil || res.Running || len(res.Retired) != 1 || res.Retired[0] != 1 {
		t.Fatalf("retiring: %+v, %v", res, err)
	}
	if ids := keyIDs(t, a); len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("keys after rotating: %v", ids)
	}
	everyValueOpens(t, a, want)
	everyValueOpens(t, b, want)
	// A process started afterwards opens everything too.
	everyValueOpens(t, keyStore(t, path, &now), want)
	if res, _ := a.ResealBatch(ctx, 7); res.Running {
		t.Fatal("a finished rotation runs on")
	}
	var actions []string
	rows, _ := a.read.Query("SELECT action || ' ' || subject || ': ' || detail FROM audit_log WHERE action LIKE 'key.%' ORDER BY id")
	for rows.Next() {
		var s string
		rows.Scan(&s)
		actions = append(actions, s)
	}
	rows.Close()
	if len(actions) != 2 || actions[0] != "key.rotate.start key 2: 60 values to re-seal" ||
		actions[1] != "key.rotate.finish key 2: values re-sealed under key 2; retired key 1" {
		t.Fatalf("audit %q", actions)
	}
}

func TestRotationResumesAfterACrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	a := keyStore(t, path, &now)
	want := sealedTokens(t, a, 10) // 30 values
	if _, err := a.StartKeyRotation(ctx, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := a.ResealBatch(ctx, 5); err != nil {
			t.Fatal(err)
		}
	}
	a.Close() // the process dies after two batches

	b := keyStore(t, path, &now)
	kr, _ := b.KeyringStatus(ctx)
	if r := kr.Rotation; !r.Running || r.Done != 10 {
		t.Fatalf("after the crash: %+v", r)
	}
	// It goes on from the cursor: 20 values left, 4 batches of 5, then the end of the pass.
	batches := 0
	for {
		res, err := b.ResealBatch(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if res.Resealed > 0 {
			batches++
		}
		if !res.More {
			break
		}
	}
	if batches != 4 {
		t.Fatalf("%d batches after the restart, want 4: the cursor was not kept", batches)
	}
	now = now.Add(DefaultRetireGrace)
	if res, err := b.ResealBatch(ctx, 5); err != nil || len(res.Retired) != 1 {
		t.Fatalf("retiring: %+v, %v", res, err)
	}
	everyValueOpens(t, b, want)
}

// Edits in another process and renewals run while the rotation runs:
// afterwards every value opens and holds what was written last.
func TestRotationNeverClobbersConcurrentEditsOrRenewals(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	a := keyStore(t, path, &now)
	want := sealedTokens(t, a, 30)
	replica := keyStore(t, path, &now)
	a.RetireGrace, replica.RetireGrace = 0, 0
	if _, err := a.StartKeyRotation(ctx, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Add(3)
	go func() { // the rotation, in small batches
		defer wg.Done()
		for {
			res, err := a.ResealBatch(ctx, 3)
			if err != nil {
				errs <- err
				return
			}
			if !res.Running {
				return
			}
		}
	}()
	go func() { // an administrator editing in another process
		defer wg.Done()
		for round := range 3 {
			for id := int64(1); id <= 30; id += 2 {
				tok, err := replica.TokenByID(ctx, id)
				if err != nil {
					errs <- err
					return
				}
				v := fmt.Sprintf("edited-%d-%d", id, round)
				ch := labFeed(map[string]string{"secret": v})
				ch.Name = tok.Name
				if _, _, err := replica.UpdateToken(ctx, id, tok.Version, ch, "bob@example.com"); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				want[id]["secret"] = v
				mu.Unlock()
			}
		}
	}()
	go func() { // the renewal worker
		defer wg.Done()
		for round := range 3 {
			for id := int64(2); id <= 30; id += 2 {
				c, err := a.ClaimOne(ctx, id, "worker", writesT0, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				v := fmt.Sprintf("renewed-%d-%d", id, round)
				ch := token.Change{Set: map[string]string{"access_token": v}, Renewable: true,
					Grant: &provider.Grant{AccessToken: v, ExpiresAt: writesT0.Add(time.Hour)}}
				if err := a.SaveRenewal(ctx, c, ch, writesT0); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				want[id]["access_token"] = v
				mu.Unlock()
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Should the rotation have drained before the last writes, nothing is left anyway.
	for {
		res, err := replica.ResealBatch(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Running {
			break
		}
	}
	fresh := keyStore(t, path, &now)
	everyValueOpens(t, fresh, want)
	everyValueOpens(t, replica, want)
	if ids := keyIDs(t, fresh); len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("keys after rotating: %v", ids)
	}
	kr, _ := fresh.KeyringStatus(ctx)
	if kr.Keys[0].Values != 90 || kr.MasterV1 != 0 {
		t.Fatalf("values under the new key: %+v", kr)
	}
}

// A key in use cannot be deleted, whatever the rotation's bookkeeping says.
func TestAKeyInUseCannotBeDeleted(t *testing.T) {
	now := writesT0
	s := keyStore(t, filepath.Join(t.TempDir(), "tokendesk.db"), &now)
	sealedTokens(t, s, 1)
	if _, err := s.write.Exec("DELETE FROM data_keys WHERE id = 1"); err == nil {
		t.Fatal("deleted the key that seals values")
	}
}

// A store opened under the wrong master key makes no data key: the first
// start with the right key must not find one it cannot unwrap.
func TestWrongMasterKeyMakesNoDataKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	s := keyStore(t, path, &now)
	if err := s.VerifyMasterKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec("DELETE FROM data_keys"); err != nil { // as a database from before data keys
		t.Fatal(err)
	}
	s.Close()
	wrong, _ := secret.NewBox(secret.GenerateKey())
	w, err := Open(ctx, path, wrong)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.VerifyMasterKey(ctx); !errors.Is(err, secret.ErrWrongKey) {
		t.Fatalf("wrong key: %v", err)
	}
	var n int
	w.read.QueryRow("SELECT count(*) FROM data_keys").Scan(&n)
	if n != 0 {
		t.Fatal("a data key was wrapped under the wrong master key")
	}
	right := keyStore(t, path, &now)
	if ids := keyIDs(t, right); len(ids) != 1 {
		t.Fatalf("keys under the right master key: %v", ids)
	}
}

// An edit and a renewal that land between a batch's read and its write
// win: the batch leaves those values alone, and they were sealed under
// the new key anyway.
func TestResealLosesToAnEditOrRenewalBetweenReadAndWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	a := keyStore(t, path, &now)
	want := sealedTokens(t, a, 2)
	replica := keyStore(t, path, &now)
	if _, err := a.StartKeyRotation(ctx, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	a.beforeResealWrite = func() {
		a.beforeResealWrite = nil
		tok, _ := replica.TokenByID(ctx, 1)
		ch := labFeed(map[string]string{"secret": "typed during the rotation"})
		ch.Name = tok.Name
		if _, _, err := replica.UpdateToken(ctx, 1, tok.Version, ch, "bob@example.com"); err != nil {
			t.Error(err)
		}
		c, err := a.ClaimOne(ctx, 2, "worker", now, time.Minute)
		if err != nil {
			t.Error(err)
			return
		}
		if err := a.SaveRenewal(ctx, c, token.Change{Set: map[string]string{"access_token": "renewed during the rotation"}, Renewable: true,
			Grant: &provider.Grant{AccessToken: "renewed during the rotation", ExpiresAt: now.Add(time.Hour)}}, now); err != nil {
			t.Error(err)
		}
	}
	res, err := a.ResealBatch(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resealed != 4 {
		t.Fatalf("re-sealed %d of the 6 values; the 2 rewritten meanwhile must be left alone", res.Resealed)
	}
	want[1]["secret"] = "typed during the rotation"
	want[2]["access_token"] = "renewed during the rotation"
	everyValueOpens(t, keyStore(t, path, &now), want)
}

// A value that opens with no key (tampered) keeps its key alive: the
// rotation says how many are stuck and finishes once they are gone.
func TestAValueThatDoesNotOpenKeepsItsKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	s := keyStore(t, path, &now)
	want := sealedTokens(t, s, 3)
	// Token 2's secret moved onto its api_key: it no longer opens there.
	if _, err := s.write.Exec(`UPDATE token_values SET value = (SELECT value FROM token_values WHERE token_id = 2 AND field = 'secret'),
		key_id = (SELECT key_id FROM token_values WHERE token_id = 2 AND field = 'secret') WHERE token_id = 2 AND field = 'api_key'`); err != nil {
		t.Fatal(err)
	}
	s.RetireGrace = 0
	if _, err := s.StartKeyRotation(ctx, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	for range 5 { // several passes
		if _, err := s.ResealBatch(ctx, 100); err != nil {
			t.Fatal(err)
		}
	}
	kr, _ := s.KeyringStatus(ctx)
	if r := kr.Rotation; !r.Running || r.Stuck != 1 || r.Done != 8 || len(kr.Keys) != 2 || kr.Keys[1].Values != 1 {
		t.Fatalf("with a value that does not open: %+v %+v", kr, kr.Rotation)
	}
	// Removing its token (nothing can open it) lets the rotation end.
	if _, err := s.DeleteTokens(ctx, 0, []int64{2}, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	delete(want, 2)
	for {
		res, err := s.ResealBatch(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Running {
			break
		}
	}
	if ids := keyIDs(t, s); len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("keys: %v", ids)
	}
	everyValueOpens(t, s, want)
}

// A new master key re-wraps the data keys (and moves format v1 values to
// a data key); the values themselves stay as they are.
func TestChangeMasterKeyRewrapsDataKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	s := keyStore(t, path, &now)
	if err := s.VerifyMasterKey(ctx); err != nil {
		t.Fatal(err)
	}
	want := sealedTokens(t, s, 2)
	untouched := rawValue(t, s, 2, "secret")
	hook, err := s.CreateWebhook(ctx, "https://hooks.example.com/td", []string{EventTokenChanged}, "whsec_b2xkLXNpZ25pbmcta2V5LTEyMzQ1Njc4OQ==", "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// Rotated: the old secret is kept for a day, and must move too.
	if err := s.RotateWebhookSecret(ctx, hook, "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ1Ng==", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	nextKey := secret.GenerateKey()
	next, _ := secret.NewBox(nextKey)
	keys, moved, err := s.ChangeMasterKey(ctx, next, "tokendesk key rotate --master")
	if err != nil || keys != 1 || moved != 1 {
		t.Fatalf("changed %d keys, moved %d values: %v", keys, moved, err)
	}
	if string(rawValue(t, s, 2, "secret")) != string(untouched) {
		t.Fatal("a value under a data key was re-sealed")
	}
	s.Close()
	n, err := Open(ctx, path, next)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.VerifyMasterKey(ctx); err != nil {
		t.Fatalf("the new master key: %v", err)
	}
	everyValueOpens(t, n, want)
	// The webhook's signing secret, sealed straight under the master key,
	// moved with it.
	var sealed []byte
	if err := n.read.QueryRowContext(ctx, "SELECT secret FROM webhooks WHERE id = ?", hook).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if plain, err := n.box.Open(sealed, webhookAAD(hook)); err != nil || string(plain) != "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ1Ng==" {
		t.Fatalf("the webhook secret under the new master key: %q, %v", plain, err)
	}
	if err := n.read.QueryRowContext(ctx, "SELECT previous_secret FROM webhooks WHERE id = ?", hook).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if plain, err := n.box.Open(sealed, previousWebhookAAD(hook)); err != nil || string(plain) != "whsec_b2xkLXNpZ25pbmcta2V5LTEyMzQ1Njc4OQ==" {
		t.Fatalf("the kept previous secret under the new master key: %q, %v", plain, err)
	}
	old := keyStore(t, path, &now)
	if err := old.VerifyMasterKey(ctx); !errors.Is(err, secret.ErrWrongKey) {
		t.Fatalf("the old master key: %v", err)
	}
}

// The settings page and the end of each pass count values per key from
// the index on key_id, never by reading every value.
func TestKeyCountsUseTheKeyIndex(t *testing.T) {
	s := openTest(t)
	for name, q := range map[string]string{
		"per key":   "SELECT key_id, count(*) FROM token_values WHERE key_id IS NOT NULL GROUP BY key_id",
		"v1":        "SELECT count(*) FROM token_values WHERE key_id IS NULL AND sealed = 1",
		"remaining": remainingQuery,
	} {
		if p := plan(t, s, q, 2); !strings.Contains(p, "token_values_key") || strings.Contains(p+"; ", "SCAN token_values; ") {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// A process that has not loaded the data key yet (a replica just started)
// opening many tokens' values at once: each read must not hold a pooled
// connection while it waits for another to load the key, or with every
// connection held that way the reads wait for ever.
func TestManyFirstReadsUnderANewKeyDoNotExhaustThePool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	now := writesT0
	want := sealedTokens(t, keyStore(t, path, &now), 8)
	for round := range 20 {
		other := keyStore(t, path, &now) // an empty keyring, as a new process
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var wg sync.WaitGroup
		errs := make(chan error, 8*len(want))
		for range 8 {
			for id := range want {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := other.TokenValues(ctx, id); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		cancel()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
		other.Close()
	}
}
