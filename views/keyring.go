package views

import "strconv"

// KeyringPanel is the settings page's Encryption keys section: key ids
// and counts only, never key material.
type KeyringPanel struct {
	Keys []KeyRow
	// MasterV1 counts values still sealed straight under the master key
	// (before data keys); the next rotation moves them.
	MasterV1  int
	Rotation  *RotationView
	RotateURL string
}

// KeyRow is one data key.
type KeyRow struct {
	Name    string // "key 2"
	Values  int
	Created string
	Current bool
}

// RotationView is the key rotation under way, or the last one.
type RotationView struct {
	Running     bool
	Done, Total int
	Key         string
	StartedBy   string
	Started     string
	Finished    string
	Stuck       int // values that open with no key
}

// RotateKeyPage confirms a key rotation.
type RotateKeyPage struct {
	Page
	Current   string
	Values    int
	Running   bool
	PostURL   string
	CancelURL string
}

// Thousands writes n with comma separators: 10,000.
func Thousands(n int) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Resealing is a rotation's progress in words.
func Resealing(done, total int) string {
	return "Re-sealing: " + Thousands(done) + " of " + Thousands(total) + " values"
}
