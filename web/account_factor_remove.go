package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// removeFactor removes one of the person's own second factors, after a
// confirmation (the list's Remove button posts here first).
func (s *Server) removeFactor(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	factors, err := s.Store.Factors(ctx, u.ID)
	if err != nil {
		return err
	}
	var found *store.Factor
	confirmed := 0
	for i, f := range factors {
		if f.Confirmed {
			confirmed++
		}
		if f.ID == id {
			found = &factors[i]
		}
	}
	if found == nil {
		return userError(http.StatusNotFound, "This second factor does not exist, or it has been removed already.")
	}
	confirm := views.FactorRemovePage{
		Page: s.page(c, "Remove a second factor", "", views.Crumb{Label: "Your account", URL: "/account"}, views.Crumb{Label: "Remove a second factor"}),
		Kind: factorKindLabel(found.Kind), Name: found.Name, PostURL: "/account/factors/" + strconv.FormatInt(id, 10) + "/remove",
		Last: found.Confirmed && confirmed == 1, AskPassword: u.PasswordHash != "",
	}
	if c.FormValue("confirmed") != "yes" {
		return render(c, http.StatusOK, views.FactorRemove(confirm))
	}
	if msg, err := s.proveIdentity(c, "current-password"); err != nil {
		return err
	} else if msg != "" {
		confirm.Error = msg
		return render(c, http.StatusUnprocessableEntity, views.FactorRemove(confirm))
	}
	if err := s.Store.RemoveFactor(ctx, u.ID, id); errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "This second factor does not exist, or it has been removed already.")
	} else if err != nil {
		return err
	}
	s.flash(c, "Second factor removed.")
	return c.Redirect(http.StatusSeeOther, "/account")
}
