package web

import (
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// The runtime API writes JSON as encoding/json does, but without its HTML
// escaping: a consumer reads `<key>` in a message, not `\u003ckey\u003e`.
// The answers go to programs, never into a page, and carry
// `Content-Type: application/json` and nosniff, so escaping <, > and &
// protects nothing there. The answer of a fetch is written by hand into
// one buffer: the fetch path stays as light as encoding/json's.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it (short escapes, \u00XX for other controls, U+FFFD for invalid
// UTF-8, U+2028 and U+2029 escaped for JavaScript), except that <, > and &
// are written as they are.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// apiErrorJSON is the runtime API's error body: {"error":{"code","message"}}.
func apiErrorJSON(code, message string) []byte {
	b := make([]byte, 0, 40+len(code)+len(message))
	b = append(b, `{"error":{"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	return append(b, "}}\n"...)
}

// writeAPIError answers an API request with status and the error body.
func writeAPIError(c echo.Context, status int, code, message string) error {
	return c.Blob(status, echo.MIMEApplicationJSON, apiErrorJSON(code, message))
}
