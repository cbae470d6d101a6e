package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// invitationLife is how long an invitation link works.
const invitationLife = 7 * 24 * time.Hour

// showInvite is the administrator's invitation form.
func (s *Server) showInvite(c echo.Context) error {
	m, err := s.invitePage(c, "", store.RoleDesigner, 0)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Invite(m))
}

func (s *Server) invitePage(c echo.Context, email, role string, appID int64) (views.InvitePage, error) {
	ctx := c.Request().Context()
	m := views.InvitePage{Page: s.page(c, "Invite someone", views.NavUsers, views.Crumb{Label: "Users", URL: "/users"}, views.Crumb{Label: "Invite someone"}),
		Email: email, Roles: roleOptions(role), Errors: map[string]string{}}
	apps, err := s.Store.ListApps(ctx, 0)
	if err != nil {
		return m, err
	}
	for _, a := range apps {
		m.Apps = append(m.Apps, views.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name, Selected: a.ID == appID})
	}
	pending, err := s.Store.PendingInvitations(ctx)
	if err != nil {
		return m, err
	}
	for _, p := range pending {
		m.Pending = append(m.Pending, views.InvitationRow{Email: p.Email, Role: roleLabel(p.Role), InvitedBy: p.InvitedBy, ExpiresAt: p.ExpiresAt})
	}
	return m, nil
}

// createInvitation invites a person by email: a single-use link, stored
// only as its hash, working for invitationLife. It goes by mail when
// TOKENDESK_SMTP_URL is set; otherwise the administrator sees it once, to
// pass on.
func (s *Server) createInvitation(c echo.Context) error {
	ctx := c.Request().Context()
	raw := c.FormValue("invite-email")
	role := c.FormValue("role")
	if role != store.RoleAdmin {
		role = store.RoleDesigner
	}
	appID, _ := strconv.ParseInt(c.FormValue("app"), 10, 64)
	errs := map[string]string{}
	email, err := auth.NormalizeEmail(raw)
	if err != nil {
		errs["email"] = err.Error()
	} else if _, err := s.Store.UserByEmail(ctx, email); err == nil {
		errs["email"] = "A user with this email already exists."
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if appID != 0 {
		if role != store.RoleDesigner {
			errs["app"] = "Only an app designer is invited to an app: choose App Designer, or no app."
		} else if _, err := s.Store.AppByID(ctx, appID); errors.Is(err, store.ErrNotFound) {
			errs["app"] = "This app does not exist any more. Choose another."
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		m, err := s.invitePage(c, raw, role, appID)
		if err != nil {
			return err
		}
		m.Errors = errs
		return render(c, http.StatusUnprocessableEntity, views.Invite(m))
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	token := base64.RawURLEncoding.EncodeToString(secret)
	inv, err := s.Store.CreateInvitation(ctx, store.Invitation{Email: email, Role: role, AppID: appID, InvitedBy: currentUser(c).Email,
		ExpiresAt: s.Now().Add(invitationLife)}, invitationHash(token))
	if err != nil {
		return err
	}
	link := s.Config.BaseURL.String() + "/invitation?token=" + token
	m, err := s.invitePage(c, "", store.RoleDesigner, 0)
	if err != nil {
		return err
	}
	m.Sent, m.SentTo, m.ExpiresAt = true, email, inv.ExpiresAt
	if s.Mailer != nil {
		body := fmt.Sprintf("%s invites you to tokendesk as %s.\n\nChoose your password here (the link works once, until %s):\n\n%s\n",
			inv.InvitedBy, roleLabel(role), inv.ExpiresAt.UTC().Format("2 January 2006 15:04 UTC"), link)
		if err := s.Mailer.Send(ctx, []string{email}, "Your invitation to tokendesk", body); err != nil {
			// The invitation stands: the administrator passes the link on.
			s.Logger.Warn("sending invitation", "err", err, "to", email, "request_id", requestID(c))
			m.Link = link
		} else {
			m.MailSent = true
		}
	} else {
		m.Link = link
	}
	return render(c, http.StatusOK, views.Invite(m))
}

// invitationHash is how an invitation's secret is stored and found.
func invitationHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
