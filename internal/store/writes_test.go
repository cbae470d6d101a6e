package store

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// These tests are the contract of a token's writes (create, edit, renewal,
// delete): a second database must pass them as SQLite does.

var writesT0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// clockedStore is a store on real SQLite whose clock the test moves.
func clockedStore(t *testing.T) (*Store, *time.Time) {
	t.Helper()
	s := openTest(t)
	now := writesT0
	s.Now = func() time.Time { return now }
	return s, &now
}

func labFeed(set map[string]string) token.Change {
	return token.Change{Provider: "redox", Name: "Lab Feed", Description: "lab results", Encrypted: true, Rate: "1h",
		Renewable: true, Set: set}
}

// audited is the token's audit trail: action and fields of each entry.
func audited(t *testing.T, s *Store, id int64) []string {
	t.Helper()
	rows, err := s.read.Query("SELECT action, fields, actor FROM audit_log WHERE token_id = ? ORDER BY id", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var action, fields, actor string
		if err := rows.Scan(&action, &fields, &actor); err != nil {
			t.Fatal(err)
		}
		out = append(out, action+" "+fields+" by "+actor)
	}
	return out
}

// rawValue is a value as it lies in the database.
func rawValue(t *testing.T, s *Store, id int64, field string) []byte {
	t.Helper()
	var v []byte
	if err := s.read.QueryRow("SELECT value FROM token_values WHERE token_id = ? AND field = ?", id, field).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func values(t *testing.T, s *Store, id int64) map[string]string {
	t.Helper()
	v, err := s.TokenValues(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCreateTokenStoresSealedValuesAndAudits(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := clockedStore(t)
		expires := writesT0.Add(time.Hour)
		ch := labFeed(map[string]string{"api_key": "key-1", "secret": "s3cret-value", "access_token": "a-1", "environment": ""})
		ch.Grant = &provider.Grant{AccessToken: "a-1", ExpiresAt: expires}

		tok, err := s.CreateToken(ctx, ch, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if tok.Name != "Lab Feed" || tok.Version != 1 || tok.CreatedBy != "ada@example.com" || !tok.ExpiresAt.Equal(expires) ||
			!tok.LastRenewedAt.Equal(writesT0) {
			t.Fatalf("token %+v", tok)
		}
		// Renewed now and expiring in an hour: due 5 minutes before expiry.
		if want := expires.Add(-token.ExpiryMargin); !tok.NextRenewalAt.Equal(want) {
			t.Fatalf("next renewal %v, want %v", tok.NextRenewalAt, want)
		}
		if got := values(t, s, tok.ID); got["secret"] != "s3cret-value" || got["access_token"] != "a-1" || got["api_key"] != "key-1" {
			t.Fatalf("values %v", got)
		}
		if raw := rawValue(t, s, tok.ID, "secret"); bytes.Contains(raw, []byte("s3cret-value")) {
			t.Fatal("an encrypted token's secret lies in the database in plain text")
		}
		if _, ok := tok.Stored["secret"]; !ok {
			t.Fatalf("stored stamps %v", tok.Stored)
		}
		// Fields, never values; empty values are not news.
		if got, want := audited(t, s, tok.ID), []string{"token.create name,description,access_token,api_key,secret by ada@example.com"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("audit %q, want %q", got, want)
		}

		plain := labFeed(map[string]string{"api_key": "key-2"})
		plain.Name, plain.Encrypted = "Plain Feed", false
		p, err := s.CreateToken(ctx, plain, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if raw := rawValue(t, s, p.ID, "api_key"); string(raw) != "key-2" {
			t.Fatalf("a plain-text token's value lies as %q", raw)
		}
	})
}

func TestCreateTokenRefusesADuplicateNameInItsScope(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := clockedStore(t)
		if _, err := s.CreateToken(ctx, labFeed(nil), "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		dup := labFeed(map[string]string{"api_key": "other"})
		dup.Name = "  lab   FEED "
		if _, err := s.CreateToken(ctx, dup, "ada@example.com"); !errors.Is(err, ErrDuplicateName) {
			t.Fatalf("error %v, want ErrDuplicateName", err)
		}
		var n, audits int
		s.read.QueryRow("SELECT count(*) FROM tokens").Scan(&n)
		s.read.QueryRow("SELECT count(*) FROM audit_log").Scan(&audits)
		if n != 1 || audits != 1 {
			t.Fatalf("%d tokens and %d audit entries after a refused duplicate", n, audits)
		}

		// Another scope may use the name.
		app, err := s.CreateApp(ctx, "Lab", "process", nil, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		dup.AppID = app.ID
		if _, err := s.CreateToken(ctx, dup, "ada@example.com"); err != nil {
			t.Fatalf("same name in an app: %v", err)
		}
	})
}

func TestUpdateTokenAppliesOnlyAtTheExpectedVersion(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, now := clockedStore(t)
		tok, err := s.CreateToken(ctx, labFeed(map[string]string{"api_key": "key-1", "secret": "s-1", "access_token": "a-1"}), "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		*now = now.Add(time.Minute)

		edit := labFeed(map[string]string{"api_key": "key-2"})
		edit.Description = "new description"
		edit.Clear = []string{"access_token", "not_stored"}
		saved, changed, err := s.UpdateToken(ctx, tok.ID, tok.Version, edit, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"description", "api_key", "access_token"}; !reflect.DeepEqual(changed, want) {
			t.Fatalf("changed %v, want %v", changed, want)
		}
		if saved.Version != tok.Version+1 || saved.UpdatedBy != "bob@example.com" || !saved.UpdatedAt.Equal(*now) {
			t.Fatalf("saved %+v", saved)
		}
		if got := values(t, s, tok.ID); !reflect.DeepEqual(got, map[string]string{"api_key": "key-2", "secret": "s-1"}) {
			t.Fatalf("values %v: an empty secret must keep the stored one, a cleared one go", got)
		}

		// A form opened before that edit changes nothing.
		stale := labFeed(map[string]string{"api_key": "key-3", "secret": "s-3"})
		stale.Name = "Renamed"
		if _, _, err := s.UpdateToken(ctx, tok.ID, tok.Version, stale, "carol@example.com"); !errors.Is(err, ErrStale) {
			t.Fatalf("error %v, want ErrStale", err)
		}
		after, _ := s.TokenByID(ctx, tok.ID)
		if after.Name != "Lab Feed" || after.Version != saved.Version || values(t, s, tok.ID)["api_key"] != "key-2" {
			t.Fatalf("a stale edit was written: %+v %v", after, values(t, s, tok.ID))
		}

		// A rename onto another token's name changes nothing either.
		other := labFeed(nil)
		other.Name = "Billing"
		if _, err := s.CreateToken(ctx, other, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		stale.Name = "billing"
		if _, _, err := s.UpdateToken(ctx, tok.ID, saved.Version, stale, "carol@example.com"); !errors.Is(err, ErrDuplicateName) {
			t.Fatalf("error %v, want ErrDuplicateName", err)
		}
		after, _ = s.TokenByID(ctx, tok.ID)
		if after.Name != "Lab Feed" || after.Version != saved.Version || values(t, s, tok.ID)["secret"] != "s-1" {
			t.Fatalf("a refused rename was written: %+v", after)
		}
		if got := audited(t, s, tok.ID); len(got) != 2 || got[1] != "token.update description,api_key,access_token by bob@example.com" {
			t.Fatalf("audit %q", got)
		}
	})
}

func TestUpdateTokenWithATypedAccessTokenForgetsTheGrant(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, now := clockedStore(t)
		ch := labFeed(map[string]string{"api_key": "key-1", "access_token": "a-1", "refresh_token": "r-1"})
		ch.Grant = &provider.Grant{AccessToken: "a-1", RefreshToken: "r-1", ExpiresAt: writesT0.Add(time.Hour)}
		tok, err := s.CreateToken(ctx, ch, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		*now = now.Add(10 * time.Minute)
		typed := labFeed(map[string]string{"api_key": "key-1", "access_token": "typed"})
		typed.ForgetExpiry, typed.Forget = true, []string{"refresh_token"}
		saved, changed, err := s.UpdateToken(ctx, tok.ID, tok.Version, typed, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		// Nothing says when a typed token expires: it is taken to live
		// token.AssumedLifetime from now, never for ever.
		if !saved.ExpiresAt.Equal(now.Add(token.AssumedLifetime)) {
			t.Fatalf("a typed token expires at %v (the grant it replaced: %v)", saved.ExpiresAt, writesT0.Add(time.Hour))
		}
		if got := values(t, s, tok.ID); !reflect.DeepEqual(got, map[string]string{"api_key": "key-1", "access_token": "typed"}) {
			t.Fatalf("values %v", got)
		}
		cleared := labFeed(map[string]string{"api_key": "key-1"})
		cleared.ForgetExpiry, cleared.Clear = true, []string{"access_token"}
		if gone, _, err := s.UpdateToken(ctx, tok.ID, saved.Version, cleared, "bob@example.com"); err != nil || !gone.ExpiresAt.IsZero() {
			t.Fatalf("no access token, yet an expiry: %v %v", gone.ExpiresAt, err)
		}
		// The person changed the access token; the refresh token went with it.
		if !reflect.DeepEqual(changed, []string{"access_token"}) {
			t.Fatalf("changed %v", changed)
		}
	})
}

func TestUpdateTokenResealsWhenEncryptChanges(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := clockedStore(t)
		tok, err := s.CreateToken(ctx, labFeed(map[string]string{"api_key": "key-1", "secret": "s3cret-value"}), "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		plain := labFeed(nil)
		plain.Encrypted = false
		saved, changed, err := s.UpdateToken(ctx, tok.ID, tok.Version, plain, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(changed, []string{"encrypt"}) {
			t.Fatalf("changed %v", changed)
		}
		if raw := rawValue(t, s, tok.ID, "secret"); string(raw) != "s3cret-value" {
			t.Fatalf("not stored in plain text after Encrypt was cleared: %q", raw)
		}
		if _, _, err := s.UpdateToken(ctx, tok.ID, saved.Version, labFeed(nil), "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		if raw := rawValue(t, s, tok.ID, "secret"); bytes.Contains(raw, []byte("s3cret-value")) {
			t.Fatal("still plain text after Encrypt was set again")
		}
		if got := values(t, s, tok.ID); got["secret"] != "s3cret-value" || got["api_key"] != "key-1" {
			t.Fatalf("values %v", got)
		}
	})
}

// renewable is a token due for renewal, and the grant a renewal obtains.
func renewable(t *testing.T, s *Store) (token.Token, token.Change) {
	t.Helper()
	tok, err := s.CreateToken(context.Background(), labFeed(map[string]string{"api_key": "key-1", "access_token": "a-1", "refresh_token": "r-1"}), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return tok, token.Change{Set: map[string]string{"access_token": "a-2", "refresh_token": "r-2"}, Renewable: true,
		Grant: &provider.Grant{AccessToken: "a-2", RefreshToken: "r-2", ExpiresAt: writesT0.Add(2 * time.Hour)}}
}

func TestSaveRenewalStoresTheGrantAndFreesTheLease(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, now := clockedStore(t)
		tok, grant := renewable(t, s)
		// Never renewed: due at once.
		if !tok.NextRenewalAt.Equal(writesT0) {
			t.Fatalf("next renewal %v", tok.NextRenewalAt)
		}
		// Failures are forgotten by a successful renewal.
		if _, err := s.write.Exec("UPDATE tokens SET failures = 2, last_error = 'refused' WHERE id = ?", tok.ID); err != nil {
			t.Fatal(err)
		}
		claims, err := s.ClaimDue(ctx, "worker-a", *now, time.Minute, 10)
		if err != nil || len(claims) != 1 {
			t.Fatalf("claims %v, %v", claims, err)
		}
		*now = now.Add(time.Second)
		if err := s.SaveRenewal(ctx, claims[0], grant, *now); err != nil {
			t.Fatal(err)
		}
		got, _ := s.TokenByID(ctx, tok.ID)
		if !got.ExpiresAt.Equal(writesT0.Add(2*time.Hour)) || !got.LastRenewedAt.Equal(*now) || got.Failures != 0 || got.LastError != "" ||
			!got.NextRenewalAt.Equal(now.Add(time.Hour)) || got.Version != tok.Version {
			t.Fatalf("renewed token %+v", got)
		}
		if v := values(t, s, tok.ID); v["access_token"] != "a-2" || v["refresh_token"] != "r-2" || v["api_key"] != "key-1" {
			t.Fatalf("values %v", v)
		}
		if raw := rawValue(t, s, tok.ID, "access_token"); bytes.Contains(raw, []byte("a-2")) {
			t.Fatal("a renewed token of an encrypted token lies in plain text")
		}
		if until, err := s.LeaseUntil(ctx, tok.ID); err != nil || !until.IsZero() {
			t.Fatalf("lease until %v, %v: not freed", until, err)
		}
		if got := audited(t, s, tok.ID); got[len(got)-1] != "token.renew access_token,refresh_token by renewal worker" {
			t.Fatalf("audit %q", got)
		}
	})
}

func TestSaveRenewalWritesNothingWhenItLostTheRace(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		for _, tt := range []struct {
			name string
			race func(t *testing.T, s *Store, tok token.Token, now *time.Time)
			want error
		}{
			{"lease lost to another worker", func(t *testing.T, s *Store, tok token.Token, now *time.Time) {
				*now = now.Add(2 * time.Minute) // the first lease expired
				if c, err := s.ClaimDue(ctx, "worker-b", *now, time.Minute, 10); err != nil || len(c) != 1 {
					t.Fatalf("second claim %v, %v", c, err)
				}
			}, ErrLeaseLost},
			{"edited meanwhile", func(t *testing.T, s *Store, tok token.Token, now *time.Time) {
				edit := labFeed(map[string]string{"api_key": "key-9"})
				if _, _, err := s.UpdateToken(ctx, tok.ID, tok.Version, edit, "bob@example.com"); err != nil {
					t.Fatal(err)
				}
			}, ErrStale},
			{"deleted meanwhile", func(t *testing.T, s *Store, tok token.Token, now *time.Time) {
				if _, err := s.DeleteTokens(ctx, 0, []int64{tok.ID}, "bob@example.com"); err != nil {
					t.Fatal(err)
				}
			}, ErrNotFound},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s, now := clockedStore(t)
				tok, grant := renewable(t, s)
				claims, err := s.ClaimDue(ctx, "worker-a", *now, time.Minute, 10)
				if err != nil || len(claims) != 1 {
					t.Fatalf("claims %v, %v", claims, err)
				}
				tt.race(t, s, tok, now)
				before, _ := s.TokenByID(ctx, tok.ID)
				if err := s.SaveRenewal(ctx, claims[0], grant, *now); !errors.Is(err, tt.want) {
					t.Fatalf("error %v, want %v", err, tt.want)
				}
				if tt.want == ErrNotFound {
					return
				}
				if v := values(t, s, tok.ID); v["access_token"] != "a-1" || v["refresh_token"] != "r-1" {
					t.Fatalf("a lost renewal was written: %v", v)
				}
				got, _ := s.TokenByID(ctx, tok.ID)
				// (A stored access token always has an expiry: the one it
				// had before the lost renewal stays.)
				if !got.LastRenewedAt.IsZero() || !got.ExpiresAt.Equal(before.ExpiresAt) {
					t.Fatalf("a lost renewal was recorded: %+v", got.Renewal)
				}
				for _, a := range audited(t, s, tok.ID) {
					if strings.HasPrefix(a, ActionTokenRenew+" ") {
						t.Fatalf("a lost renewal was audited: %q", a)
					}
				}
			})
		}
	})
}

func TestDeleteTokensRemovesOnlyItsScope(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := clockedStore(t)
		app, err := s.CreateApp(ctx, "Lab", "process", nil, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		global, err := s.CreateToken(ctx, labFeed(map[string]string{"api_key": "g"}), "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		own := labFeed(map[string]string{"api_key": "o"})
		own.AppID = app.ID
		mine, err := s.CreateToken(ctx, own, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}

		// The app's scope cannot remove a global token.
		if names, err := s.DeleteTokens(ctx, app.ID, []int64{global.ID}, "bob@example.com"); err != nil || len(names) != 0 {
			t.Fatalf("deleted %v, %v", names, err)
		}
		names, err := s.DeleteTokens(ctx, 0, []int64{global.ID}, "bob@example.com")
		if err != nil || !reflect.DeepEqual(names, []string{"Lab Feed"}) {
			t.Fatalf("deleted %v, %v", names, err)
		}
		if _, err := s.TokenByID(ctx, global.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		var left int
		s.read.QueryRow("SELECT count(*) FROM token_values WHERE token_id = ?", global.ID).Scan(&left)
		if left != 0 {
			t.Fatalf("%d values outlived their token", left)
		}
		// Removing twice is no error and removes nothing.
		if names, err := s.DeleteTokens(ctx, 0, []int64{global.ID}, "bob@example.com"); err != nil || len(names) != 0 {
			t.Fatalf("second delete %v, %v", names, err)
		}
		if v := values(t, s, mine.ID); v["api_key"] != "o" {
			t.Fatalf("the app's token lost its values: %v", v)
		}
		if got := audited(t, s, global.ID); got[len(got)-1] != "token.delete  by bob@example.com" {
			t.Fatalf("audit %q", got)
		}
	})
}

// An application's kind is checked before the write: a clear error, not
// the database's CHECK constraint, and nothing written.
func TestAppsRefuseAnUnknownKind(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := clockedStore(t)
		if _, err := s.CreateApp(ctx, "Lab", "robot", nil, "ada@example.com"); !errors.Is(err, ErrAppKind) || !strings.Contains(err.Error(), `not "robot"`) {
			t.Fatalf("create with kind robot: %v", err)
		}
		app, err := s.CreateApp(ctx, "Lab", KindForm, nil, "ada@example.com")
		if err != nil {
			t.Fatalf("the name is still free: %v", err)
		}
		if err := s.UpdateApp(ctx, app.ID, "Lab", "robot", nil, "ada@example.com"); !errors.Is(err, ErrAppKind) {
			t.Fatalf("update with kind robot: %v", err)
		}
		if got, _ := s.AppByID(ctx, app.ID); got.Kind != KindForm {
			t.Fatalf("kind %q after a refused update", got.Kind)
		}
	})
}
