package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// A factor's secret is sealed at rest, opens only for its own person, a
// TOTP step is good once, recovery codes are spent once, and a reset
// leaves nothing behind.
func TestFactorsOnBothDatabases(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		u, err := s.CreateUser(ctx, "ada@example.com", "x", RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateUser(ctx, "bob@example.com", "x", RoleDesigner)
		if err != nil {
			t.Fatal(err)
		}
		plain := []byte("twenty-byte-secret!!")
		id, err := s.AddFactor(ctx, u.ID, FactorTOTP, "phone", plain, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		var stored []byte
		if err := s.read.QueryRowContext(ctx, "SELECT secret FROM user_factors WHERE id = ?", id).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(stored, plain) {
			t.Fatal("the TOTP secret is stored in the clear")
		}
		if has, _ := s.HasSecondFactor(ctx, u.ID); has {
			t.Fatal("an unconfirmed factor counts")
		}
		if _, err := s.FactorSecret(ctx, other.ID, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another person's factor opened: %v", err)
		}
		if err := s.ConfirmFactor(ctx, u.ID, id, 100); err != nil {
			t.Fatal(err)
		}
		if has, _ := s.HasSecondFactor(ctx, u.ID); !has {
			t.Fatal("a confirmed factor does not count")
		}
		// The confirming code's step, and any older, are spent.
		for _, step := range []int64{99, 100} {
			if err := s.UseTOTPStep(ctx, u.ID, id, step); !errors.Is(err, ErrCodeReplayed) {
				t.Fatalf("step %d: %v, want ErrCodeReplayed", step, err)
			}
		}
		if err := s.UseTOTPStep(ctx, u.ID, id, 101); err != nil {
			t.Fatal(err)
		}
		if err := s.UseTOTPStep(ctx, u.ID, id, 101); !errors.Is(err, ErrCodeReplayed) {
			t.Fatalf("a step used twice: %v", err)
		}

		if err := s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{[]byte("h1"), []byte("h2")}); err != nil {
			t.Fatal(err)
		}
		if err := s.UseRecoveryCode(ctx, u.ID, []byte("h1")); err != nil {
			t.Fatal(err)
		}
		if err := s.UseRecoveryCode(ctx, u.ID, []byte("h1")); !errors.Is(err, ErrCodeUsed) {
			t.Fatalf("a recovery code reused: %v", err)
		}
		if err := s.UseRecoveryCode(ctx, other.ID, []byte("h2")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another person's recovery code: %v", err)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 1 {
			t.Fatalf("%d codes left, want 1", n)
		}

		// A new master key takes the factors' secrets along.
		next, err := secret.NewBox(secret.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ChangeMasterKey(ctx, next, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		s.box = next
		if got, err := s.FactorSecret(ctx, u.ID, id); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("after a master key change: %q, %v", got, err)
		}

		if err := s.ResetFactors(ctx, u.ID, "root@example.com"); err != nil {
			t.Fatal(err)
		}
		if has, _ := s.HasSecondFactor(ctx, u.ID); has {
			t.Fatal("a factor survived a reset")
		}
		if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
			t.Fatalf("%d recovery codes survived a reset", n)
		}
	})
}

// An invitation works once and not after it expires; refusals create
// nobody.
func TestInvitationsOnBothDatabases(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		app, err := s.CreateApp(ctx, "Billing", "process", nil, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateInvitation(ctx, Invitation{Email: "cy@example.com", Role: RoleDesigner, AppID: app.ID, InvitedBy: "ada@example.com", ExpiresAt: now.Add(time.Hour)}, []byte("good")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateInvitation(ctx, Invitation{Email: "di@example.com", Role: RoleAdmin, InvitedBy: "ada@example.com", ExpiresAt: now.Add(time.Minute)}, []byte("short")); err != nil {
			t.Fatal(err)
		}
		u, err := s.AcceptInvitation(ctx, []byte("good"), "hash")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.IsDesigner(ctx, app.ID, u.ID); !ok || u.Role != RoleDesigner {
			t.Fatalf("the invited designer does not design the app (role %s)", u.Role)
		}
		if _, err := s.AcceptInvitation(ctx, []byte("good"), "hash"); !errors.Is(err, ErrInvitationUsed) {
			t.Fatalf("an invitation used twice: %v", err)
		}
		now = now.Add(2 * time.Minute)
		if _, err := s.AcceptInvitation(ctx, []byte("short"), "hash"); !errors.Is(err, ErrInvitationExpired) {
			t.Fatalf("an expired invitation: %v", err)
		}
		if _, err := s.UserByEmail(ctx, "di@example.com"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("an expired invitation made a user: %v", err)
		}
		if _, err := s.AcceptInvitation(ctx, []byte("nope"), "hash"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("an unknown invitation: %v", err)
		}
	})
}
