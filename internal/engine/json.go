package engine

import (
	"unicode/utf8"
)

// The runtime API writes JSON as encoding/json does, but without its HTML
// escaping: a consumer reads `<key>` in a message, not `\u003ckey\u003e`.
// The answers go to programs, never into a page, and carry
// `Content-Type: application/json` and nosniff, so escaping <, > and &
// protects nothing there. The answer of a fetch is written by hand into
// one buffer: the fetch path stays as light as encoding/json's.

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string exactly as encoding/json
// writes it (short escapes, \u00XX for other controls, U+FFFD for invalid
// UTF-8, U+2028 and U+2029 escaped for JavaScript), except that <, > and &
// are written as they are.
func AppendJSONString(b []byte, s string) []byte {
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

// ErrorJSON is the runtime API's error body: {"error":{"code","message"}}.
func ErrorJSON(code, message string) []byte {
	b := make([]byte, 0, 40+len(code)+len(message))
	b = append(b, `{"error":{"code":`...)
	b = AppendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = AppendJSONString(b, message)
	return append(b, "}}\n"...)
}

// Answer is the runtime API's answer, as the README's Runtime API section gives it.
type Answer struct {
	Name        string  `json:"name"`
	Provider    string  `json:"provider"`
	Scope       string  `json:"scope"`
	AccessToken string  `json:"access_token"`
	TokenType   string  `json:"token_type"`
	ExpiresAt   *string `json:"expires_at"`
	// With are the values the provider hands out with the token, in its
	// order (Redox's source_id; Zoom's api_url: a regional cluster, or
	// https://api.zoomgov.com for ZoomGov). Empty ones are left out.
	With [][2]string `json:"-"`
}

// MarshalJSON writes the fixed fields, then the provider's own, as
// encoding/json would but without HTML escaping (see AppendJSONString).
func (a Answer) MarshalJSON() ([]byte, error) {
	n := 100 + len(a.Name) + len(a.Provider) + len(a.Scope) + len(a.AccessToken) + len(a.TokenType)
	for _, kv := range a.With {
		n += 6 + len(kv[0]) + len(kv[1])
	}
	b := make([]byte, 0, n)
	b = append(b, `{"name":`...)
	b = AppendJSONString(b, a.Name)
	b = append(b, `,"provider":`...)
	b = AppendJSONString(b, a.Provider)
	b = append(b, `,"scope":`...)
	b = AppendJSONString(b, a.Scope)
	b = append(b, `,"access_token":`...)
	b = AppendJSONString(b, a.AccessToken)
	b = append(b, `,"token_type":`...)
	b = AppendJSONString(b, a.TokenType)
	b = append(b, `,"expires_at":`...)
	if a.ExpiresAt == nil {
		b = append(b, "null"...)
	} else {
		b = AppendJSONString(b, *a.ExpiresAt)
	}
	for _, kv := range a.With {
		if kv[1] == "" {
			continue
		}
		b = append(b, ',')
		b = AppendJSONString(b, kv[0])
		b = append(b, ':')
		b = AppendJSONString(b, kv[1])
	}
	return append(b, '}'), nil
}
