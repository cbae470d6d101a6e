package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// downloadCertificate serves a token's self-signed certificate (PEM) to
// upload to the service's app registration (Microsoft Entra's
// Certificates & secrets). It is public-key material: whoever may open the
// token may download it.
func (s *Server) downloadCertificate(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	notFound := userError(http.StatusNotFound, "This access token has no certificate: only a Signed JWT (private_key_jwt) token of Microsoft SharePoint has one, made when it is saved.")
	if p.PublicKeys == nil {
		return notFound
	}
	values, err := s.Store.TokenValues(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	keys, ok := p.PublicKeys(values)
	if !ok || keys.Certificate == "" {
		return notFound
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tokendesk-%d.cer"`, t.ID))
	return c.Blob(http.StatusOK, "application/pkix-cert", []byte(keys.Certificate))
}
