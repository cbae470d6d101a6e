package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Unavailable reports whether err means the database cannot be reached
// (or will not take requests) right now, rather than that a request was
// wrong: PostgreSQL down, restarting, refusing connections or dropping
// them, or a SQLite file locked by another program for longer than the
// busy timeout. Callers answer it with 503 and Retry-After, not a 500. It
// is the one place such errors are recognised.
func Unavailable(err error) bool {
	return err != nil && unavailableReason(err) != ""
}

// UnavailableReason says, in a few words fit for /readyz and a log line,
// why the database cannot be reached ("" when err is not that). It never
// contains the database URL or its credentials.
func UnavailableReason(err error) string {
	if err == nil {
		return ""
	}
	return unavailableReason(err)
}

func unavailableReason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", // admin_shutdown: terminating connection due to administrator command
			pe.Code == "57P02", // crash_shutdown
			pe.Code == "57P03", // cannot_connect_now: starting up, shutting down, recovering
			pe.Code == "53300": // too_many_connections
			return "PostgreSQL: " + pe.Message
		}
		return ""
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return "the database file is locked by another program"
		}
		return ""
	}
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno) && (errno == syscall.ECONNREFUSED || errno == syscall.ECONNRESET ||
		errno == syscall.EPIPE || errno == syscall.EHOSTUNREACH || errno == syscall.ENETUNREACH):
		return errno.Error()
	case pgconn.Timeout(err):
		return "no answer in time"
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection lost"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "its host name does not resolve"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return "no answer in time"
		}
		return "network error"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return "cannot connect"
	}
	return ""
}
