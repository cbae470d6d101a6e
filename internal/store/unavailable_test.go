package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// What the drivers return while the database is down, restarting or
// dropping connections is told apart from a wrong request.
func TestUnavailableTellsAnOutageFromAMistake(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	for _, c := range []struct {
		err    error
		reason string // "" : not an outage
	}{
		{fmt.Errorf("store: token: %w", refused), "connection refused"},
		{fmt.Errorf("store: begin: %w", driver.ErrBadConn), "connection lost"},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, "PostgreSQL: terminating connection due to administrator command"},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, "PostgreSQL: the database system is starting up"},
		{&pgconn.PgError{Code: "08006", Message: "connection failure"}, "PostgreSQL: connection failure"},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key value"}, ""},
		{&pgconn.PgError{Code: "42601", Message: "syntax error"}, ""},
		{ErrNotFound, ""},
		{errors.New("store: something else"), ""},
		{nil, ""},
	} {
		if got := UnavailableReason(c.err); got != c.reason || Unavailable(c.err) != (c.reason != "") {
			t.Errorf("%v: reason %q, want %q", c.err, got, c.reason)
		}
	}
	// The reason never repeats the database's address or user.
	connect := fmt.Errorf("store: %w", &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 9), Port: 5432}, Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}})
	if r := UnavailableReason(connect); strings.Contains(r, "10.0.0.9") || r == "" {
		t.Fatalf("reason %q", r)
	}
}
