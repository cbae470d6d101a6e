package views

import "testing"

func TestResealingReadsLikeTheSettingsPage(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		want        string
	}{
		{0, 3, "Re-sealing: 0 of 3 values"},
		{999, 1000, "Re-sealing: 999 of 1,000 values"},
		{1234, 10000, "Re-sealing: 1,234 of 10,000 values"},
		{1234567, 1234567, "Re-sealing: 1,234,567 of 1,234,567 values"},
	} {
		if got := Resealing(tc.done, tc.total); got != tc.want {
			t.Errorf("Resealing(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}
