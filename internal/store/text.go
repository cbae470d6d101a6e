package store

import (
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// CheckNamedValue cleans every text argument on its way to PostgreSQL,
// which refuses a NUL byte or invalid UTF-8 in text with an error (a 500
// for an anonymous sign-in, a runtime API name or a list filter, and a
// refused-fetch batch that could never be written). Both become U+FFFD, so
// a lookup simply finds nothing and a logged name is stored as text. It is
// the one place every statement's arguments pass (database/sql asks the
// connection, prepared statements included); everything else goes to pgx
// as it is, which is what pgx's own CheckNamedValue does. Byte slices
// (sealed values) are not text and are left alone. SQLite stores such
// text as it is, so nothing changes there.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if s, ok := nv.Value.(string); ok {
		nv.Value = cleanText(s)
	}
	return nil
}

// cleanText replaces NUL bytes and invalid UTF-8 with U+FFFD.
func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Unwritable reports an error that writing the same row again would meet
// again: the database refused the data itself (a PostgreSQL data exception,
// integrity or size limit; SQLite's constraint, type or size errors), not
// a lost connection, a lock or a full disk. A flusher drops such a row
// rather than retry its batch for ever.
func Unwritable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "22", "23", "54":
			return true
		}
		return false
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
			return true
		}
	}
	return false
}

// ErrorCode names a database error by its code alone (SQLSTATE, or
// SQLite's extended result code), for a log line: the message itself may
// quote the value that was refused.
func ErrorCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return "SQLSTATE " + pe.Code
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		return "SQLite " + strconv.Itoa(se.Code())
	}
	return "unknown"
}
