package token

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tokendesk/tokendesk/internal/provider"
	"golang.org/x/text/unicode/norm"
)

// Input is what a person submitted on a provider's form, normalised.
type Input struct {
	// Values holds every field's submitted value by key (checkboxes "on").
	Values map[string]string
	// Clear names optional secret fields whose stored value is to be removed.
	Clear map[string]bool
}

// FieldErrors maps a field key to the message shown next to it.
type FieldErrors map[string]string

// Default lengths for credential values without a declared limit.
const (
	defaultMaxLen = 512
	maxNameLen    = 100
	maxDescLen    = 2000
)

// Normalize tidies raw form values: trims single-line values, normalises
// newlines and Unicode composition. It never drops what was typed.
func Normalize(p provider.Provider, raw func(key string) string) Input {
	in := Input{Values: map[string]string{}, Clear: map[string]bool{}}
	for _, f := range p.Fields {
		if f.Control == provider.Button || f.Control == provider.Copy {
			continue
		}
		v := raw(f.Key)
		switch f.Control {
		case provider.TextArea:
			v = strings.ReplaceAll(v, "\r\n", "\n")
			v = strings.TrimSpace(v)
		default:
			v = strings.TrimSpace(v)
		}
		if v == "" && f.DefaultWhenMissing {
			// A field added after the form or export was made.
			v = f.Default
		}
		in.Values[f.Key] = norm.NFC.String(v)
		if f.Secret && !f.Required && raw("clear_"+f.Key) != "" {
			in.Clear[f.Key] = true
		}
	}
	return in
}

// Validate checks in against p's declared fields. stored names the secret
// fields that already hold a value (an empty secret then keeps it).
func Validate(p provider.Provider, in Input, stored map[string]bool) FieldErrors {
	errs := FieldErrors{}
	for _, f := range p.Fields {
		if f.Control == provider.Button || f.Control == provider.Checkbox || f.Control == provider.Copy {
			continue
		}
		v := in.Values[f.Key]
		if msg := validateField(p, f, v, stored[f.Key], in.Clear[f.Key]); msg != "" {
			errs[f.Key] = msg
		} else if c := f.RequiredWhen; c != nil && in.Values[c.Key] == c.Value && v == "" && (!stored[f.Key] || in.Clear[f.Key]) {
			errs[f.Key] = fmt.Sprintf("Enter the %s: %s", f.Label, c.Why)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func validateField(p provider.Provider, f provider.Field, v string, stored, clear bool) string {
	if !utf8.ValidString(v) {
		return fmt.Sprintf("%s contains bytes that are not text (invalid UTF-8). Type or paste it again.", f.Label)
	}
	n := utf8.RuneCountInString(v)
	switch f.Key {
	case provider.KeyName:
		if v == "" {
			return "Enter a Token Name."
		}
		if n > maxNameLen {
			return fmt.Sprintf("Token Name can be at most %d characters; this one has %d.", maxNameLen, n)
		}
		for _, r := range v {
			if !(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || r == ' ') {
				return fmt.Sprintf("Token Name can have only letters, numbers and spaces; remove %s.", describeRune(r))
			}
		}
		return mixedScripts(v)
	case provider.KeyDescription:
		if n > maxDescLen {
			return fmt.Sprintf("Description can be at most %d characters; this one has %d.", maxDescLen, n)
		}
		for _, r := range v {
			if unicode.IsControl(r) && r != '\n' && r != '\t' {
				return fmt.Sprintf("Description contains a control character (%s); remove it.", describeRune(r))
			}
		}
		return ""
	}

	if f.Control == provider.Select {
		for _, o := range f.Options {
			if o.Value == v {
				return ""
			}
		}
		return fmt.Sprintf("Choose one of the listed %s options.", f.Label)
	}

	if clear && v != "" {
		return fmt.Sprintf("Either type a new %s or tick “Clear”, not both.", f.Label)
	}
	if v == "" {
		if f.Required && !stored {
			return fmt.Sprintf("Enter the %s from %s.", f.Label, p.Name)
		}
		return ""
	}
	limit := f.MaxLen
	if limit == 0 {
		limit = defaultMaxLen
	}
	if n > limit {
		return fmt.Sprintf("%s can be at most %d characters; this one has %d.", f.Label, limit, n)
	}
	for _, r := range v {
		if f.Control == provider.TextArea && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return fmt.Sprintf("%s must be one line without control characters; remove %s.", f.Label, describeRune(r))
		}
		if f.Credential && unicode.IsSpace(r) {
			return fmt.Sprintf("%s cannot contain spaces; check that it was copied whole and only once.", f.Label)
		}
	}
	if f.Check != nil {
		return f.Check(v)
	}
	return ""
}

// describeRune names a character so that invisible ones can be found.
func describeRune(r rune) string {
	if unicode.IsPrint(r) && !unicode.IsSpace(r) {
		return fmt.Sprintf("“%c”", r)
	}
	return fmt.Sprintf("the invisible character U+%04X", r)
}
