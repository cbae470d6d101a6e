package token

import (
	"fmt"
	"unicode"
)

// lookAlikeScripts are alphabets with letters that look the same as each
// other's (Latin "S" and Cyrillic "Ѕ", Latin "o" and Greek "ο"). A name
// that mixes them can pass for another name whose key differs, which NFKC
// does not fold. Unicode's restriction levels (UTS #39) refuse exactly
// such mixes, while allowing, say, Latin with Japanese.
var lookAlikeScripts = []struct {
	name  string
	table *unicode.RangeTable
}{{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek}}

// mixedScripts says why name mixes look-alike alphabets, or "".
func mixedScripts(name string) string {
	first, firstRune := -1, rune(0)
	for _, r := range name {
		for i, s := range lookAlikeScripts {
			if !unicode.Is(s.table, r) {
				continue
			}
			if first < 0 {
				first, firstRune = i, r
			} else if i != first {
				return fmt.Sprintf("Token Name mixes %s and %s letters (“%c” is %s, “%c” is %s), so it can look like another name. Use one alphabet.",
					lookAlikeScripts[first].name, s.name, firstRune, lookAlikeScripts[first].name, r, s.name)
			}
		}
	}
	return ""
}
