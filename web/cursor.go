package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Lists page by keyset: a page link carries the sort keys of the row it
// continues from ("after") or goes back from ("before"), so that every
// page is one index range however far into the list it is. The keys travel
// as base64url JSON; they are not secret, only checked.

// encodeCursor is the query-string form of a row's place in a list.
func encodeCursor(v any) string {
	b, _ := json.Marshal(v) // cursors are plain structs of strings and numbers
	return base64.RawURLEncoding.EncodeToString(b)
}

// errBadCursor is what a person sees for a page link that was cut short or
// edited by hand.
var errBadCursor = userError(http.StatusBadRequest,
	"This page link is damaged or incomplete, so the page it points to cannot be found. Start again from the first page of the list.")

// readCursor reads the "after" or "before" parameter into after or before
// (nil when absent); a parameter that does not decode exactly into the
// cursor's fields is a 400.
func readCursor[T any](c echo.Context, valid func(T) bool) (after, before *T, err error) {
	for _, p := range []struct {
		name string
		to   **T
	}{{"after", &after}, {"before", &before}} {
		raw := c.QueryParam(p.name)
		if raw == "" {
			continue
		}
		if *p.to, err = decodeCursor(raw, valid); err != nil {
			return nil, nil, err
		}
	}
	if after != nil && before != nil {
		return nil, nil, errBadCursor
	}
	return after, before, nil
}

func decodeCursor[T any](raw string, valid func(T) bool) (*T, error) {
	if len(raw) > 2048 {
		return nil, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, errBadCursor
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var v T
	if err := dec.Decode(&v); err != nil || dec.More() || !valid(v) {
		return nil, errBadCursor
	}
	return &v, nil
}
