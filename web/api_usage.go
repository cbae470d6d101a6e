package web

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// exampleTokenName stands in for a token's name in the snippets of a key
// whose scope has no token yet.
const exampleTokenName = "Lab Feed"

// publicBase is this console's address as an app reaches it: the
// configured TOKENDESK_BASE_URL, or, when that was left to its default
// (http:// and the listening address, which may be 0.0.0.0 or port 0),
// the address the browser used.
func (s *Server) publicBase(c echo.Context) string {
	base := strings.TrimRight(s.Config.BaseURL.String(), "/")
	if base != "http://"+s.Config.Addr || c.Request().Host == "" {
		return base
	}
	return c.Scheme() + "://" + c.Request().Host
}

// clientsURL is where a scope's API clients are made.
func clientsURL(appID int64) string {
	if appID == 0 {
		return "/clients"
	}
	return appURL(appID) + "/clients"
}

// tokenUsage is a saved token's "Use it from an app" panel.
func (s *Server) tokenUsage(c echo.Context, sc scope, name string) *views.APIUsage {
	return views.NewAPIUsage(s.publicBase(c), name, clientsURL(sc.AppID))
}

// keyUsage is the panel of the page that shows a new key once: the same
// snippets, for a token this key may fetch (the scope's first by name, or
// for an app's key the first global one the app may use), and the line
// that puts the key in TOKENDESK_KEY.
//
// The key is shown only on this page, so a failure to read the token
// names costs the example its name, never the page.
func (s *Server) keyUsage(c echo.Context, appID int64, key string) *views.APIUsage {
	name, err := s.firstTokenName(c.Request().Context(), appID)
	if err != nil {
		s.Logger.ErrorContext(c.Request().Context(), "reading a token name for the new key's examples", "err", err, "request_id", requestID(c))
		name = ""
	}
	u := views.NewAPIUsage(s.publicBase(c), name, "")
	if name == "" {
		u = views.NewAPIUsage(s.publicBase(c), exampleTokenName, "")
		u.NoToken = true
	}
	// Keys are made of characters that need no quoting; single quotes all
	// the same, so a shell never reads anything into one.
	u.KeyExport = "export TOKENDESK_KEY='" + key + "'"
	return u
}

func (s *Server) firstTokenName(ctx context.Context, appID int64) (string, error) {
	toks, _, err := s.Store.ListTokens(ctx, store.TokenFilter{AppID: appID, Now: s.Now(), Limit: 1})
	if err != nil {
		return "", err
	}
	if len(toks) > 0 {
		return toks[0].Name, nil
	}
	if appID == 0 {
		return "", nil
	}
	globals, _, err := s.Store.GlobalTokensFor(ctx, appID, 1, "", false)
	if err != nil || len(globals) == 0 {
		return "", err
	}
	return globals[0].Name, nil
}
