package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// refreshRoute is where an app reports the access token its service
// refused (issue 19 item 2).
const refreshRoute = fetchRoute + "/refresh"

// refreshToken is POST /api/v1/tokens/{name}/refresh: engine.Refresh.
func (s *Server) refreshToken(c echo.Context) error {
	c.Response().Header()[headerCacheControl] = noStoreValue
	body, err := s.engine.Refresh(c.Request().Context(), apiRequest(c), c.Request().Body)
	if err != nil {
		return apiRefusal(c, err)
	}
	return c.JSONBlob(http.StatusOK, body)
}
