package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// showSecondFactor asks for the second factor of a half-signed-in person.
func (s *Server) showSecondFactor(c echo.Context) error {
	m, ok, err := s.secondFactorPage(c)
	if err != nil || !ok {
		return err
	}
	return render(c, http.StatusOK, views.SecondFactor(m))
}

// secondFactorPage builds the second step's page; without a (recent)
// half-signed-in session it sends the browser back to the password.
func (s *Server) secondFactorPage(c echo.Context) (views.SecondFactorPage, bool, error) {
	id := s.pendingUser(c)
	if id == 0 {
		return views.SecondFactorPage{}, false, c.Redirect(http.StatusSeeOther, "/login")
	}
	ctx := c.Request().Context()
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return views.SecondFactorPage{}, false, err
	}
	factors, err := s.Store.Factors(ctx, id)
	if err != nil {
		return views.SecondFactorPage{}, false, err
	}
	m := views.SecondFactorPage{Page: s.page(c, "Second step", ""), Email: u.Email}
	for _, f := range factors {
		if !f.Confirmed {
			continue
		}
		switch f.Kind {
		case store.FactorTOTP:
			m.HasTOTP = true
		case store.FactorPasskey:
			m.HasPasskey = true
		}
	}
	return m, true, nil
}
