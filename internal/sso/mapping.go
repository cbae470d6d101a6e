// Package sso holds what single sign-on decides without the web: which
// role and apps an identity provider's claim values map to, and how the
// settings page's text fields are read.
package sso

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tokendesk/tokendesk/internal/store"
)

// Access is what the role mapping makes of a person: Role "" is none.
type Access struct {
	Role string
	Apps []string // app names, for a designer
}

// Describe says it in words, for the audit log and the Test sign-in page.
func (a Access) Describe() string {
	switch {
	case a.Role == store.RoleAdmin:
		return "administrator"
	case a.Role == store.RoleDesigner:
		return "designer of " + strings.Join(a.Apps, ", ")
	}
	return "no access"
}

// Map reads the claim values: an administrator value wins; otherwise each
// designer rule whose value is held adds its app.
func Map(set store.SSOSettings, values []string) Access {
	held := func(v string) bool { return slices.Contains(values, v) }
	if slices.ContainsFunc(set.AdminValues, held) {
		return Access{Role: store.RoleAdmin}
	}
	var apps []string
	for _, r := range set.DesignerRules {
		if held(r.Value) && !slices.Contains(apps, r.App) {
			apps = append(apps, r.App)
		}
	}
	if len(apps) == 0 {
		return Access{}
	}
	return Access{Role: store.RoleDesigner, Apps: apps}
}

// ClaimValues reads a claim as a list of strings: identity providers send
// groups as an array, some a single string; numbers and the like are
// skipped rather than guessed at.
func ClaimValues(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// List reads a text field of values, one a line or comma-separated,
// dropping blanks and repeats.
func List(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// ParseDesignerRules reads "value = app name" lines. The error names the
// first line that is not of that form.
func ParseDesignerRules(text string) ([]store.SSODesignerRule, error) {
	var out []store.SSODesignerRule
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		value, app, ok := strings.Cut(line, "=")
		value, app = strings.TrimSpace(value), strings.TrimSpace(app)
		if !ok || value == "" || app == "" {
			return nil, fmt.Errorf("line %d is not of the form “claim value = app name”", i+1)
		}
		out = append(out, store.SSODesignerRule{Value: value, App: app})
	}
	return out, nil
}

// DesignerText writes rules back as the settings page shows them.
func DesignerText(rules []store.SSODesignerRule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%s = %s\n", r.Value, r.App)
	}
	return b.String()
}
