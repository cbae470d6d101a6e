package provider

import (
	"strings"
	"unicode/utf8"
)

// Said quotes what a service said about a refusal, redacted, as a
// sentence of its own: ` It said: “…”.` A quote that ends a sentence
// itself keeps its own stop, so the message never reads “….”.
func Said(text string, secrets ...string) string {
	q := Redact(text, secrets...)
	if q == "" {
		return ""
	}
	if r, _ := utf8.DecodeLastRuneInString(q); strings.ContainsRune(".!?…", r) {
		return " It said: “" + q + "”"
	}
	return " It said: “" + q + "”."
}
