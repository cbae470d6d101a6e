package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

func importChange(name string) token.Change {
	return token.Change{Provider: "redox", Name: name, Rate: "1h", Encrypted: true, Set: map[string]string{"api_key": "k", "secret": "s-" + name}}
}

// An import is all or nothing: a name taken meanwhile, or a replaced
// token edited since the preview, leaves every token, value, audit entry
// and the draft itself as they were.
func TestImportTokensIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	u, err := s.CreateUser(ctx, "ada@example.com", "x", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	taken, err := s.CreateToken(ctx, importChange("Taken"), "ada")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutImportDraft(ctx, "d1", u.ID, 0, []byte("sealed"), s.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	audit := func() int {
		entries, _, err := s.ListAudit(ctx, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	before := audit()
	for name, items := range map[string][]ImportItem{
		"duplicate": {{Change: importChange("Fresh")}, {Change: importChange("TAKEN")}},
		"stale":     {{Change: importChange("Fresh")}, {Change: importChange("Taken"), Replace: taken.ID, Version: taken.Version + 1}},
	} {
		_, err := s.ImportTokens(ctx, 0, "d1", items, "ada")
		if !errors.Is(err, ErrDuplicateName) && !errors.Is(err, ErrStale) {
			t.Fatalf("%s: %v", name, err)
		}
		if n, _ := s.ScopeTokenCount(ctx, 0); n != 1 || audit() != before {
			t.Fatalf("%s: %d tokens, audit %d → %d", name, n, before, audit())
		}
		if _, err := s.ImportDraft(ctx, "d1", u.ID, 0); err != nil {
			t.Fatalf("%s: the draft went with a failed import: %v", name, err)
		}
	}
	// Another user, another scope: no draft.
	if _, err := s.ImportDraft(ctx, "d1", u.ID+1, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's draft: %v", err)
	}
	if _, err := s.ImportDraft(ctx, "d1", u.ID, 7); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another scope's draft: %v", err)
	}
	replace := importChange("taken")
	replace.Rate = "15m"
	_, err = s.ImportTokens(ctx, 0, "d1", []ImportItem{{Change: importChange("Fresh")}, {Change: replace, Replace: taken.ID, Version: taken.Version}}, "ada")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByID(ctx, taken.ID)
	if err != nil || got.Rate != "15m" || got.Name != "taken" {
		t.Fatalf("replaced: %+v %v", got, err)
	}
	if n, _ := s.ScopeTokenCount(ctx, 0); n != 2 {
		t.Fatalf("%d tokens", n)
	}
	entries, _, _ := s.ListAudit(ctx, 1, 1)
	if entries[0].Action != ActionTokensImport || !strings.Contains(entries[0].Detail, "new: Fresh; replaced: taken") {
		t.Fatalf("audit: %+v", entries[0])
	}
	// Used up.
	if _, err := s.ImportTokens(ctx, 0, "d1", nil, "ada"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a used draft: %v", err)
	}
}

// Replacing a token by an import is an edit like the form's: it sends
// token.changed and starts a renewal that stopped (Needs attention) again.
func TestImportReplaceIsAnEdit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	u, err := s.CreateUser(ctx, "ada@example.com", "x", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	hook, err := s.CreateWebhook(ctx, "https://hooks.example.com/x", []string{EventTokenChanged}, "whsec_c2VjcmV0", "ada")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateToken(ctx, importChange("Stopped"), "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET failures = 9, attention_since = ?, next_renewal_at = NULL WHERE id = ?", ms(s.Now()), tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.PutImportDraft(ctx, "d1", u.ID, 0, []byte("sealed"), s.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	replace := importChange("Stopped")
	replace.Set["secret"] = "s-new"
	replace.Renewable = true
	if _, err := s.ImportTokens(ctx, 0, "d1", []ImportItem{{Change: replace, Replace: tok.ID, Version: tok.Version}}, "ada"); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByID(ctx, tok.ID)
	if err != nil || !got.AttentionSince.IsZero() || got.NextRenewalAt.IsZero() {
		t.Fatalf("renewal not restarted: %+v %v", got, err)
	}
	ds, _ := s.Deliveries(ctx, hook, 10)
	if len(ds) != 1 || ds[0].Event != EventTokenChanged || !strings.Contains(ds[0].Body, `"action":"updated","fields":["secret"],"by":"ada"`) {
		t.Fatalf("deliveries %+v", ds)
	}
}
