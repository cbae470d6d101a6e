package web

import (
	"os"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/views"
)

// The README's "Using a token from an app" shows the console's snippets
// word for word (those TestConsoleSnippetsRunAsPrinted runs), so the two
// never drift apart.
func TestTheREADMEShowsTheConsolesSnippets(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range views.NewAPIUsage("http://127.0.0.1:8080", "Lab Feed", "").Snippets {
		if !strings.Contains(string(readme), "\n"+s.Code+"\n```") {
			t.Errorf("the README lacks the console's %s snippet:\n%s", s.Label, s.Code)
		}
	}
}
