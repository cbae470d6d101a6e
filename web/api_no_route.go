package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiNoRoute answers every request under /api/ that no API route takes:
// 405 (with Allow) when the path is an API route's for other methods, 404
// otherwise, in the API's JSON. Without it such a request fell through to
// the console's catch-all, which sent a consumer a 303 to the HTML login
// page, or a 403 about a form's CSRF token.
func (s *Server) apiNoRoute(c echo.Context) error {
	path := c.Request().URL.Path
	var allow []string
	for _, r := range s.echo.Routes() {
		if r.Method == echo.RouteNotFound || r.Method == "" || !strings.HasPrefix(r.Path, "/api/") || strings.HasSuffix(r.Path, "*") {
			continue
		}
		if routeMatches(r.Path, path) && !slices.Contains(allow, r.Method) {
			allow = append(allow, r.Method)
		}
	}
	if len(allow) > 0 {
		slices.Sort(allow)
		c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
		return writeAPIError(c, http.StatusMethodNotAllowed, "method_not_allowed",
			"This address of the runtime API does not accept "+c.Request().Method+"; it accepts "+strings.Join(allow, ", ")+". See /api/v1/openapi.json.")
	}
	return writeAPIError(c, http.StatusNotFound, "not_found",
		"There is no runtime API at this address. Fetch a token with GET /api/v1/tokens/{name}; every address is in /api/v1/openapi.json.")
}

// routeMatches reports whether path fits an Echo route pattern: a :param
// is one segment, not empty.
func routeMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
		} else if p != xs[i] {
			return false
		}
	}
	return true
}

// apiMessage is what the runtime API says for an error the console's
// error handler names (msg) in a person's words: a program sends no forms.
func apiMessage(status int, msg string) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "The request body is larger than the runtime API accepts (" + maxBody + "B). A report of a refused token is {\"rejected_token\": \"<access token>\"}."
	case http.StatusMethodNotAllowed:
		return "This address of the runtime API does not accept that method. See /api/v1/openapi.json."
	}
	return msg
}
