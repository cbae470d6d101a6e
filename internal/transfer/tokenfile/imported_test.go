package tokenfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
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
	moved := func(name string) string {
		return "The Token URL of “" + name + "” changed, so its stored access token was dropped: a token is only sent to the address it was obtained from. "
	}
	for _, tc := range []struct {
		name    string
		written []token.Change
		want    string
		warn    bool
	}{
		{"plain", changes(2, func(int, *token.Change) {}), "Imported 2 access tokens: T1, T2.", false},
		{"one waits for a secret", changes(1, func(_ int, ch *token.Change) { ch.NeedsSecret = true }),
			"Imported 1 access token: T1. “T1” waits for a secret: enter it on its page; until then it is not renewed.", true},
		{"moved", changes(2, func(i int, ch *token.Change) {
			if i == 1 {
				ch.Moved = "Token URL"
			}
		}), "Imported 2 access tokens: T1, T2. " + strings.TrimSpace(moved("T2")), true},
		{"one more moved", changes(6, func(_ int, ch *token.Change) { ch.Moved = "Token URL" }),
			"Imported 6 access tokens: T1, T2, T3, T4, T5, T6. " + moved("T1") + moved("T2") + moved("T3") + moved("T4") + moved("T5") +
				"1 more moved to another address and dropped its stored access token too.", true},
		{"many", changes(12, func(_ int, ch *token.Change) { ch.Moved, ch.NeedsSecret = "Token URL", true }),
			"Imported 12 access tokens: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10 and 2 more. " +
				moved("T1") + moved("T2") + moved("T3") + moved("T4") + moved("T5") +
				"7 more moved to another address and dropped their stored access tokens too. " +
				"“T1”, “T2”, “T3”, “T4”, “T5”, “T6”, “T7”, “T8”, “T9”, “T10” and 2 more wait for secrets: enter them on their pages; until then they are not renewed.", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, warn := Imported(tc.written); got != tc.want || warn != tc.warn {
				t.Errorf("got (warn %v)\n%s\nwant (warn %v)\n%s", warn, got, tc.warn, tc.want)
			}
		})
	}
}

// The preview's note on a Replace that moves a token's Token URL says
// what stays behind, and only what does: the stored secrets unless the
// file carries its own, the access token only if there is one.
func TestMovedNoteSaysWhatStaysBehind(t *testing.T) {
	p, ok := registry.ByID(oauth.ID)
	if !ok {
		t.Fatal("no OAuth 2.0 provider")
	}
	stored := func(keys ...string) *token.Token {
		tok := &token.Token{Stored: map[string]token.Stamp{}}
		for _, k := range keys {
			tok.Stored[k] = token.Stamp{}
		}
		return tok
	}
	for _, tc := range []struct {
		name     string
		existing *token.Token
		secrets  bool
		want     string
	}{
		{"definitions, with an access token", stored("client_secret", p.Tokens.Access), false,
			"The file's Token URL differs from the stored one, and the stored secrets and the stored access token stay behind: a token's secrets are only sent to the address they were saved with."},
		{"definitions, no access token", stored("client_secret"), false,
			"The file's Token URL differs from the stored one, and the stored secrets stay behind: a token's secrets are only sent to the address they were saved with."},
		{"with secrets and an access token", stored("client_secret", p.Tokens.Access), true,
			"The file's Token URL differs from the stored one: replacing takes the file's settings and secrets, and the stored access token stays behind: a token's secrets are only sent to the address they were saved with."},
		{"with secrets, no access token", stored("client_secret"), true,
			"The file's Token URL differs from the stored one: replacing takes the file's settings and secrets."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := movedNote(&Row{Provider: p, Existing: tc.existing, Moved: "Token URL"}, tc.secrets); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
