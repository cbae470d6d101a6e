package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The outbox is written in the transaction of the change that causes the
// event: a change that is not saved sends nothing.
func TestEventsAreQueuedOnlyWithTheirChange(t *testing.T) {
	ctx := context.Background()
	s, now := clockedStore(t)
	hook, err := s.CreateWebhook(ctx, "https://hooks.example.com/x", []string{EventTokenChanged}, "whsec_c2VjcmV0", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateToken(ctx, labFeed(map[string]string{"api_key": "key-1", "secret": "s-1"}), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(time.Minute)
	edit := labFeed(map[string]string{"api_key": "key-2"})
	if _, _, err := s.UpdateToken(ctx, tok.ID, tok.Version+5, edit, "bob@example.com"); !errors.Is(err, ErrStale) {
		t.Fatalf("stale edit: %v", err)
	}
	if ds, _ := s.Deliveries(ctx, hook, 10); len(ds) != 0 {
		t.Fatalf("a refused edit queued %d events", len(ds))
	}
	if _, _, err := s.UpdateToken(ctx, tok.ID, tok.Version, edit, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	ds, _ := s.Deliveries(ctx, hook, 10)
	if len(ds) != 1 || ds[0].Event != EventTokenChanged || !ds[0].NextAt.Equal(*now) ||
		!strings.Contains(ds[0].Body, `"action":"updated","fields":["api_key"],"by":"bob@example.com"`) {
		t.Fatalf("deliveries %+v", ds)
	}
	if strings.Contains(ds[0].Body, "key-2") || strings.Contains(ds[0].Body, "s-1") {
		t.Fatalf("the body carries a value: %s", ds[0].Body)
	}
}

func TestOutboxQueriesUseTheirIndexes(t *testing.T) {
	s := openTest(t)
	for name, q := range map[string]string{
		"due deliveries": "SELECT id FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= 1 ORDER BY next_attempt_at LIMIT 32",
		"next delivery":  "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL",
		"endpoint page":  "SELECT id FROM webhook_deliveries WHERE webhook_id = 1 ORDER BY id DESC LIMIT 50",
		"subscribers":    "SELECT webhook_id FROM webhook_events WHERE event = 'token.changed'",
		"expiring": `SELECT t.id, t.expires_at FROM tokens t WHERE t.expires_at > 1 AND t.expires_at <= 2
			AND (t.renewal_rate = 'disabled' OR t.attention_since IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.token_id = t.id AND n.what = 'access_token' AND n.expires_at = t.expires_at)`,
	} {
		if p := plan(t, s, q); !strings.Contains(p, "INDEX") || strings.Contains(p+"; ", "SCAN t; ") || strings.Contains(p+"; ", "SCAN webhook_deliveries; ") {
			t.Errorf("%s: %s", name, p)
		}
	}
}
