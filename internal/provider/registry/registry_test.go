package registry

import (
	"reflect"
	"regexp"
	"testing"
)

// A provider's base URLs are its declaration: every one has a name that
// makes a setting (TOKENDESK_<NAME>_URL), a default, and one meaning when
// several providers share it; a registered emulator serves it, so the demo
// and the tests never reach the real service; and an emulator serves only
// declared names.
func TestBaseURLsAreDeclaredAndEmulated(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	declared := map[string]bool{}
	for _, p := range All() {
		for _, b := range p.BaseURLs {
			if !valid.MatchString(b.Name) || b.Label == "" {
				t.Errorf("%s declares %+v: want a lower-case name and a label", p.ID, b)
			}
			for _, o := range BaseURLs() {
				if o.Name == b.Name && !reflect.DeepEqual(o, b) {
					t.Errorf("%s declares %q as %+v, another provider as %+v", p.ID, b.Name, b, o)
				}
			}
			declared[b.Name] = true
		}
	}
	served := map[string]string{}
	for _, e := range Emulators() {
		if e.Name == "" || e.Demo == nil || (len(e.Paths) == 0 && e.Prefix == "") {
			t.Errorf("emulator %q: want a name, a demo and paths", e.Name)
		}
		for _, n := range e.Serves {
			if !declared[n] {
				t.Errorf("emulator %s serves %q, which no provider declares", e.Name, n)
			}
			served[n] = e.Name
		}
	}
	for _, b := range BaseURLs() {
		if served[b.Name] == "" {
			t.Errorf("no registered emulator serves %s (%s)", b.Name, b.EnvVar())
		}
	}
	// The documented names are what the generic rule makes.
	var envs []string
	for _, b := range BaseURLs() {
		envs = append(envs, b.EnvVar())
	}
	if want := []string{"TOKENDESK_REDOX_URL", "TOKENDESK_ZOOM_API_URL", "TOKENDESK_ZOOM_OAUTH_URL", "TOKENDESK_OAUTH_VENDORS_URL"}; !reflect.DeepEqual(envs, want) {
		t.Errorf("settings = %v, want the documented %v", envs, want)
	}
}
