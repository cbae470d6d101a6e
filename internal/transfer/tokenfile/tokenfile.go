// Package tokenfile moves tokens between the store and export files: it
// builds an export of a list's tokens, and plans and applies an import by
// the token form's own rules. The console (web) and the shell
// (`tokendesk export` / `tokendesk import`) both go through it, so an
// import checks and writes the same way from either.
package tokenfile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/internal/transfer"
)

// Scope is the list an export reads or an import writes.
type Scope struct {
	AppID int64
	// AppName is the app's name; "" for the global list.
	AppName string
	// Plain: the person may store values unencrypted (as on the form).
	Plain bool
}

// DuplicateName is the message for a name already used in the scope.
func (sc Scope) DuplicateName(name string) string {
	where := "A global access token"
	if sc.AppID != 0 {
		where = "An access token of " + sc.AppName
	}
	return where + " named “" + name + "” already exists (names ignore case, extra spaces and look-alike characters). Choose another name."
}

// Export reads what the file says about each token: its settings and
// non-secret values, and (secrets) its secret and kept values. Obtained
// access and refresh tokens are never written: they belong to the server
// that obtained them (a second server renewing with the same single-use
// refresh token would break the first), and the importing one obtains its own.
func Export(ctx context.Context, st *store.Store, sc Scope, toks []token.Token, secrets bool, now time.Time) (transfer.File, error) {
	f := transfer.File{ExportedAt: now.UTC(), Scope: transfer.ScopeGlobal}
	if sc.AppID != 0 {
		f.Scope = transfer.ScopeApp
	}
	appNames := map[int64]string{}
	if sc.AppID == 0 {
		apps, err := st.ListApps(ctx, 0)
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
		values, err := st.TokenValues(ctx, t.ID)
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
		if sc.AppID == 0 {
			access, err := st.TokenAccess(ctx, t.ID)
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

// Draft is a read file waiting for its confirmation (the console keeps it
// sealed on the server between the preview and the confirmation).
type Draft struct {
	Secrets bool             `json:"secrets"`
	Tokens  []transfer.Token `json:"tokens"`
}

// Import statuses and choices.
const (
	StatusNew      = "new"
	StatusReplaces = "would replace"
	StatusShadows  = "shadows a global token"
	StatusConflict = "conflict"

	ChooseImport  = "import"
	ChooseReplace = "replace"
	ChooseRename  = "rename"
	ChooseSkip    = "skip"
)

// ShadowWindow is how far back an app's use of a global token it would
// shadow is counted.
const ShadowWindow = 7 * 24 * time.Hour

// Row is one token of a file, checked against the scope.
type Row struct {
	File     transfer.Token
	Provider provider.Provider
	// In is the token as its form would hold it, normalised; secrets included.
	In     token.Input
	Kept   map[string]string
	Status string
	Why    string
	Notes  []string
	// Existing is the token of the same name in the scope.
	Existing *token.Token
	// Moved is the label of the address (an Endpoint field, such as the
	// Token URL) that replacing Existing moves away from its stored value:
	// its stored secrets and grant stay behind (token.FromImport).
	Moved  string
	Access *store.Access
	// Choice is what the person chose (or the default), Rename its name.
	Choice, Rename, RenameErr string
}

// Name is the token's name as it would be stored.
func (r *Row) Name() string { return r.In.Values[provider.KeyName] }

// Choice is what the confirmation said about one token.
type Choice struct{ Choice, Rename string }

// Plan checks every token of d by the form's rules and against the scope.
// problems name what makes the file unimportable as a whole (an unknown
// provider or field, a value the form would refuse); a name the rules
// refuse, or one taken by another type of token, is a conflict. In an
// app's list a new token named like a global token the app may use
// shadows it (its API clients would get the new token instead), which is
// said with the app's use of it over the last week, and skipped unless
// chosen.
func Plan(ctx context.Context, st *store.Store, sc Scope, d Draft, choices map[int]Choice, now time.Time) ([]*Row, []string, error) {
	names := make([]string, 0, len(d.Tokens))
	for _, t := range d.Tokens {
		names = append(names, t.Name)
	}
	existing, err := st.TokensByNames(ctx, sc.AppID, names)
	if err != nil {
		return nil, nil, err
	}
	globals, err := st.GlobalsUsableBy(ctx, sc.AppID, names, now.Add(-ShadowWindow))
	if err != nil {
		return nil, nil, err
	}
	appIDs := map[string]int64{}
	if sc.AppID == 0 {
		apps, err := st.ListApps(ctx, 0)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range apps {
			appIDs[token.NameKey(a.Name)] = a.ID
		}
	}
	var problems []string
	seen := map[string]bool{}
	plan := make([]*Row, 0, len(d.Tokens))
	for i, ft := range d.Tokens {
		label := fmt.Sprintf("Token %d (“%s”)", i+1, ft.Name)
		p, ok := registry.ByID(ft.Provider)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is of a type this tokendesk does not know (“%s”).", label, ft.Provider))
			continue
		}
		pt := &Row{File: ft, Provider: p, Kept: map[string]string{}}
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
				pt.Kept[k] = v
			}
		}
		pt.In = token.Normalize(p, func(key string) string {
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
		errs := token.Validate(p, pt.In, held)
		for _, fd := range p.Fields {
			if msg, ok := errs[fd.Key]; ok && fd.Key != provider.KeyName {
				problems = append(problems, fmt.Sprintf("%s: %s", label, msg))
			}
		}
		key := token.NameKey(pt.Name())
		if ex, ok := existing[key]; ok {
			// With the stamps of its stored values: which secrets it holds.
			switch ex, err = st.TokenByID(ctx, ex.ID); {
			case errors.Is(err, store.ErrNotFound): // removed meanwhile
			case err != nil:
				return nil, nil, err
			default:
				pt.Existing = &ex
			}
		}
		g, shadows := globals[key]
		switch {
		case errs[provider.KeyName] != "":
			pt.Status, pt.Why = StatusConflict, "The name is not accepted: "+errs[provider.KeyName]
		case seen[key]:
			pt.Status, pt.Why = StatusConflict, "The file has another token of this name before this one."
		case pt.Existing == nil && shadows:
			pt.Status, pt.Why = StatusShadows, fmt.Sprintf("Importing it shadows the global token “%s” (used by this app %s this week): the app's API clients would get this token instead, at once.",
				g.Name, times(g.Count))
		case pt.Existing == nil:
			pt.Status = StatusNew
		case pt.Existing.Provider == p.ID:
			pt.Status = StatusReplaces
			if pt.Moved, err = movedEndpoint(ctx, st, p, pt); err != nil {
				return nil, nil, err
			}
		default:
			other := pt.Existing.Provider
			if op, ok := registry.ByID(other); ok {
				other = op.Name
			}
			pt.Status, pt.Why = StatusConflict, fmt.Sprintf("This list has a %s token of this name.", other)
		}
		seen[key] = true
		pt.Notes = notes(pt, d.Secrets, sc, appIDs)
		pt.Choice, pt.Rename = DefaultChoice(pt.Status), ""
		if ch, ok := choices[i]; ok && slices.Contains(ChoicesFor(pt.Status), ch.Choice) {
			pt.Choice, pt.Rename = ch.Choice, ch.Rename
		}
		plan = append(plan, pt)
	}
	return plan, problems, nil
}

func times(n int64) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
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

// movedEndpoint is the label of the Endpoint field whose stored value
// replacing pt.Existing with the file's would change ("" when none does).
// It reads the stored Endpoint values alone, never a secret.
func movedEndpoint(ctx context.Context, st *store.Store, p provider.Provider, pt *Row) (string, error) {
	var keys []string
	for _, fd := range p.Fields {
		if fd.Endpoint && !fd.Secret {
			keys = append(keys, fd.Key)
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	stored, err := st.TokenValuesOf(ctx, pt.Existing.ID, keys)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil // removed meanwhile: the import finds it stale
	}
	if err != nil {
		return "", err
	}
	return token.EndpointMoved(p, pt.In, stored), nil
}

// movedNote says what replacing a token with a file that moves its
// address leaves behind: the stored secrets (unless the file carries its
// own) and the access token, if it has one.
func movedNote(pt *Row, secrets bool) string {
	msg := "The file's " + pt.Moved + " differs from the stored one"
	var behind []string
	if secrets {
		msg += ": replacing takes the file's settings and secrets"
	} else {
		behind = append(behind, "the stored secrets")
	}
	if a := pt.Provider.Tokens.Access; a != "" {
		if _, ok := pt.Existing.Stored[a]; ok {
			behind = append(behind, "the stored access token")
		}
	}
	switch {
	case len(behind) == 0:
		return msg + "."
	case len(behind) == 1 && behind[0] == "the stored access token":
		msg += ", and the stored access token stays behind"
	default:
		msg += ", and " + strings.Join(behind, " and ") + " stay behind"
	}
	return msg + ": a token's secrets are only sent to the address they were saved with."
}

// notes says what else to know about importing pt.
func notes(pt *Row, secrets bool, sc Scope, appIDs map[string]int64) []string {
	var notes []string
	held := map[string]string{}
	if pt.Existing != nil && pt.Status == StatusReplaces && pt.Moved == "" {
		for k := range pt.Existing.Stored {
			held[k] = "stored"
		}
	}
	maps.Copy(held, pt.Kept)
	missing := token.MissingSecrets(pt.Provider, pt.In, held)
	if pt.Moved != "" {
		notes = append(notes, movedNote(pt, secrets))
		// Every stored secret the file does not carry stays behind too,
		// required or not: the token used it (token.FromImport).
		required := missing
		missing = token.SecretsLeftBehind(pt.Provider, pt.In, func(k string) bool {
			_, stored := pt.Existing.Stored[k]
			return stored || slices.Contains(required, k)
		})
	}
	if len(missing) > 0 {
		labels := make([]string, 0, len(missing))
		for _, k := range missing {
			labels = append(labels, pt.Provider.Label(k))
		}
		notes = append(notes, fmt.Sprintf("No %s in the file: enter it on the token's page; until then it is not renewed.", strings.Join(labels, " or ")))
	}
	if pt.Status == StatusReplaces && pt.Moved == "" {
		if secrets {
			notes = append(notes, "Replacing takes the file's settings and secrets; its access token is obtained again.")
		} else {
			notes = append(notes, "Replacing takes the file's settings and keeps the stored secrets.")
		}
	}
	if perm := pt.File.Permissions; perm != nil && sc.AppID == 0 {
		a := &store.Access{Restricted: !perm.EveryApp}
		var missingApps []string
		for _, name := range perm.Apps {
			if id, ok := appIDs[token.NameKey(name)]; ok {
				a.Apps = append(a.Apps, id)
			} else {
				missingApps = append(missingApps, "“"+name+"”")
			}
		}
		pt.Access = a
		if len(missingApps) > 0 {
			notes = append(notes, "Permission Settings name apps this server does not have, left out: "+strings.Join(missingApps, ", ")+".")
		}
	}
	if pt.Provider.Retired != "" {
		notes = append(notes, pt.Provider.Retired+": "+pt.Provider.Name+" no longer accepts these tokens.")
	}
	return notes
}

// ChoicesFor are the actions offered for a token of status.
func ChoicesFor(status string) []string {
	switch status {
	case StatusNew, StatusShadows:
		return []string{ChooseImport, ChooseSkip}
	case StatusReplaces:
		return []string{ChooseReplace, ChooseSkip}
	}
	return []string{ChooseRename, ChooseSkip}
}

// DefaultChoice imports what is new; replacing a token, shadowing a
// global one or renaming one is for the person to choose.
func DefaultChoice(status string) string {
	if status == StatusNew {
		return ChooseImport
	}
	return ChooseSkip
}

// Items turns the chosen tokens of plan into the store's items, checking
// a rename by the name rules. invalid says a row got an error (RenameErr).
func Items(ctx context.Context, st *store.Store, sc Scope, plan []*Row) (items []store.ImportItem, invalid bool, err error) {
	taken := map[string]bool{}
	for _, pt := range plan {
		if pt.Choice == ChooseImport || pt.Choice == ChooseReplace {
			taken[token.NameKey(pt.Name())] = true
		}
	}
	for _, pt := range plan {
		in := pt.In
		switch pt.Choice {
		case ChooseSkip:
			continue
		case ChooseReplace:
			// Decided inside the import's transaction, from the token's
			// values as it reads them (an Endpoint moved, a secret kept).
			im, p := token.Import{Input: in, AppID: sc.AppID, AllowPlain: sc.Plain, Kept: pt.Kept}, pt.Provider
			items = append(items, store.ImportItem{Replace: pt.Existing.ID, Version: pt.Existing.Version, Name: pt.Name(), Provider: p.ID, Access: pt.Access,
				Decide: func(cur token.Current) (token.Change, error) { return token.ImportReplace(p, im, cur) }})
			continue
		case ChooseRename:
			if msg := renameError(ctx, st, sc, pt, taken); msg != "" {
				pt.RenameErr, invalid = msg, true
				continue
			}
			in.Values = maps.Clone(in.Values)
			in.Values[provider.KeyName] = token.Normalize(pt.Provider, func(k string) string {
				if k == provider.KeyName {
					return pt.Rename
				}
				return ""
			}).Values[provider.KeyName]
			taken[token.NameKey(pt.Rename)] = true
		}
		ch, err := token.FromImport(pt.Provider, token.Import{Input: in, AppID: sc.AppID, AllowPlain: sc.Plain, Kept: pt.Kept}, nil)
		if err != nil {
			return nil, false, err
		}
		items = append(items, store.ImportItem{Change: ch, Name: ch.Name, Provider: ch.Provider, Access: pt.Access})
	}
	return items, invalid, nil
}

// renameError checks a conflict's new name as the form would, and that
// neither the list nor the import already has it.
func renameError(ctx context.Context, st *store.Store, sc Scope, pt *Row, taken map[string]bool) string {
	if pt.Rename == "" {
		return "Enter a new name to import this token under, or choose Skip."
	}
	in := token.Normalize(pt.Provider, func(k string) string {
		if k == provider.KeyName {
			return pt.Rename
		}
		return ""
	})
	nameField, _ := pt.Provider.Field(provider.KeyName)
	if errs := token.Validate(provider.Provider{Name: pt.Provider.Name, Fields: []provider.Field{nameField}}, in, nil); errs[provider.KeyName] != "" {
		return errs[provider.KeyName]
	}
	key := token.NameKey(in.Values[provider.KeyName])
	if taken[key] {
		return "Another token of this import has that name. Choose another."
	}
	ex, err := st.TokensByNames(ctx, sc.AppID, []string{in.Values[provider.KeyName]})
	if err == nil && len(ex) > 0 { // a failed look-up leaves it to the import's own unique check
		return sc.DuplicateName(in.Values[provider.KeyName])
	}
	return ""
}

// Problems is the message for a file that cannot be imported as a whole.
func Problems(problems []string) string {
	const most = 5
	msg := "Nothing was imported: "
	if len(problems) > most {
		return msg + strings.Join(problems[:most], " ") + fmt.Sprintf(" And %d more.", len(problems)-most)
	}
	return msg + strings.Join(problems, " ")
}

// Imported is what the console and `tokendesk import` say once an import
// is written: the tokens it wrote, then what a person must still do, from
// the changes as the import's transaction decided them
// (store.ImportTokens). warn says a token needs attention: a replacement
// that moved its address dropped its access token, or a token waits for
// a secret and is not renewed until someone enters it.
func Imported(written []token.Change) (msg string, warn bool) {
	var names, moved, needSecret []string
	for _, ch := range written {
		names = append(names, ch.Name)
		if ch.Moved != "" {
			moved = append(moved, fmt.Sprintf("The %s of “%s” changed, so its stored access token was dropped: a token is only sent to the address it was obtained from.", ch.Moved, ch.Name))
		}
		if ch.NeedsSecret {
			needSecret = append(needSecret, "“"+ch.Name+"”")
		}
	}
	what := "access tokens"
	if len(names) == 1 {
		what = "access token"
	}
	parts := []string{fmt.Sprintf("Imported %d %s: %s.", len(names), what, nameList(names))}
	switch more := len(moved) - movedShown; {
	case more == 1:
		moved = append(moved[:movedShown], "1 more moved to another address and dropped its stored access token too.")
	case more > 1:
		moved = append(moved[:movedShown], fmt.Sprintf("%d more moved to another address and dropped their stored access tokens too.", more))
	}
	parts = append(parts, moved...)
	switch len(needSecret) {
	case 0:
	case 1:
		parts = append(parts, needSecret[0]+" waits for a secret: enter it on its page; until then it is not renewed.")
	default:
		parts = append(parts, nameList(needSecret)+" wait for secrets: enter them on their pages; until then they are not renewed.")
	}
	return strings.Join(parts, " "), len(moved) > 0 || len(needSecret) > 0
}

// movedShown and namesShown bound what Imported lists by name: a file
// may hold thousands of tokens.
const (
	movedShown = 5
	namesShown = 10
)

// nameList joins names, the first namesShown of them, saying how many more.
func nameList(names []string) string {
	if len(names) <= namesShown {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:namesShown], ", ") + fmt.Sprintf(" and %d more", len(names)-namesShown)
}
