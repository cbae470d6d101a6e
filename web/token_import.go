package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/internal/transfer"
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

// Import limits.
const (
	importMaxTokens = 1000
	importDraftTTL  = 30 * time.Minute
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

// importDraft is a read file waiting for its confirmation, sealed.
type importDraft struct {
	Secrets bool             `json:"secrets"`
	Tokens  []transfer.Token `json:"tokens"`
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
	if len(f.Tokens) > importMaxTokens {
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": fmt.Sprintf(
			"The file holds %d access tokens; an import takes at most %d. Export fewer at a time.", len(f.Tokens), importMaxTokens)})
	}
	d := importDraft{Secrets: f.Secrets, Tokens: f.Tokens}
	plan, problems, err := s.planImport(c, d, nil)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": importProblems(problems)})
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

func importProblems(problems []string) string {
	const most = 5
	msg := "Nothing was imported: "
	if len(problems) > most {
		return msg + strings.Join(problems[:most], " ") + fmt.Sprintf(" And %d more.", len(problems)-most)
	}
	return msg + strings.Join(problems, " ")
}

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Import statuses and choices.
const (
	importNew      = "new"
	importReplaces = "would replace"
	importConflict = "conflict"

	chooseImport  = "import"
	chooseReplace = "replace"
	chooseRename  = "rename"
	chooseSkip    = "skip"
)

// plannedToken is one token of a file, checked against the scope.
type plannedToken struct {
	file     transfer.Token
	p        provider.Provider
	in       token.Input // normalised, as a form; secrets included
	kept     map[string]string
	status   string
	why      string
	notes    []string
	existing *token.Token // the token of the same name in the scope
	access   *store.Access
	// choice is what the person chose (or the default), rename its name.
	choice, rename, renameErr string
}

// importChoice is what the confirmation said about token i.
type importChoice struct{ choice, rename string }

// planImport checks every token of d by the form's rules and against the
// scope. problems name what makes the file unimportable as a whole (an
// unknown provider or field, a value the form would refuse); a name the
// rules refuse, or one taken by another type of token, is a conflict.
func (s *Server) planImport(c echo.Context, d importDraft, choices map[int]importChoice) ([]*plannedToken, []string, error) {
	sc := scopeOf(c)
	ctx := c.Request().Context()
	names := make([]string, 0, len(d.Tokens))
	for _, t := range d.Tokens {
		names = append(names, t.Name)
	}
	existing, err := s.Store.TokensByNames(ctx, sc.AppID, names)
	if err != nil {
		return nil, nil, err
	}
	appIDs := map[string]int64{}
	if sc.App == nil {
		apps, err := s.Store.ListApps(ctx, 0)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range apps {
			appIDs[token.NameKey(a.Name)] = a.ID
		}
	}
	var problems []string
	seen := map[string]bool{}
	plan := make([]*plannedToken, 0, len(d.Tokens))
	for i, ft := range d.Tokens {
		label := fmt.Sprintf("Token %d (“%s”)", i+1, ft.Name)
		p, ok := registry.ByID(ft.Provider)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is of a type this tokendesk does not know (“%s”).", label, ft.Provider))
			continue
		}
		pt := &plannedToken{file: ft, p: p, kept: map[string]string{}}
		if bad := unknownKeys(p, ft); len(bad) > 0 {
			what := "a field"
			if len(bad) > 1 {
				what = "fields"
			}
			problems = append(problems, fmt.Sprintf("%s has %s that %s tokens do not have: %s.", label, what, p.Name, strings.Join(bad, ", ")))
			continue
		}
		for k, v := range ft.Secrets {
			if slices.Contains(p.Kept, k) {
				pt.kept[k] = v
			}
		}
		pt.in = token.Normalize(p, func(key string) string {
			switch key {
			case provider.KeyName:
				return ft.Name
			case provider.KeyDescription:
				return ft.Description
			case provider.KeyRenewalRate:
				return ft.RenewalRate
			case provider.KeyEncrypt:
				if ft.Encrypt {
					return "on"
				}
				return ""
			}
			if v, ok := ft.Values[key]; ok {
				return v
			}
			return ft.Secrets[key]
		})
		// Secrets a file may lack: a definition is imported without them.
		held := map[string]bool{}
		for _, fd := range p.Fields {
			if fd.Secret {
				held[fd.Key] = true
			}
		}
		errs := token.Validate(p, pt.in, held)
		for _, fd := range p.Fields {
			if msg, ok := errs[fd.Key]; ok && fd.Key != provider.KeyName {
				problems = append(problems, fmt.Sprintf("%s: %s", label, msg))
			}
		}
		key := token.NameKey(pt.in.Values[provider.KeyName])
		if ex, ok := existing[key]; ok {
			// With the stamps of its stored values: which secrets it holds.
			switch ex, err = s.Store.TokenByID(ctx, ex.ID); {
			case errors.Is(err, store.ErrNotFound): // removed meanwhile
			case err != nil:
				return nil, nil, err
			default:
				pt.existing = &ex
			}
		}
		switch {
		case errs[provider.KeyName] != "":
			pt.status, pt.why = importConflict, "The name is not accepted: "+errs[provider.KeyName]
		case seen[key]:
			pt.status, pt.why = importConflict, "The file has another token of this name before this one."
		case pt.existing == nil:
			pt.status = importNew
		case pt.existing.Provider == p.ID:
			pt.status = importReplaces
		default:
			other := pt.existing.Provider
			if op, ok := registry.ByID(other); ok {
				other = op.Name
			}
			pt.status, pt.why = importConflict, fmt.Sprintf("This list has a %s token of this name.", other)
		}
		seen[key] = true
		pt.notes = s.importNotes(pt, d.Secrets, sc, appIDs)
		pt.choice, pt.rename = defaultChoice(pt.status), ""
		if ch, ok := choices[i]; ok && slices.Contains(choicesFor(pt.status), ch.choice) {
			pt.choice, pt.rename = ch.choice, ch.rename
		}
		plan = append(plan, pt)
	}
	return plan, problems, nil
}

// unknownKeys names the keys of a file's token that its provider does
// not have where the file puts them.
func unknownKeys(p provider.Provider, ft transfer.Token) []string {
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(ft.Values)) {
		fd, ok := p.Field(k)
		if !ok || fd.Secret || provider.Common(k) || fd.Control == provider.Button {
			bad = append(bad, "“"+k+"”")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ft.Secrets)) {
		fd, ok := p.Field(k)
		if slices.Contains(p.Kept, k) || ok && fd.Secret && k != p.Tokens.Access {
			continue
		}
		bad = append(bad, "secret “"+k+"”")
	}
	return bad
}

// importNotes says what else to know about importing pt.
func (s *Server) importNotes(pt *plannedToken, secrets bool, sc scope, appIDs map[string]int64) []string {
	var notes []string
	held := map[string]string{}
	if pt.existing != nil && pt.status == importReplaces {
		for k := range pt.existing.Stored {
			held[k] = "stored"
		}
	}
	maps.Copy(held, pt.kept)
	if missing := token.MissingSecrets(pt.p, pt.in, held); len(missing) > 0 {
		labels := make([]string, 0, len(missing))
		for _, k := range missing {
			labels = append(labels, pt.p.Label(k))
		}
		notes = append(notes, fmt.Sprintf("No %s in the file: enter it on the token's page; until then it is not renewed.", strings.Join(labels, " or ")))
	}
	if pt.status == importReplaces {
		if secrets {
			notes = append(notes, "Replacing takes the file's settings and secrets; its access token is obtained again.")
		} else {
			notes = append(notes, "Replacing takes the file's settings and keeps the stored secrets.")
		}
	}
	if perm := pt.file.Permissions; perm != nil && sc.App == nil {
		a := &store.Access{Restricted: !perm.EveryApp}
		var missingApps []string
		for _, name := range perm.Apps {
			if id, ok := appIDs[token.NameKey(name)]; ok {
				a.Apps = append(a.Apps, id)
			} else {
				missingApps = append(missingApps, "“"+name+"”")
			}
		}
		pt.access = a
		if len(missingApps) > 0 {
			notes = append(notes, "Permission Settings name apps this server does not have, left out: "+strings.Join(missingApps, ", ")+".")
		}
	}
	if pt.p.Retired != "" {
		notes = append(notes, pt.p.Retired+": "+pt.p.Name+" no longer accepts these tokens.")
	}
	return notes
}

func choicesFor(status string) []string {
	switch status {
	case importNew:
		return []string{chooseImport, chooseSkip}
	case importReplaces:
		return []string{chooseReplace, chooseSkip}
	}
	return []string{chooseRename, chooseSkip}
}

// defaultChoice imports what is new; replacing a token or renaming one
// is for the person to choose.
func defaultChoice(status string) string {
	if status == importNew {
		return chooseImport
	}
	return chooseSkip
}

var choiceLabels = map[string]string{chooseImport: "Import", chooseReplace: "Replace", chooseRename: "Import as", chooseSkip: "Skip"}

func (s *Server) renderPreview(c echo.Context, status int, draft string, d importDraft, plan []*plannedToken, problem string) error {
	sc := scopeOf(c)
	heading := "Import preview"
	m := views.ImportPreview{
		Page:    s.page(c, heading, sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Import", URL: sc.Base + "/import"}, views.Crumb{Label: "Preview"})...),
		Heading: heading, PostURL: sc.Base + "/import/confirm", CancelURL: sc.Base, ImportURL: sc.Base + "/import",
		Draft: draft, Secrets: d.Secrets, Problem: problem,
	}
	for i, pt := range plan {
		r := views.ImportRow{Index: i, Name: pt.in.Values[provider.KeyName], Type: pt.p.Name, Status: pt.status, Why: pt.why,
			Notes: pt.notes, Choice: pt.choice, Rename: pt.rename, RenameError: pt.renameErr}
		for _, ch := range choicesFor(pt.status) {
			r.Choices = append(r.Choices, views.Option{Value: ch, Label: choiceLabels[ch]})
		}
		m.Rows = append(m.Rows, r)
	}
	return render(c, status, views.ImportPreviewPage(m))
}
