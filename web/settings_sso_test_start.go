package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// startSSOTest is Test sign-in: the trip to the identity provider with
// the settings as saved, whose end shows what came back and signs nobody
// in. Not by a 303: the console's CSP (form-action 'self') stops a
// form's redirect to another site, so a page moves on by itself.
func (s *Server) startSSOTest(c echo.Context) error {
	set, err := s.Store.SSOSettingsNow(c.Request().Context())
	if err != nil {
		return err
	}
	to, err := s.startSSOTrip(c, set, store.SSOModeTest, currentUser(c).ID, "")
	if err != nil {
		if p, ok := err.(ssoProblem); ok {
			s.flashError(c, p.msg)
			return c.Redirect(http.StatusSeeOther, "/settings/sso")
		}
		return err
	}
	name := ssoNameOr(set.Name)
	c.Response().Header().Set("Refresh", "0; url="+to)
	return render(c, http.StatusOK, views.ConsentContinue(views.ConsentContinuePage{
		Page: s.page(c, "Continuing to "+name, views.NavSettings), Service: name, URL: to}))
}
