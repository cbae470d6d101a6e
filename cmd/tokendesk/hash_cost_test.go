package main

import (
	"github.com/tokendesk/tokendesk/internal/auth"
	"golang.org/x/crypto/bcrypt"
)

// The servers these tests start in-process hash and check passwords at
// bcrypt's lowest cost: at production's cost 12 every start (the
// administrator's hash and the unknown-email dummy) and every sign-in took
// seconds under -race. Likewise `tokendesk export --with-secrets` seals its
// files at scrypt work factor 10, as the web tests' lowWork does: at 2^18
// (256 MiB a file) TestExportImportCommands took over ten minutes under
// -race. Only this test binary changes them; the processes process_test.go
// starts are the real binary, at production's costs.
func init() {
	auth.DefaultHasher = auth.Hasher{Cost: bcrypt.MinCost}
	exportWorkFactor = 10
}
