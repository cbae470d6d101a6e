package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/internal/transfer"
	"github.com/tokendesk/tokendesk/internal/transfer/tokenfile"
	"github.com/tokendesk/tokendesk/views"
)

// showExport is the list's Export button: it names the selected tokens
// and asks whether to include their secrets.
func (s *Server) showExport(c echo.Context) error {
	sc := scopeOf(c)
	if c.QueryParam("all") != "" {
		return s.showExportMatching(c)
	}
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

// showExportMatching is the list's "Export all N matching": every token
// the list's search, type and status match, not only the ticked rows. The
// page names them and carries their ids, so the file holds what was shown.
func (s *Server) showExportMatching(c echo.Context) error {
	sc := scopeOf(c)
	lq := readListQuery(c)
	f := store.TokenFilter{AppID: sc.AppID, Query: lq.q, Provider: lq.typ, Now: s.Now(), Limit: transfer.MaxTokens}
	if lq.status != "" {
		statusFilter(&f, lq.status)
	}
	toks, pg, err := s.Store.ListTokens(c.Request().Context(), f)
	if err != nil {
		return err
	}
	list := listQuery{q: lq.q, typ: lq.typ, status: lq.status}.url(sc.Base)
	switch {
	case pg.HasNext:
		s.flashError(c, fmt.Sprintf("More than %s tokens match; an export takes at most %s at a time, as many as an import takes. Narrow the search, type or status, and export in parts.",
			views.Thousands(transfer.MaxTokens), views.Thousands(transfer.MaxTokens)))
		return c.Redirect(http.StatusSeeOther, list)
	case len(toks) == 0:
		s.flashError(c, "No tokens match, so there is nothing to export.")
		return c.Redirect(http.StatusSeeOther, list)
	}
	return s.renderExport(c, http.StatusOK, toks, false, nil)
}

// exportAllButton is the list's "Export all N matching" link for the
// current filter, and its label: the number when the list knows it (the
// scope's count, or a filter whose matches fit on this page).
func exportAllButton(sc scope, lq listQuery, total, shown int, pg store.TokenPage) (string, string) {
	q := url.Values{"all": {"1"}}
	for k, v := range map[string]string{"q": lq.q, "type": lq.typ, "status": lq.status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	filtered := len(q) > 1
	n := total
	if filtered {
		n = -1
		if !pg.HasNext && !pg.HasPrev {
			n = shown
		}
	}
	label := "Export all matching"
	switch {
	case n >= 0 && filtered:
		label = "Export all " + views.Thousands(n) + " matching"
	case n >= 0:
		label = "Export all " + views.Thousands(n)
	case !filtered:
		label = "Export all"
	}
	return sc.Base + "/export?" + q.Encode(), label
}

func (s *Server) renderExport(c echo.Context, status int, toks []token.Token, secrets bool, errs map[string]string) error {
	sc := scopeOf(c)
	m := views.ExportPage{
		Page:    s.page(c, "Export access tokens", sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Export"})...),
		PostURL: sc.Base + "/export", CancelURL: sc.Base, Secrets: secrets, Errors: errs,
		MinPassphrase: transfer.MinPassphrase, SecretsAllowed: currentUser(c).IsAdmin(),
	}
	for _, t := range toks {
		m.Names = append(m.Names, t.Name)
		m.IDs = append(m.IDs, t.ID)
	}
	return render(c, status, views.Export(m))
}

// Export with secrets is for administrators only. An app's tokens may hold
// secrets its designers may write but never read (a client secret an
// administrator entered, a key pair's private key): a file encrypted under
// the designer's own passphrase would hand them over. Designers export
// definitions, which is what moving a token's setup needs.
var errExportSecretsAdminOnly = userError(http.StatusForbidden,
	"Only administrators can export secrets: a designer may write a token's secrets but not read them. Export the definitions only (without Include secrets), or ask an administrator.")

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
	if secrets && !currentUser(c).IsAdmin() {
		return errExportSecretsAdminOnly
	}
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
	f, err := tokenfile.Export(ctx, s.Store, sc.file(), toks, secrets, s.Now())
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
