package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// `tokendesk --help` lists every command, one line each, not only the
// console's flags.
func TestHelpListsTheCommands(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		lines := strings.Split(out.String(), "\n")
		for _, cmd := range []string{"tokendesk [serve]", "tokendesk user add", "tokendesk emulate", "tokendesk key rotate", "tokendesk key rotate --master",
			"tokendesk migrate-db", "tokendesk export", "tokendesk import", "tokendesk version", "tokendesk help"} {
			found := false
			for _, l := range lines {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(l), cmd+" "); ok && strings.TrimSpace(rest) != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("%v: no line for %q that says what it does:\n%s", args, cmd, out.String())
			}
		}
		if !strings.Contains(out.String(), "serve --help") {
			t.Errorf("%v: does not say where serve's flags are", args)
		}
	}
}
