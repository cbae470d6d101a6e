package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// showAccount is Your account: the person's own password, second factors
// and sessions.
func (s *Server) showAccount(c echo.Context) error {
	m, err := s.accountPage(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Account(m))
}

// accountPage builds Your account for the signed-in person; handlers that
// show a result (a new key, new recovery codes) add to it.
func (s *Server) accountPage(c echo.Context) (views.AccountPage, error) {
	u := currentUser(c)
	ctx := c.Request().Context()
	m := views.AccountPage{Page: s.page(c, "Your account", "", views.Crumb{Label: "Your account"}), Email: u.Email,
		AskPassword: u.PasswordHash != "", MustChange: u.MustChangePassword, SessionsURL: "/sessions", Errors: map[string]string{}}
	factors, err := s.Store.Factors(ctx, u.ID)
	if err != nil {
		return m, err
	}
	now := s.Now()
	for _, f := range factors {
		if !f.Confirmed {
			continue
		}
		m.HasFactor = true
		m.Factors = append(m.Factors, views.FactorRow{Kind: factorKindLabel(f.Kind), Name: f.Name, Added: f.CreatedAt, LastUsed: f.LastUsedAt, Now: now,
			RemoveURL: "/account/factors/" + strconv.FormatInt(f.ID, 10) + "/remove"})
	}
	if m.RecoveryLeft, err = s.Store.RecoveryCodesLeft(ctx, u.ID); err != nil {
		return m, err
	}
	if u.IsAdmin() && !m.HasFactor {
		required, err := s.Store.GetSetting(ctx, settingRequireFactor)
		if err != nil {
			return m, err
		}
		m.MustEnrol = required == "true"
	}
	return m, nil
}

func factorKindLabel(kind string) string {
	if kind == store.FactorPasskey {
		return "Passkey"
	}
	return "Authenticator app"
}
