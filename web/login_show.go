package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

func (s *Server) showLogin(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	if s.Setup.Active() {
		return c.Redirect(http.StatusSeeOther, "/setup")
	}
	m := views.LoginPage{Page: s.page(c, "Sign in", ""), Next: c.QueryParam("next")}
	if err := s.loginSSO(c.Request().Context(), &m); err != nil {
		return err
	}
	if c.QueryParam("signed_out") != "" {
		m.Flash = "You have signed out."
	}
	return render(c, http.StatusOK, views.Login(m))
}

// safeNext keeps post-login redirects on this site: only an absolute
// path of our own, judged after parsing. Browsers drop tabs and newlines
// from URLs and read a backslash as a slash, so "/\t/evil.example" and
// "/\\evil.example" lead off-site; anything with control characters or
// backslashes, raw or percent-encoded, or that parses with a scheme or a
// host, goes to the default page instead.
func safeNext(next string) string {
	const home = "/" // home sends each role to its first screen
	if !strings.HasPrefix(next, "/") || len(next) > 2048 || !utf8.ValidString(next) {
		return home
	}
	decoded, err := url.PathUnescape(next)
	if err != nil {
		return home
	}
	if strings.ContainsFunc(next, unicode.IsSpace) {
		return home
	}
	for _, s := range []string{next, decoded} {
		if strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) || strings.HasPrefix(s, "//") {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return home
	}
	return u.RequestURI()
}
