package web

import (
	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/engine"
)

// writeAPIError answers an API request with status and the runtime API's
// error body (engine.ErrorJSON: JSON without HTML escaping).
func writeAPIError(c echo.Context, status int, code, message string) error {
	return c.Blob(status, echo.MIMEApplicationJSON, engine.ErrorJSON(code, message))
}
