package token

import "testing"

func TestMixedScripts(t *testing.T) {
	for name, refused := range map[string]bool{
		"Redox HS":       false,
		"Redox H\u0405":  true,  // Cyrillic Dze
		"Z\u03bfom":      true,  // Greek omicron
		"Москва Feed":    true,  // two look-alike alphabets, even as whole words
		"Москва 2":       false, // one alphabet and digits
		"東京 Feed":        false, // Latin with Han is not a look-alike mix
		"Ελληνικά Token": true,
	} {
		if got := mixedScripts(name) != ""; got != refused {
			t.Errorf("%q: refused %v, want %v", name, got, refused)
		}
	}
}
