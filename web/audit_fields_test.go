package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redoxoauth"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Every value key an audit entry can list reads as words in the Audit
// Log, for every provider and for entries whose provider is unknown:
// never "previous_keys" or "key_awaiting_registration".
func TestEveryAuditFieldKeyHasALabel(t *testing.T) {
	common := []string{provider.KeyName, provider.KeyDescription, provider.KeyRenewalRate, provider.KeyEncrypt, "expires_at",
		"secret", redoxoauth.KeyPrevious, redoxoauth.KeyNext, token.KeyAwaiting}
	for k := range auditFieldLabels {
		common = append(common, k)
	}
	check := func(p provider.Provider, known bool, key string) {
		if key == "" {
			return
		}
		l := auditFieldLabel(p, known, key)
		if l == key || strings.Contains(l, "_") || l == "" {
			t.Errorf("%s: key %q shows as %q", p.ID, key, l)
		}
	}
	for _, p := range registry.All() {
		keys := append([]string{p.Tokens.Access, p.Tokens.Refresh}, common...)
		keys = append(keys, p.Tokens.Answer...)
		keys = append(keys, p.Kept...)
		for _, f := range p.Fields {
			keys = append(keys, f.Key)
		}
		for _, k := range keys {
			check(p, true, k)
		}
	}
	for _, k := range common {
		check(provider.Provider{ID: "gone"}, false, k)
	}
	if got := keyInWords("token_url"); got != "Token URL" {
		t.Errorf("an unknown key reads %q", got)
	}
}

// The Audit Log page shows those labels, and a day of routine renewals as
// one counted entry.
func TestAuditLogShowsFieldLabelsAndCountedRenewals(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	if err := ts.store.AddAudit(ctx, store.Audit{At: ts.clock.Now(), Actor: "ada@example.com", Action: store.ActionTokenUpdate,
		Subject: "Lab Feed", TokenID: 99, Provider: redoxoauth.ID, Fields: []string{redoxoauth.KeyPrevious, token.KeyAwaiting, redoxoauth.KeyNext}}); err != nil {
		t.Fatal(err)
	}
	ts.signInAdmin()
	row := ts.get("/audit").Doc.Find("[data-testid=audit-table] tbody tr").First().Text()
	for _, want := range []string{"Previous key pairs", "Key pair awaiting registration", "Next key pair"} {
		if !strings.Contains(row, want) {
			t.Errorf("the entry does not say %q: %s", want, row)
		}
	}
	for _, code := range []string{"previous_keys", "key_awaiting_registration", "next_key"} {
		if strings.Contains(row, code) {
			t.Errorf("the entry shows the key %q: %s", code, row)
		}
	}

	// Routine renewals: one entry for the day, with the count.
	id := createTestToken(t, ts, "Feed Renewed")
	for range 3 { // hourly, 09:00 to 12:00 UTC
		ts.clock.Advance(time.Hour)
		ts.renewDue()
	}
	ts.signInAdmin()
	p := ts.get("/audit?action=token.renew")
	rows := p.Doc.Find("[data-testid=audit-table] tbody tr")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "3 routine renewals by the renewal worker this day (UTC)") {
		t.Fatalf("token %d: %d renewal entries: %s", id, rows.Length(), rows.Text())
	}
}
