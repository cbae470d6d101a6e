package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// A new key travels from the POST to the page that shows it in a cookie,
// sealed under the master key and bound to the person and the scope: not
// in a URL, not in the session table. The page deletes the cookie as it
// shows the key, so a reload shows it no more, and spends the hand-over's
// id in the database, so a copy of the cookie shows it no more either.
const (
	newKeyCookie = "tokendesk_new_key"
	newKeyTTL    = 5 * time.Minute
)

type newKey struct {
	Name    string `json:"n"`
	Key     string `json:"k"`
	Expires int64  `json:"e"`
	// Once is the hand-over's random id, spent when it is shown
	// (used_once.go): a replayed copy of the cookie shows nothing.
	Once string `json:"o"`
}

func newKeyAAD(userID, appID int64) string {
	return fmt.Sprintf("tokendesk/new-key/%d/%d", userID, appID)
}

// createClient makes an API client, then redirects (POST → 303 → GET) to
// the page that shows its key once.
func (s *Server) createClient(c echo.Context) error {
	appID, base, _, _, err := s.clientScope(c)
	if err != nil {
		return err
	}
	raw := c.FormValue("name")
	name := strings.TrimSpace(raw)
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return s.renderClients(c, http.StatusUnprocessableEntity, strings.ToValidUTF8(name, "\uFFFD"), "The name contains bytes that are not text (invalid UTF-8). Type it again.")
	case name == "":
		return s.renderClients(c, http.StatusUnprocessableEntity, name, "Enter a name for the API client.")
	case n > 100:
		return s.renderClients(c, http.StatusUnprocessableEntity, name, fmt.Sprintf("The name can be at most 100 characters; this one has %d.", n))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return s.renderClients(c, http.StatusUnprocessableEntity, name, "The name cannot contain control characters.")
	}
	u := currentUser(c)
	cl, key, err := s.Store.CreateClient(c.Request().Context(), appID, name, u.Email)
	if errors.Is(err, store.ErrDuplicateClient) {
		return s.renderClients(c, http.StatusUnprocessableEntity, name, "An API client named “"+name+"” already exists here (names ignore case). Choose another name, or revoke the old one first.")
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(newKey{Name: cl.Name, Key: key, Expires: s.Now().Add(newKeyTTL).Unix(), Once: newOnceID()})
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: newKeyCookie, Value: s.Box.SealString(b, newKeyAAD(u.ID, appID)), Path: base + "/created",
		MaxAge: int(newKeyTTL.Seconds()), HttpOnly: true, Secure: s.Config.SecureCookies(), SameSite: http.SameSiteStrictMode,
	})
	return c.Redirect(http.StatusSeeOther, base+"/created")
}

// showNewClientKey shows a new key once. Without the cookie (a reload, a
// bookmark, another person) it says the key cannot be shown again.
func (s *Server) showNewClientKey(c echo.Context) error {
	appID, base, crumbs, heading, err := s.clientScope(c)
	if err != nil {
		return err
	}
	var nk newKey
	if ck, err := c.Cookie(newKeyCookie); err == nil && len(ck.Value) < 4096 {
		if plain, err := s.Box.OpenString(ck.Value, newKeyAAD(currentUser(c).ID, appID)); err == nil {
			if json.Unmarshal(plain, &nk) != nil || s.Now().Unix() > nk.Expires || !s.spendOnce(c, nk.Once, nk.Expires) {
				nk = newKey{}
			}
		}
	}
	// Shown once: the cookie goes with this answer.
	c.SetCookie(&http.Cookie{Name: newKeyCookie, Value: "", Path: base + "/created", MaxAge: -1, HttpOnly: true,
		Secure: s.Config.SecureCookies(), SameSite: http.SameSiteStrictMode})
	if nk.Key == "" {
		s.flash(c, "A new key is shown only once, right after it is created; it cannot be shown again. If it was not copied, revoke that client and create a new one.")
		return c.Redirect(http.StatusSeeOther, base)
	}
	nav := views.NavAPI
	if appID != 0 {
		nav = views.NavApps
	}
	if len(crumbs) > 0 {
		crumbs = crumbs[:len(crumbs)-1]
	}
	crumbs = append(crumbs, views.Crumb{Label: "API Clients", URL: base}, views.Crumb{Label: "New key"})
	return render(c, http.StatusOK, views.ClientKey(views.ClientKeyPage{
		Page: s.page(c, "New key for "+nk.Name, nav, crumbs...), Heading: heading, Name: nk.Name, Key: nk.Key, ListURL: base,
		Usage: s.keyUsage(c, appID, nk.Key),
	}))
}
