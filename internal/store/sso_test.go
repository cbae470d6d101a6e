package store

import (
	"context"
	"errors"
	"github.com/tokendesk/tokendesk/internal/secret"
	"testing"
	"time"
)

// The single sign-on set-up keeps its fields and secret apart, forgets
// the Test sign-in when asked, and refuses to record a test of a set-up
// that changed meanwhile; on both databases.
func TestSSOSettingsRoundTrip(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		set := SSOSettings{Name: "Contoso", Issuer: "https://idp.example", ClientID: "c1", Scopes: []string{"email"}, Claim: "groups",
			AdminValues: []string{"admins"}, DesignerRules: []SSODesignerRule{{Value: "billing-devs", App: "Billing"}}, BreakGlass: []string{"ada@example.com"}}
		if err := s.SaveSSOSettings(ctx, SSOSave{Settings: set, Secret: []byte("sealed"), Actor: "ada@example.com", Changed: []string{"issuer"}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.SSOSettingsNow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Issuer != set.Issuer || !got.HasSecret || got.DesignerRules[0].App != "Billing" || !got.TestedAt.IsZero() || !got.BreakGlassAllows("ADA@example.com") {
			t.Fatalf("read back %+v", got)
		}
		if err := s.RecordSSOTest(ctx, got.UpdatedAt.Add(-time.Second), "ada@example.com", "x"); !errors.Is(err, ErrSSOChanged) {
			t.Fatalf("test of an older set-up: %v", err)
		}
		if err := s.RecordSSOTest(ctx, got.UpdatedAt, "ada@example.com", "x"); err != nil {
			t.Fatal(err)
		}
		// A save without a secret keeps the stored one and the test.
		set.Name = "Contoso ID"
		if err := s.SaveSSOSettings(ctx, SSOSave{Settings: set, Actor: "ada@example.com"}); err != nil {
			t.Fatal(err)
		}
		if sealed, _ := s.SSOClientSecret(ctx); string(sealed) != "sealed" {
			t.Fatalf("secret after a save without one: %q", sealed)
		}
		if got, _ := s.SSOSettingsNow(ctx); got.TestedAt.IsZero() || got.Name != "Contoso ID" {
			t.Fatalf("after keeping: %+v", got)
		}
		if err := s.SaveSSOSettings(ctx, SSOSave{Settings: set, Untest: true, Actor: "ada@example.com"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SSOSettingsNow(ctx); !got.TestedAt.IsZero() {
			t.Fatal("untest kept the test")
		}
	})
}

// A trip's state is spent once, in time, and only by the browser that
// left with it.
func TestSSOStateOnceInTimeInItsBrowser(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		st := SSOState{Hash: "h1", BrowserHash: "b1", Mode: SSOModeSignIn, NonceHash: "n", Verifier: []byte("v"), Next: "/apps", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
		if err := s.CreateSSOState(ctx, st); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UseSSOState(ctx, "h1", "other browser", now); !errors.Is(err, ErrStateUnknown) {
			t.Fatalf("another browser: %v", err)
		}
		if _, err := s.UseSSOState(ctx, "h1", "b1", now.Add(10*time.Minute)); !errors.Is(err, ErrStateExpired) {
			t.Fatalf("late: %v", err)
		}
		got, err := s.UseSSOState(ctx, "h1", "b1", now.Add(time.Minute))
		if err != nil || got.Next != "/apps" || string(got.Verifier) != "v" {
			t.Fatalf("first use: %+v %v", got, err)
		}
		if _, err := s.UseSSOState(ctx, "h1", "b1", now.Add(time.Minute)); !errors.Is(err, ErrStateUsed) {
			t.Fatalf("second use: %v", err)
		}
	})
}

// A person signed in by the identity provider is created on first
// sign-in, and their role and apps follow the mapping afterwards; the
// last administrator is never demoted, a deactivated person never let in.
func TestSyncSSOUser(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		admin, err := s.CreateUser(ctx, "ada@example.com", "x", RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		a1, _ := s.CreateApp(ctx, "Billing", KindProcess, nil, "ada@example.com")
		a2, _ := s.CreateApp(ctx, "Payroll", KindProcess, nil, "ada@example.com")
		u, created, err := s.SyncSSOUser(ctx, SSOUser{Issuer: "https://idp.example", Subject: "bob", Email: "bob@example.com", Role: RoleDesigner, AppIDs: []int64{a1.ID, a2.ID}})
		if err != nil || !created || u.Role != RoleDesigner || u.PasswordHash != "" {
			t.Fatalf("first sign-in: %+v %v %v", u, created, err)
		}
		if apps, _ := s.ListApps(ctx, u.ID); len(apps) != 2 {
			t.Fatalf("designs %d apps, want 2", len(apps))
		}
		if _, created, err = s.SyncSSOUser(ctx, SSOUser{Issuer: "https://idp.example", Subject: "bob", Email: "bob@example.com", Role: RoleDesigner, AppIDs: []int64{a2.ID}}); err != nil || created {
			t.Fatal(created, err)
		}
		if apps, _ := s.ListApps(ctx, u.ID); len(apps) != 1 || apps[0].Name != "Payroll" {
			t.Fatalf("after the claim changed: %+v", apps)
		}
		// Another subject with the administrator's address, unverified: refused.
		if _, _, err := s.SyncSSOUser(ctx, SSOUser{Issuer: "https://idp.example", Subject: "mallory", Email: admin.Email, Role: RoleAdmin}); !errors.Is(err, ErrSSOUnverified) {
			t.Fatalf("unverified e-mail of an existing account: %v", err)
		}
		if _, _, err := s.SyncSSOUser(ctx, SSOUser{Issuer: "https://idp.example", Subject: "ada", Email: admin.Email, EmailVerified: true, Role: RoleDesigner}); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("last admin demoted: %v", err)
		}
		if err := s.UpdateUser(ctx, u.ID, RoleDesigner, false, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SyncSSOUser(ctx, SSOUser{Issuer: "https://idp.example", Subject: "bob", Email: "bob@example.com", Role: RoleAdmin}); !errors.Is(err, ErrInactive) {
			t.Fatalf("deactivated: %v", err)
		}
	})
}

// A new master key takes single sign-on's client secret along: otherwise
// nobody could sign in through the identity provider after the change.
func TestMasterKeyChangeKeepsTheSSOClientSecret(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		set := SSOSettings{Name: "Contoso", Issuer: "https://idp.example", ClientID: "c1", Claim: "groups"}
		if err := s.SaveSSOSettings(ctx, SSOSave{Settings: set, Secret: s.box.Seal([]byte("idp secret"), SSOSecretAAD), Actor: "ada@example.com"}); err != nil {
			t.Fatal(err)
		}
		next, err := secret.NewBox(secret.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ChangeMasterKey(ctx, next, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		sealed, err := s.SSOClientSecret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if plain, err := next.Open(sealed, SSOSecretAAD); err != nil || string(plain) != "idp secret" {
			t.Fatalf("after a master key change: %q, %v", plain, err)
		}
	})
}
