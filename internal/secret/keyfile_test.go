package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A world-readable master key file of our own is narrowed to its owner; a
// link to one is not followed and changed, but warned about.
func TestPrivateKeyFileNarrowsOursAndWarnsOtherwise(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if _, _, err := LoadOrCreateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	warning, err := PrivateKeyFile(path)
	if err != nil || warning != "" {
		t.Fatalf("own file: %q, %v", warning, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("own file left %v", fi.Mode().Perm())
	}

	os.Chmod(path, 0o644)
	link := filepath.Join(dir, "linked.key")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	warning, err = PrivateKeyFile(link)
	if err != nil || !strings.Contains(warning, "can be read by others (mode 0644)") {
		t.Fatalf("link: %q, %v", warning, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("the link's target changed to %v", fi.Mode().Perm())
	}
	// A private file through a link needs no warning.
	os.Chmod(path, 0o600)
	if warning, err := PrivateKeyFile(link); err != nil || warning != "" {
		t.Fatalf("private target: %q, %v", warning, err)
	}
}
