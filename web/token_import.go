package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/tokendesk/tokendesk/internal/transfer"
	"github.com/tokendesk/tokendesk/internal/transfer/tokenfile"
	"github.com/tokendesk/tokendesk/views"
)

// transferState is what Import / Export keep between requests.
type transferState struct {
	// slot lets one passphrase be stretched at a time (scrypt: 256 MiB).
	slot chan struct{}
	// workFactor is scrypt's for new exports (tests lower it).
	workFactor int
}

func newTransferState() transferState {
	return transferState{slot: make(chan struct{}, 1), workFactor: transfer.WorkFactor}
}

// Import limits (transfer.MaxTokens bounds the tokens of a file).
const (
	importDraftTTL = 30 * time.Minute
	// importBodyMax leaves room beside the file for the form's other fields.
	importBodyMax = transfer.MaxSize + 64<<10
)

var (
	importTooLarge    = fmt.Sprintf("That file is larger than %d MB, the most an import reads. Export fewer tokens at a time.", transfer.MaxSize>>20)
	errImportTooLarge = userError(http.StatusUnprocessableEntity, importTooLarge)
)

// isImportUpload is the one request allowed a body above the usual limit.
func isImportUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && strings.HasSuffix(c.Path(), "/tokens/import")
}

// importBodyLimit bounds an import's upload (before the CSRF check reads
// the form), with a message that says so rather than a bare 413.
func importBodyLimit() echo.MiddlewareFunc {
	limit := middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   strconv.Itoa(importBodyMax) + "B",
		Skipper: func(c echo.Context) bool { return !isImportUpload(c) },
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := limit(next)
		return func(c echo.Context) error {
			err := h(c)
			if isImportUpload(c) && errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
				return errImportTooLarge
			}
			return err
		}
	}
}

// showImport is the list's Import button: the upload form.
func (s *Server) showImport(c echo.Context) error {
	return s.renderImport(c, http.StatusOK, nil)
}

func (s *Server) renderImport(c echo.Context, status int, errs map[string]string) error {
	sc := scopeOf(c)
	heading := "Import access tokens"
	if sc.App != nil {
		heading = "Import access tokens into " + sc.App.Name
	}
	return render(c, status, views.Import(views.ImportPage{
		Page:    s.page(c, heading, sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Import"})...),
		Heading: heading, PostURL: sc.Base + "/import", CancelURL: sc.Base, Errors: errs, MaxMB: transfer.MaxSize >> 20,
	}))
}

func importDraftAAD(id string, userID, scope int64) string {
	return fmt.Sprintf("tokendesk/import/%s/%d/%d", id, userID, scope)
}

// previewImport reads an uploaded file and shows what importing it would
// do. The file's tokens wait sealed on the server for the confirmation.
func (s *Server) previewImport(c echo.Context) error {
	sc := scopeOf(c)
	ctx := c.Request().Context()
	fh, err := c.FormFile("file")
	if err != nil {
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": "Choose a file exported from tokendesk."})
	}
	if fh.Size > transfer.MaxSize {
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": importTooLarge})
	}
	src, err := fh.Open()
	if err != nil {
		return fmt.Errorf("import: opening the upload: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(src, transfer.MaxSize+1))
	src.Close()
	if err != nil {
		return fmt.Errorf("import: reading the upload: %w", err)
	}
	pass := c.FormValue("passphrase")
	f, err := s.decodeImport(c, data, pass)
	if err != nil {
		if field, msg, ok := importFileError(err); ok {
			return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{field: msg})
		}
		return err
	}
	if len(f.Tokens) == 0 {
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": "The file holds no access tokens."})
	}
	d := tokenfile.Draft{Secrets: f.Secrets, Tokens: f.Tokens}
	plan, problems, err := s.planImport(c, d, nil)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": tokenfile.Problems(problems)})
	}
	id := randomID()
	sealed, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	u := currentUser(c)
	if err := s.Store.PutImportDraft(ctx, id, u.ID, sc.AppID, s.Box.Seal(sealed, importDraftAAD(id, u.ID, sc.AppID)), s.Now().Add(importDraftTTL)); err != nil {
		return err
	}
	return s.renderPreview(c, http.StatusOK, id, d, plan, "")
}

// decodeImport decrypts (one at a time, see encodeExport) and reads a file.
func (s *Server) decodeImport(c echo.Context, data []byte, pass string) (transfer.File, error) {
	if pass != "" && transfer.Encrypted(data) {
		select {
		case s.transfer.slot <- struct{}{}:
			defer func() { <-s.transfer.slot }()
		case <-c.Request().Context().Done():
			return transfer.File{}, c.Request().Context().Err()
		}
	}
	return transfer.Decode(data, pass)
}

// importFileError is what to tell the person about a refused file, and
// next to which field.
func importFileError(err error) (field, msg string, ok bool) {
	var unknown *transfer.UnknownFieldError
	switch {
	case errors.As(err, &unknown):
		return "file", fmt.Sprintf("The file has a field “%s” that this version of tokendesk does not know, so it was not read. Export it again, or remove that field.", unknown.Field), true
	case errors.Is(err, transfer.ErrTooLarge):
		return "file", importTooLarge, true
	case errors.Is(err, transfer.ErrTooManyTokens):
		return "file", fmt.Sprintf("The file holds more than %s access tokens; an import takes at most %s, so reading stopped there and nothing was imported. Export fewer at a time.",
			views.Thousands(transfer.MaxTokens), views.Thousands(transfer.MaxTokens)), true
	case errors.Is(err, transfer.ErrEmpty):
		return "file", "The file is empty. Choose a file exported from tokendesk.", true
	case errors.Is(err, transfer.ErrNeedsPassphrase):
		return "passphrase", "This file is encrypted: it includes secrets. Enter the passphrase it was exported with, and choose the file again.", true
	case errors.Is(err, transfer.ErrWrongPassphrase):
		return "passphrase", "That passphrase does not open this file. Check it and choose the file again; nothing was imported.", true
	case errors.Is(err, transfer.ErrDamaged):
		return "file", "The encrypted file is damaged: it was changed or cut short after it was exported, so none of it can be trusted. Export it again.", true
	case errors.Is(err, transfer.ErrVersion):
		return "file", fmt.Sprintf("The file was written by another version of tokendesk in a format this one does not read (version %d is supported). Export it again from a matching version.", transfer.Version), true
	case errors.Is(err, transfer.ErrPlainSecrets):
		return "file", "The file carries secrets without encryption. tokendesk imports secrets only from an export encrypted with a passphrase.", true
	case errors.Is(err, transfer.ErrNotExport):
		return "file", "The file is not a complete tokendesk export: it is not the JSON an export writes, or it ends early.", true
	}
	return "", "", false
}

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// scopeFile is the scope as tokenfile knows it.
func (sc scope) file() tokenfile.Scope {
	fs := tokenfile.Scope{AppID: sc.AppID, Plain: sc.Plain}
	if sc.App != nil {
		fs.AppName = sc.App.Name
	}
	return fs
}

// planImport checks every token of d against the scope (see tokenfile.Plan).
func (s *Server) planImport(c echo.Context, d tokenfile.Draft, choices map[int]tokenfile.Choice) ([]*tokenfile.Row, []string, error) {
	return tokenfile.Plan(c.Request().Context(), s.Store, scopeOf(c).file(), d, choices, s.Now())
}

var choiceLabels = map[string]string{tokenfile.ChooseImport: "Import", tokenfile.ChooseReplace: "Replace", tokenfile.ChooseRename: "Import as", tokenfile.ChooseSkip: "Skip"}

func (s *Server) renderPreview(c echo.Context, status int, draft string, d tokenfile.Draft, plan []*tokenfile.Row, problem string) error {
	sc := scopeOf(c)
	heading := "Import preview"
	m := views.ImportPreview{
		Page:    s.page(c, heading, sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Import", URL: sc.Base + "/import"}, views.Crumb{Label: "Preview"})...),
		Heading: heading, PostURL: sc.Base + "/import/confirm", CancelURL: sc.Base, ImportURL: sc.Base + "/import",
		Draft: draft, Secrets: d.Secrets, Problem: problem,
	}
	for i, pt := range plan {
		r := views.ImportRow{Index: i, Name: pt.Name(), Type: pt.Provider.Name, Status: pt.Status, Why: pt.Why,
			Notes: pt.Notes, Choice: pt.Choice, Rename: pt.Rename, RenameError: pt.RenameErr}
		for _, ch := range tokenfile.ChoicesFor(pt.Status) {
			r.Choices = append(r.Choices, views.Option{Value: ch, Label: choiceLabels[ch]})
		}
		m.Rows = append(m.Rows, r)
	}
	return render(c, status, views.ImportPreviewPage(m))
}
