package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

func (s *Server) newApp(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/apps")
}

// appInput is a submitted application form.
type appInput struct {
	name      string
	kind      string
	designers []int64
	chosen    map[int64]bool
	errs      map[string]string
}

func readAppForm(c echo.Context) appInput {
	in := appInput{name: strings.TrimSpace(c.FormValue("name")), kind: c.FormValue("kind"), chosen: map[int64]bool{}, errs: map[string]string{}}
	form, _ := c.FormParams()
	in.designers = parseIDs(form["designer"])
	for _, id := range in.designers {
		in.chosen[id] = true
	}
	n := utf8.RuneCountInString(in.name)
	switch {
	case !utf8.ValidString(in.name):
		in.errs["name"] = "The name contains bytes that are not text (invalid UTF-8). Type it again."
	case in.name == "":
		in.errs["name"] = "Enter a name for the application."
	case n > 100:
		in.errs["name"] = fmt.Sprintf("The name can be at most 100 characters; this one has %d.", n)
	case strings.IndexFunc(in.name, unicode.IsControl) >= 0:
		in.errs["name"] = "The name cannot contain control characters."
	}
	if in.kind != store.KindForm {
		in.kind = store.KindProcess
	}
	return in
}

// createApp adds an application (administrators).
func (s *Server) createApp(c echo.Context) error {
	in := readAppForm(c)
	if len(in.errs) == 0 {
		app, err := s.Store.CreateApp(c.Request().Context(), in.name, in.kind, in.designers, currentUser(c).Email)
		switch {
		case errors.Is(err, store.ErrDuplicateApp):
			in.errs["name"] = "An application named “" + in.name + "” already exists."
		case err != nil:
			return err
		default:
			s.flash(c, fmt.Sprintf("Application “%s” added.", app.Name))
			return c.Redirect(http.StatusSeeOther, appURL(app.ID))
		}
	}
	return s.renderApps(c, http.StatusUnprocessableEntity, &in)
}
