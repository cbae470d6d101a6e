package web

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// A search longer than 100 characters is cut to 100 characters, not
// bytes: what the search box and the count show back is whole text, never
// half an "é".
func TestPickerSearchIsCutByCharacters(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	q := "a" + strings.Repeat("é", 150) // a byte cut at 100 halves the 50th é
	p := ts.get("/tokens/new?q=" + url.QueryEscape(q))
	wantStatus(t, p, 200)
	if !utf8.ValidString(p.Body) {
		t.Fatal("the page holds a broken character")
	}
	want := "a" + strings.Repeat("é", 99)
	if got, _ := p.Doc.Find("form[data-testid=picker-search] input[name=q]").Attr("value"); got != want {
		t.Fatalf("the search box shows %q (%d characters), want the first 100 characters", got, utf8.RuneCountInString(got))
	}
}
