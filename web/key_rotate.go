package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

const rotateKeyURL = "/settings/key/rotate"

// keyringPanel is the settings page's Encryption keys section.
func (s *Server) keyringPanel(c echo.Context) (views.KeyringPanel, error) {
	kr, err := s.Store.KeyringStatus(c.Request().Context())
	if err != nil {
		return views.KeyringPanel{}, err
	}
	now := s.Now()
	m := views.KeyringPanel{MasterV1: kr.MasterV1, RotateURL: rotateKeyURL}
	for _, k := range kr.Keys {
		m.Keys = append(m.Keys, views.KeyRow{Name: keyName(k.ID), Values: k.Values, Created: views.Ago(k.CreatedAt, now), Current: k.Current})
	}
	if r := kr.Rotation; r != nil {
		m.Rotation = &views.RotationView{Running: r.Running, Done: r.Done, Total: r.Total, Key: keyName(r.KeyID),
			StartedBy: r.StartedBy, Started: views.Ago(r.StartedAt, now), Finished: views.Ago(r.FinishedAt, now), Stuck: r.Stuck}
	}
	return m, nil
}

func keyName(id int64) string { return "key " + strconv.FormatInt(id, 10) }

// confirmRotateKey asks before a key rotation.
func (s *Server) confirmRotateKey(c echo.Context) error {
	kr, err := s.Store.KeyringStatus(c.Request().Context())
	if err != nil {
		return err
	}
	m := views.RotateKeyPage{Page: s.page(c, "Rotate key", views.NavSettings, views.Crumb{Label: "Settings", URL: "/settings"}, views.Crumb{Label: "Rotate key"}),
		PostURL: rotateKeyURL, CancelURL: "/settings", Running: kr.Rotation != nil && kr.Rotation.Running, Values: kr.MasterV1}
	for _, k := range kr.Keys {
		m.Values += k.Values
		if k.Current {
			m.Current = keyName(k.ID)
		}
	}
	return render(c, http.StatusOK, views.RotateKey(m))
}

// rotateKey makes a new data key current; the background re-seal (in
// whichever server process gets to it first) does the rest.
func (s *Server) rotateKey(c echo.Context) error {
	id, err := s.Store.StartKeyRotation(c.Request().Context(), currentUser(c).Email)
	if errors.Is(err, store.ErrRotationRunning) {
		s.flashError(c, "A key rotation is already under way; wait for it to finish.")
		return c.Redirect(http.StatusSeeOther, "/settings")
	}
	if err != nil {
		return err
	}
	s.flash(c, "Rotating: "+keyName(id)+" now seals every new value; the stored values are re-sealed in the background.")
	return c.Redirect(http.StatusSeeOther, "/settings")
}
