package store

import (
	"context"
	"testing"
	"time"
)

// BenchmarkTokenSearch: a name search's page of 100 from 100,000 tokens
// named as BenchmarkConsolePages names them ("Token 000000"…), the query
// alone (the page's goal is 10 ms in all). Matches many and late in name
// order, few, none, two characters (a prefix), in each order.
func BenchmarkTokenSearch(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	if _, err := s.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
		INSERT INTO tokens (provider, name, name_key, created_at, created_by, updated_at, updated_by)
		SELECT CASE i % 4 WHEN 0 THEN 'zoom-s2s' ELSE 'redox' END, printf('Token %06d', i), printf('token %06d', i), 0, 'b', i * 7919 % 100000, 'b' FROM n`); err != nil {
		b.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for _, f := range []TokenFilter{
		{Query: "oken 05"}, {Query: "oken 05", Sort: SortChanged}, {Query: "oken 05", Sort: SortType, Desc: true},
		{Query: "oken 9"}, {Query: "n 0500"}, {Query: "049999"}, {Query: "nothing"}, {Query: "00", Sort: SortChanged}, {Query: "to"},
	} {
		f.Limit, f.Now = 100, now
		b.Run(f.Query+"/"+f.Sort, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.ListTokens(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
