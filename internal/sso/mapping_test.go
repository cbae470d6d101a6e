package sso

import (
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

func TestMap(t *testing.T) {
	set := store.SSOSettings{AdminValues: []string{"admins"}, DesignerRules: []store.SSODesignerRule{
		{Value: "billing", App: "Billing"}, {Value: "pay", App: "Payroll"}, {Value: "all-apps", App: "Billing"}, {Value: "all-apps", App: "Payroll"}}}
	for _, tc := range []struct {
		claims map[string]any
		want   string
	}{
		{map[string]any{"groups": []any{"staff", "admins", "billing"}}, "administrator"},
		{map[string]any{"groups": []any{"billing", "pay"}}, "designer of Billing, Payroll"},
		{map[string]any{"groups": []any{"all-apps", "billing"}}, "designer of Billing, Payroll"},
		{map[string]any{"groups": "billing"}, "designer of Billing"},
		{map[string]any{"groups": []any{"staff", 7}}, "no access"},
		{map[string]any{}, "no access"},
	} {
		if got := Map(set, ClaimValues(tc.claims, "groups")).Describe(); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.claims, got, tc.want)
		}
	}
}

func TestParseDesignerRules(t *testing.T) {
	rules, err := ParseDesignerRules("billing-devs = Billing\n\n  ops=Ops Portal  \n")
	if err != nil || len(rules) != 2 || rules[1] != (store.SSODesignerRule{Value: "ops", App: "Ops Portal"}) {
		t.Fatalf("%+v %v", rules, err)
	}
	if _, err := ParseDesignerRules("ok = App\nno equals sign"); err == nil || err.Error() != "line 2 is not of the form “claim value = app name”" {
		t.Fatalf("bad line: %v", err)
	}
	if got := List("a@example.com, b@example.com\na@example.com\n"); len(got) != 2 {
		t.Fatalf("List: %v", got)
	}
}
