package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

const (
	csrfCookie = "tokendesk_csrf"
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
	ctxCSRF    = "csrf"
)

// csrf requires every unsafe request to carry a token that only our own
// pages can know: an HMAC (keyed from the master key) of a random
// per-browser cookie and the session. A cross-site form can neither read
// the cookie nor compute the HMAC. (Echo's CSRF middleware skips the token
// whenever a browser sends Sec-Fetch-Site; we always want the token.)
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		binding := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 64 {
			binding = ck.Value
		}
		if binding == "" {
			b := make([]byte, 32)
			rand.Read(b)
			binding = base64.RawURLEncoding.EncodeToString(b)
			c.SetCookie(&http.Cookie{
				Name: csrfCookie, Value: binding, Path: "/", HttpOnly: true,
				Secure: s.Config.SecureCookies(), SameSite: http.SameSiteLaxMode,
			})
		}
		want := s.csrfToken(binding, c)
		c.Set(ctxCSRF, want)

		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		got := c.Request().Header.Get(csrfHeader)
		if got == "" && isForm(c.Request()) {
			got = c.FormValue(csrfField)
		}
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return userError(http.StatusForbidden,
				"This form has expired or came from another site, so it was not accepted. Reload the page and try again.")
		}
		return next(c)
	}
}

func (s *Server) csrfToken(binding string, c echo.Context) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	mac.Write([]byte(binding))
	mac.Write([]byte{0})
	if sess := currentSession(c); sess != nil {
		mac.Write([]byte(sess.ID))
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func csrfOf(c echo.Context) string {
	t, _ := c.Get(ctxCSRF).(string)
	return t
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
