package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// resetFactors removes every second factor and recovery code of a person
// who lost them, after a confirmation; audited. Their sessions stay.
func (s *Server) resetFactors(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	base := "/users/" + strconv.FormatInt(u.ID, 10)
	if c.FormValue("confirmed") != "yes" {
		return render(c, http.StatusOK, views.FactorsReset(views.FactorsResetPage{
			Page: s.page(c, "Reset second factors of "+u.Email, views.NavUsers, views.Crumb{Label: "Users", URL: "/users"},
				views.Crumb{Label: u.Email, URL: base}, views.Crumb{Label: "Reset second factors"}),
			Email: u.Email, PostURL: base + "/factors/reset", CancelURL: base,
		}))
	}
	if err := s.Store.ResetFactors(c.Request().Context(), u.ID, currentUser(c).Email); errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "No such user.")
	} else if err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("Reset the second factors of %s: their password alone signs them in until they add one.", u.Email))
	return c.Redirect(http.StatusSeeOther, base)
}
