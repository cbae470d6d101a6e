package web

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

// page builds what every full page needs: the signed-in user, the CSRF
// token, any flash message and the breadcrumb trail.
func (s *Server) page(c echo.Context, title, nav string, crumbs ...views.Crumb) views.Page {
	p := views.Page{Title: title, CSRF: csrfOf(c), Nav: nav, Crumbs: crumbs}
	if u := currentUser(c); u != nil {
		p.User = &views.User{Email: u.Email, IsAdmin: u.IsAdmin()}
		p.Flash = s.popFlash(c)
		if strings.Contains(p.Flash, flashErrorMark) {
			p.FlashError = true
		} else if strings.Contains(p.Flash, flashWarnMark) {
			p.FlashWarn = true
		}
		p.Flash = strings.NewReplacer(flashErrorMark, "", flashWarnMark, "").Replace(p.Flash)
	}
	return p
}

// flashErrorMark starts a flash that reports a failure. It is a control
// character, which no message a person can cause contains.
const (
	flashErrorMark = "\x1e"
	flashWarnMark  = "\x1f"
)

// flashError is flash for something that did not work: the next page
// shows it in the error style, never as a success.
func (s *Server) flashError(c echo.Context, msg string) {
	s.flash(c, flashErrorMark+msg)
}

// flashWarn is flash for something done that needs a second look.
func (s *Server) flashWarn(c echo.Context, msg string) {
	s.flash(c, flashWarnMark+msg)
}
