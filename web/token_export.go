package web

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/internal/transfer"
	"github.com/tokendesk/tokendesk/views"
)

// showExport is the list's Export button: it names the selected tokens
// and asks whether to include their secrets.
func (s *Server) showExport(c echo.Context) error {
	sc := scopeOf(c)
	toks, err := s.Store.TokensByIDs(c.Request().Context(), sc.AppID, parseIDs(c.QueryParams()["id"]))
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		s.flashError(c, "Select at least one token to export.")
		return c.Redirect(http.StatusSeeOther, sc.Base)
	}
	return s.renderExport(c, http.StatusOK, toks, false, nil)
}

func (s *Server) renderExport(c echo.Context, status int, toks []token.Token, secrets bool, errs map[string]string) error {
	sc := scopeOf(c)
	m := views.ExportPage{
		Page:    s.page(c, "Export access tokens", sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Export"})...),
		PostURL: sc.Base + "/export", CancelURL: sc.Base, Secrets: secrets, Errors: errs,
		MinPassphrase: transfer.MinPassphrase,
	}
	for _, t := range toks {
		m.Names = append(m.Names, t.Name)
		m.IDs = append(m.IDs, t.ID)
	}
	return render(c, status, views.Export(m))
}

// exportTokens sends the selected tokens of the scope as a file: their
// definitions, or with "Include secrets" the secrets too, the whole file
// encrypted under the passphrase typed twice.
func (s *Server) exportTokens(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "The form could not be read.")
	}
	sc := scopeOf(c)
	ctx := c.Request().Context()
	toks, err := s.Store.TokensByIDs(ctx, sc.AppID, parseIDs(form["id"]))
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		s.flashError(c, "Select at least one token to export.")
		return c.Redirect(http.StatusSeeOther, sc.Base)
	}
	secrets := form.Get("secrets") != ""
	pass := ""
	if secrets {
		pass = form.Get("passphrase")
		errs := map[string]string{}
		switch n := utf8.RuneCountInString(pass); {
		case n == 0:
			errs["passphrase"] = "Enter a passphrase: a file with secrets is always encrypted."
		case n < transfer.MinPassphrase:
			errs["passphrase"] = fmt.Sprintf("Use at least %d characters; this passphrase has %d.", transfer.MinPassphrase, n)
		case n > 1024:
			errs["passphrase"] = "Use at most 1,024 characters."
		case pass != form.Get("passphrase2"):
			errs["passphrase2"] = "The two passphrases differ. Type the same passphrase twice."
		}
		if len(errs) > 0 {
			return s.renderExport(c, http.StatusUnprocessableEntity, toks, secrets, errs)
		}
	}
	f, err := s.exportFile(c, toks, secrets)
	if err != nil {
		return err
	}
	data, err := s.encodeExport(c, f, pass)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(f.Tokens))
	for _, t := range f.Tokens {
		names = append(names, t.Name)
	}
	detail := "definitions only: " + strings.Join(names, ", ")
	if secrets {
		detail = "with secrets, encrypted: " + strings.Join(names, ", ")
	}
	if err := s.Store.AddAudit(ctx, store.Audit{At: s.Now(), Actor: currentUser(c).Email, Action: store.ActionTokensExport,
		AppID: sc.AppID, Subject: views.Plural(len(names), "access token", "access tokens"), Detail: detail}); err != nil {
		return err
	}
	name := "tokendesk-tokens-" + s.Now().UTC().Format("20060102-150405") + ".json"
	ctype := "application/json"
	if secrets {
		name, ctype = name+".age", "application/octet-stream"
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, ctype, data)
}

// encodeExport encrypts one export at a time: scrypt takes 256 MiB and a
// second or so, which several at once on a small server could not afford.
func (s *Server) encodeExport(c echo.Context, f transfer.File, pass string) ([]byte, error) {
	if pass != "" {
		select {
		case s.transfer.slot <- struct{}{}:
			defer func() { <-s.transfer.slot }()
		case <-c.Request().Context().Done():
			return nil, c.Request().Context().Err()
		}
	}
	return transfer.Encode(f, pass, s.transfer.workFactor)
}

// exportFile reads what the file says about each token: its settings and
// non-secret values, and (secrets) its secret and kept values. Obtained
// access and refresh tokens are never written: they belong to the server
// that obtained them (a second server renewing with the same single-use
// refresh token would break the first), and the importing one obtains its own.
func (s *Server) exportFile(c echo.Context, toks []token.Token, secrets bool) (transfer.File, error) {
	ctx := c.Request().Context()
	sc := scopeOf(c)
	f := transfer.File{ExportedAt: s.Now().UTC(), Scope: transfer.ScopeGlobal}
	if sc.App != nil {
		f.Scope = transfer.ScopeApp
	}
	appNames := map[int64]string{}
	if sc.App == nil {
		apps, err := s.Store.ListApps(ctx, 0)
		if err != nil {
			return f, err
		}
		for _, a := range apps {
			appNames[a.ID] = a.Name
		}
	}
	for _, t := range toks {
		p, ok := registry.ByID(t.Provider)
		if !ok {
			continue // a provider this version no longer has: nothing to say about it
		}
		values, err := s.Store.TokenValues(ctx, t.ID)
		if err != nil {
			return f, err
		}
		et := transfer.Token{Provider: p.ID, Name: t.Name, Description: t.Description, RenewalRate: t.Rate,
			Encrypt: t.Encrypted, Values: map[string]string{}}
		for _, fd := range p.Fields {
			v, ok := values[fd.Key]
			switch {
			case !ok || provider.Common(fd.Key) || fd.Control == provider.Button || fd.Key == p.Tokens.Access:
			case !fd.Secret:
				et.Values[fd.Key] = v
			case secrets:
				if et.Secrets == nil {
					et.Secrets = map[string]string{}
				}
				et.Secrets[fd.Key] = v
			}
		}
		if secrets {
			for _, k := range p.Kept {
				if v, ok := values[k]; ok {
					if et.Secrets == nil {
						et.Secrets = map[string]string{}
					}
					et.Secrets[k] = v
				}
			}
		}
		if sc.App == nil {
			access, err := s.Store.TokenAccess(ctx, t.ID)
			if err != nil {
				return f, err
			}
			perm := &transfer.Permissions{EveryApp: !access.Restricted}
			for _, id := range access.Apps {
				if n, ok := appNames[id]; ok {
					perm.Apps = append(perm.Apps, n)
				}
			}
			et.Permissions = perm
		}
		f.Tokens = append(f.Tokens, et)
	}
	return f, nil
}
