package tokenfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/token"
)

// What an import says once written: names, then what is left to do, in
// bounded words however large the file.
func TestImportedSaysWhatIsLeftToDo(t *testing.T) {
	changes := func(n int, f func(i int, ch *token.Change)) []token.Change {
		out := make([]token.Change, n)
		for i := range out {
			out[i].Name = fmt.Sprintf("T%d", i+1)
			f(i, &out[i])
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		written []token.Change
		want    string
		warn    bool
	}{
		{"plain", changes(2, func(int, *token.Change) {}), "Imported 2 access tokens: T1, T2.", false},
		{"one waits for a secret", changes(1, func(_ int, ch *token.Change) { ch.NeedsSecret = true }),
			"Imported 1 access token: T1. Enter the secrets of “T1” on its page: until then it is not renewed.", true},
		{"moved", changes(2, func(i int, ch *token.Change) {
			if i == 1 {
				ch.Moved = "Token URL"
			}
		}), "Imported 2 access tokens: T1, T2. The Token URL of “T2” changed, so its stored access token was dropped: a token is only sent to the address it was obtained from.", true},
		{"many", changes(12, func(i int, ch *token.Change) { ch.Moved, ch.NeedsSecret = "Token URL", true }),
			"Imported 12 access tokens: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10 and 2 more. " +
				strings.Repeat("The Token URL of “T?” changed, so its stored access token was dropped: a token is only sent to the address it was obtained from. ", 5) +
				"7 more moved to another address and dropped their stored access tokens too. " +
				"Enter the secrets of “T1”, “T2”, “T3”, “T4”, “T5”, “T6”, “T7”, “T8”, “T9”, “T10” and 2 more on their pages: until then they are not renewed.", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warn := Imported(tc.written)
			if tc.name == "many" {
				for i := 1; i <= 5; i++ {
					got = strings.Replace(got, fmt.Sprintf("“T%d” changed", i), "“T?” changed", 1)
				}
			}
			if got != tc.want || warn != tc.warn {
				t.Errorf("got (warn %v)\n%s\nwant (warn %v)\n%s", warn, got, tc.warn, tc.want)
			}
		})
	}
}
