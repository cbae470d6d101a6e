package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/notify"
)

// A new or rotated secret travels to the endpoint's page as the API client
// keys do (client_create.go): sealed in a short-lived cookie bound to the
// person and the endpoint, never in a URL, shown once (its id spent in the
// database, so a replayed copy of the cookie shows nothing).
const newSecretCookie = "tokendesk_new_secret"

func newSecretAAD(userID, webhookID int64) string {
	return fmt.Sprintf("tokendesk/new-webhook-secret/%d/%d", userID, webhookID)
}

// createWebhook adds an endpoint with a new secret, then shows its page
// with the secret, once.
func (s *Server) createWebhook(c echo.Context) error {
	url, events, errs, err := s.webhookInput(c)
	if err != nil {
		return err
	}
	if errs != nil {
		return s.renderWebhooks(c, http.StatusUnprocessableEntity, webhookForm(webhooksURL, "Add endpoint", url, events, errs))
	}
	secret := notify.NewSecret()
	id, err := s.Store.CreateWebhook(c.Request().Context(), url, events, secret, currentUser(c).Email)
	if err != nil {
		return err
	}
	if err := s.handOverSecret(c, id, secret); err != nil {
		return err
	}
	s.flash(c, "Endpoint added. Copy its signing secret now: it is not shown again.")
	return c.Redirect(http.StatusSeeOther, webhookURL(id))
}

func (s *Server) handOverSecret(c echo.Context, id int64, secret string) error {
	b, err := json.Marshal(newKey{Key: secret, Expires: s.Now().Add(newKeyTTL).Unix(), Once: newOnceID()})
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: newSecretCookie, Value: s.Box.SealString(b, newSecretAAD(currentUser(c).ID, id)), Path: webhookURL(id),
		MaxAge: int(newKeyTTL.Seconds()), HttpOnly: true, Secure: s.Config.SecureCookies(), SameSite: http.SameSiteStrictMode,
	})
	return nil
}

// takeSecret reads the secret handed over, once: the cookie goes with this answer.
func (s *Server) takeSecret(c echo.Context, id int64) string {
	ck, err := c.Cookie(newSecretCookie)
	if err != nil {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: newSecretCookie, Value: "", Path: webhookURL(id), MaxAge: -1, HttpOnly: true,
		Secure: s.Config.SecureCookies(), SameSite: http.SameSiteStrictMode})
	if len(ck.Value) > 4096 {
		return ""
	}
	plain, err := s.Box.OpenString(ck.Value, newSecretAAD(currentUser(c).ID, id))
	if err != nil {
		return ""
	}
	var nk newKey
	if json.Unmarshal(plain, &nk) != nil || s.Now().Unix() > nk.Expires || !s.spendOnce(c, nk.Once, nk.Expires) {
		return ""
	}
	return nk.Key
}
