package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// tokenForm is the state of one provider form being shown.
type tokenForm struct {
	sc  scope
	p   provider.Provider
	tok *token.Token // nil for a new token
	// saved holds the stored values of non-secret provider fields (edit only).
	saved   map[string]string
	in      *token.Input // what was submitted, if anything
	errs    token.FieldErrors
	pending pending
	results map[string]*views.ActionResult
	problem string
	version int64
	// keyErr and keyInput are a refused "New key pair" (its Key ID).
	keyErr, keyInput string
	// returned names the button whose trip to a consent page this
	// request returns from: its outcome is shown at the top as well.
	returned string
}

// pending carries what a person entered or obtained but has not saved yet
// (typed secrets after a rejected form, a token obtained from the
// provider) between requests. It travels sealed under the master key,
// bound to the user, provider and token, so the page never holds it
// readable.
type pending struct {
	Secrets map[string]string `json:"s,omitempty"`
	Grant   *provider.Grant   `json:"g,omitempty"`
	// At are the addresses (Endpoint fields) Grant was obtained at.
	At      map[string]string `json:"a,omitempty"`
	Expires int64             `json:"e"`
}

// endpointValues are the values of p's address (Endpoint) fields in values.
func endpointValues(p provider.Provider, values map[string]string) map[string]string {
	out := map[string]string{}
	for _, fd := range p.Fields {
		if fd.Endpoint {
			out[fd.Key] = values[fd.Key]
		}
	}
	return out
}

// forInput is pd for a saved token's form submitted as in: a grant
// obtained at other addresses than in's is dropped, or a token obtained
// with the stored secret at the saved address would be sent (by Test
// Connection, by Save's test) to whatever address was typed after. (A new
// token's grant came from what its person typed: theirs to send.)
func (pd pending) forInput(p provider.Provider, in token.Input) pending {
	if pd.Grant != nil && !maps.Equal(pd.At, endpointValues(p, in.Values)) {
		pd.Grant, pd.At = nil, nil
	}
	return pd
}

const pendingTTL = 30 * time.Minute

func pendingAAD(userID int64, providerID string, tokenID int64) string {
	return fmt.Sprintf("tokendesk/pending/%d/%s/%d", userID, providerID, tokenID)
}

// openPending reads the sealed pending state a form carried, if any and
// still fresh. Anything that does not open is ignored: it holds nothing
// the person cannot type again.
func (s *Server) openPending(c echo.Context, p provider.Provider, tokenID int64) pending {
	raw := c.FormValue("pending")
	if raw == "" || len(raw) > 64<<10 {
		return pending{}
	}
	plain, err := s.Box.OpenString(raw, pendingAAD(currentUser(c).ID, p.ID, tokenID))
	if err != nil {
		return pending{}
	}
	var pd pending
	if json.Unmarshal(plain, &pd) != nil || s.Now().Unix() > pd.Expires {
		return pending{}
	}
	return pd
}

func (s *Server) sealPending(c echo.Context, p provider.Provider, tokenID int64, pd pending) string {
	if len(pd.Secrets) == 0 && pd.Grant == nil {
		return ""
	}
	pd.Expires = s.Now().Add(pendingTTL).Unix()
	b, _ := json.Marshal(pd)
	return s.Box.SealString(b, pendingAAD(currentUser(c).ID, p.ID, tokenID))
}

// keepTyped adds the secrets typed in this request to pending, so that a
// rejected form does not make the person type them again.
func keepTyped(p provider.Provider, in token.Input, pd pending) pending {
	for _, f := range p.Fields {
		if v := in.Values[f.Key]; f.Secret && v != "" {
			if pd.Secrets == nil {
				pd.Secrets = map[string]string{}
			}
			pd.Secrets[f.Key] = v
		}
	}
	return pd
}

// saveForm is a validated form as token.Save takes it, with what it
// carried forward from earlier requests.
func (s *Server) saveForm(c echo.Context, in token.Input, pd pending) token.Form {
	sc := scopeOf(c)
	return token.Form{Input: in, AppID: sc.AppID, AllowPlain: sc.Plain, Kept: pd.Secrets, Grant: pd.Grant}
}

// postURL is where the form is submitted.
func (f *tokenForm) postURL() string {
	if f.tok == nil {
		return f.sc.Base + "/new/" + f.p.ID
	}
	return f.sc.tokenURL(f.tok.ID)
}

// current is the value a field shows: what was submitted, else what is
// stored, else the documented default.
func (f *tokenForm) current(field provider.Field) string {
	if f.in != nil {
		return f.in.Values[field.Key]
	}
	if f.tok != nil {
		switch field.Key {
		case provider.KeyName:
			return f.tok.Name
		case provider.KeyDescription:
			return f.tok.Description
		case provider.KeyRenewalRate:
			return f.tok.Rate
		}
		return f.saved[field.Key]
	}
	return field.Default
}

// fields builds the view of every control, in the provider's order.
func (s *Server) fields(f *tokenForm) []views.FormField {
	out := make([]views.FormField, 0, len(f.p.Fields))
	for _, field := range f.p.Fields {
		v := views.FormField{
			Key: field.Key, Label: field.Label, Control: string(field.Control),
			Help: field.Help, Note: field.Note, Required: field.Required,
			Error: f.errs[field.Key], Placeholder: field.Placeholder,
		}
		f.when(field, &v)
		switch field.Control {
		case provider.Button:
			if !s.actionAvailable(f.p, field.Action) {
				continue // not wired: no dead buttons
			}
			v.Action = field.Action
			v.Result = f.results[field.Action]
			v.PostURL = f.postURL()
		case provider.Checkbox:
			switch {
			case field.Key == provider.KeyEncrypt && !s.Config.AllowPlain:
				v.Checked, v.Locked = true, true
				v.LockNote = "Credentials are always encrypted on this server."
			case field.Key == provider.KeyEncrypt && !f.sc.Plain:
				v.Checked, v.Locked = true, true
				v.LockNote = "Only administrators can store credentials unencrypted; saving here encrypts them."
			case f.in != nil:
				v.Checked = f.in.Values[field.Key] != ""
			case f.tok != nil && field.Key == provider.KeyEncrypt:
				v.Checked = f.tok.Encrypted
			case f.tok != nil:
				v.Checked = f.saved[field.Key] != ""
			default:
				v.Checked = field.Default == "on"
			}
		case provider.Select:
			cur := f.current(field)
			for _, o := range field.Options {
				v.Options = append(v.Options, views.Option{Value: o.Value, Label: o.Label, Selected: o.Value == cur})
			}
		case provider.Password:
			s.describeSecret(f, field, &v)
		case provider.Copy:
			v.Value = s.serverURL(field.Default)
		default:
			v.Value = f.current(field)
		}
		out = append(out, v)
	}
	return out
}

// secretMask stands in an empty secret field for a value that is there.
const secretMask = "••••••••••••••••"

// describeSecret says what is stored for a write-only field, never the value.
func (s *Server) describeSecret(f *tokenForm, field provider.Field, v *views.FormField) {
	if g := f.pending.Grant; g != nil && f.p.Tokens.Access == field.Key {
		v.Stored = "Obtained from " + f.p.Name + " · not saved yet · press Save to keep it"
		if !g.ExpiresAt.IsZero() {
			v.Stored = "Obtained from " + f.p.Name + " · expires " + views.When(g.ExpiresAt) + " · not saved yet · press Save to keep it"
			v.StoredAt = g.ExpiresAt
		}
		// Masked, as the documented field shows it: a token is there. The
		// value itself never reaches the page.
		v.Placeholder = secretMask
		return
	}
	if _, ok := f.pending.Secrets[field.Key]; ok {
		v.Stored = "Kept from your last attempt · not saved yet"
		v.Placeholder = "Leave empty to use what you typed before"
		return
	}
	if f.tok == nil {
		return
	}
	st, ok := f.tok.Stored[field.Key]
	if !ok {
		return
	}
	v.Stored, v.StoredAt = "Stored · changed "+views.When(st.At)+" by "+st.By, st.At
	v.Placeholder = "Leave empty to keep the stored value"
	if field.Key == f.p.Tokens.Access {
		v.Stored += " · leave the field empty to keep it"
		v.Placeholder = secretMask
	}
	v.Clearable = !field.Required
	if f.in != nil {
		v.Cleared = f.in.Clear[field.Key]
	}
}

// actionAvailable reports whether a provider's button is wired here.
func (s *Server) actionAvailable(p provider.Provider, action string) bool {
	return p.Actions != nil && p.Actions[action] != nil
}

// when describes a field that applies to some choices of another field
// only (Authorization URL, for the Authorization Code grant): where the
// choice is made, and in words ("Required when Grant Type is
// Authorization Code."), for browsers that cannot hide it.
func (f *tokenForm) when(field provider.Field, v *views.FormField) {
	c := field.UsedWhen
	if c == nil && field.RequiredWhen != nil {
		c = &provider.Choice{Key: field.RequiredWhen.Key, Values: []string{field.RequiredWhen.Value}}
	}
	if c == nil {
		return
	}
	other, ok := f.p.Field(c.Key)
	if !ok {
		return
	}
	var labels []string
	for _, val := range c.Values {
		for _, o := range other.Options {
			if o.Value == val {
				labels = append(labels, o.Label)
			}
		}
	}
	v.WhenID, v.WhenValues = fieldID(c.Key), strings.Join(c.Values, " ")
	verb := "Used"
	if rw := field.RequiredWhen; rw != nil {
		verb, v.RequiredWhen = "Required", true
		v.Required = f.current(other) == rw.Value
	}
	v.WhenNote = fmt.Sprintf("%s when %s is %s.", verb, other.Label, strings.Join(labels, " or "))
}

// fieldID is the id of a field's control, as the view gives it.
func fieldID(key string) string { return "f-" + key }
