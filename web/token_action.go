package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// runAction runs one of a provider form's buttons on the values in the form.
func (s *Server) runAction(c echo.Context, f *tokenForm, action string) error {
	if !s.actionAvailable(f.p, action) {
		return userError(http.StatusBadRequest, "This form has no such button.")
	}
	return userError(http.StatusNotImplemented, "not yet")
}
