package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Audit actions of single sign-on.
const (
	ActionSSOSettings = "sso.settings"
	ActionSSOTest     = "sso.test"
	ActionSSOSignIn   = "sso.signin"
	ActionSSORefused  = "sso.refused"
)

// SSOSettings is the single sign-on set-up: one OpenID Connect identity
// provider. The client secret is not here: it is kept sealed apart and
// never read back for a page (SSOClientSecret).
type SSOSettings struct {
	Name     string   `json:"name"`   // on the button: "Sign in with <Name>"
	Issuer   string   `json:"issuer"` // discovery at Issuer + /.well-known/openid-configuration
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"` // besides openid
	// Claim is the ID token claim the role mapping reads (e.g. groups).
	Claim       string   `json:"claim"`
	AdminValues []string `json:"admin_values"`
	// DesignerRules are "value = app name" lines.
	DesignerRules []SSODesignerRule `json:"designer_rules"`
	Enabled       bool              `json:"enabled"`
	// PasswordOff turns password sign-in off for everyone but BreakGlass.
	PasswordOff bool     `json:"password_off"`
	BreakGlass  []string `json:"break_glass"` // administrators' emails
	// TrustEmail links a first single sign-on to an existing account by
	// email even without email_verified true (Entra ID sends none): the
	// administrator vouches that the provider's addresses are its users'.
	TrustEmail bool `json:"trust_email,omitempty"`
	// Read back only.
	HasSecret bool      `json:"-"`
	TestedAt  time.Time `json:"-"` // zero: no Test sign-in since the last change
	TestedBy  string    `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// SSODesignerRule makes whoever's claim holds Value a designer of App.
type SSODesignerRule struct {
	Value string `json:"value"`
	App   string `json:"app"`
}

// BreakGlassAllows reports whether email is a named break-glass administrator.
func (s SSOSettings) BreakGlassAllows(email string) bool {
	return slices.ContainsFunc(s.BreakGlass, func(e string) bool { return strings.EqualFold(e, email) })
}

// SSOSettingsNow reads the single sign-on set-up (the zero value when
// none was ever saved).
func (s *Store) SSOSettingsNow(ctx context.Context) (SSOSettings, error) {
	var set SSOSettings
	var config string
	var hasSecret bool
	var tested sql.NullInt64
	var updated int64
	err := s.read.QueryRowContext(ctx, "SELECT config, client_secret IS NOT NULL, tested_at, tested_by, updated_at FROM sso_settings WHERE id = 1").
		Scan(&config, &hasSecret, &tested, &set.TestedBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return SSOSettings{}, nil
	}
	if err != nil {
		return set, fmt.Errorf("store: sso settings: %w", err)
	}
	if err := json.Unmarshal([]byte(config), &set); err != nil {
		return set, fmt.Errorf("store: sso settings: %w", err)
	}
	set.HasSecret, set.UpdatedAt = hasSecret, fromMS(updated)
	if tested.Valid {
		set.TestedAt = fromMS(tested.Int64)
	}
	return set, nil
}

// SSOSecretAAD binds the sealed client secret to its place, so that a
// master key change can re-seal it (resealUnderMaster).
const SSOSecretAAD = "tokendesk/sso/client-secret"

// SSOClientSecret reads the sealed client secret (nil when none).
func (s *Store) SSOClientSecret(ctx context.Context) ([]byte, error) {
	var sealed []byte
	err := s.read.QueryRowContext(ctx, "SELECT client_secret FROM sso_settings WHERE id = 1").Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: sso client secret: %w", err)
	}
	return sealed, nil
}

// SSOSave is one save of the settings page.
type SSOSave struct {
	Settings SSOSettings
	// Secret is the new sealed client secret; nil keeps the stored one.
	Secret []byte
	// Untest forgets the last Test sign-in (the provider or client changed).
	Untest bool
	// Changed names the fields that changed, for the audit log (never values).
	Changed []string
	Actor   string
}

// SaveSSOSettings writes the set-up and audits which fields changed.
func (s *Store) SaveSSOSettings(ctx context.Context, sv SSOSave) error {
	config, err := json.Marshal(sv.Settings)
	if err != nil {
		return fmt.Errorf("store: sso settings: %w", err)
	}
	now := ms(s.Now())
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sso_settings (id, config, client_secret, tested_at, tested_by, updated_at) VALUES (1, ?, ?, NULL, '', ?)
			ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at,
				client_secret = CASE WHEN ? THEN excluded.client_secret ELSE sso_settings.client_secret END,
				tested_at = CASE WHEN ? THEN NULL ELSE sso_settings.tested_at END,
				tested_by = CASE WHEN ? THEN '' ELSE sso_settings.tested_by END`,
			string(config), sv.Secret, now, sv.Secret != nil, sv.Untest, sv.Untest)
		if err != nil {
			return fmt.Errorf("store: saving sso settings: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: sv.Actor, Action: ActionSSOSettings, Subject: "Single sign-on", Fields: sv.Changed})
	})
}

// ErrSSOChanged: the set-up changed while a Test sign-in was under way, so
// the test proves nothing about the set-up as it is now.
var ErrSSOChanged = errors.New("store: single sign-on settings changed during the test")

// RecordSSOTest records a Test sign-in that got through with the set-up
// saved at updatedAt.
func (s *Store) RecordSSOTest(ctx context.Context, updatedAt time.Time, actor, detail string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE sso_settings SET tested_at = ?, tested_by = ? WHERE id = 1 AND updated_at = ?", ms(s.Now()), actor, ms(updatedAt))
		if err != nil {
			return fmt.Errorf("store: recording sso test: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrSSOChanged
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionSSOTest, Subject: "Single sign-on", Detail: detail})
	})
}

// SSOState is one trip to the identity provider. The state and nonce are
// kept as hashes; Verifier is sealed by the caller.
type SSOState struct {
	ID          int64
	Hash        string
	BrowserHash string
	Mode        string // SSOModeSignIn or SSOModeTest
	UserID      int64  // the administrator testing
	NonceHash   string
	Verifier    []byte
	Next        string
	Address     string // the client's, to bound the trips one address starts
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Kinds of trip to the identity provider.
const (
	SSOModeSignIn = "signin"
	SSOModeTest   = "test"
)

// CreateSSOState records a trip and drops those long over.
func (s *Store) CreateSSOState(ctx context.Context, st SSOState) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sso_states WHERE expires_at < ?", ms(st.CreatedAt.Add(-time.Hour))); err != nil {
			return fmt.Errorf("store: pruning sso states: %w", err)
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sso_states (state_hash, browser_hash, mode, user_id, nonce_hash, verifier, next, address, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			st.Hash, st.BrowserHash, st.Mode, st.UserID, st.NonceHash, st.Verifier, st.Next, st.Address, ms(st.CreatedAt), ms(st.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store: creating sso state: %w", err)
		}
		return nil
	})
}

// SSOTripsFrom counts the trips address started since since, on every
// replica: anonymous sign-ins each write a row and call the identity
// provider, so one address may start only so many.
func (s *Store) SSOTripsFrom(ctx context.Context, address string, since time.Time) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM sso_states WHERE address = ? AND created_at > ?", address, ms(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: counting sso trips: %w", err)
	}
	return n, nil
}

// UseSSOState spends the state of hash at now: once, before it expires,
// and only in the browser that left with it. A state another browser
// brings is unknown here and stays unspent. The refusals are the OAuth
// state's (ErrStateUnknown, ErrStateUsed, ErrStateExpired).
func (s *Store) UseSSOState(ctx context.Context, hash, browserHash string, now time.Time) (SSOState, error) {
	var st SSOState
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var created, expires int64
		err := tx.QueryRowContext(ctx, `SELECT id, state_hash, browser_hash, mode, user_id, nonce_hash, verifier, next, created_at, expires_at
			FROM sso_states WHERE state_hash = ?`, hash).
			Scan(&st.ID, &st.Hash, &st.BrowserHash, &st.Mode, &st.UserID, &st.NonceHash, &st.Verifier, &st.Next, &created, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrStateUnknown
		case err != nil:
			return fmt.Errorf("store: sso state: %w", err)
		case browserHash == "" || st.BrowserHash != browserHash:
			return ErrStateUnknown
		}
		st.CreatedAt, st.ExpiresAt = fromMS(created), fromMS(expires)
		if !now.Before(st.ExpiresAt) {
			return ErrStateExpired
		}
		res, err := tx.ExecContext(ctx, "UPDATE sso_states SET used_at = ? WHERE id = ? AND used_at IS NULL", ms(now), st.ID)
		if err != nil {
			return fmt.Errorf("store: using sso state: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStateUsed
		}
		return nil
	})
	return st, err
}

// SSOUser is what an identity provider's sign-in makes of a person.
type SSOUser struct {
	Issuer  string // the ID token's iss and sub: who the provider says this is
	Subject string
	Email   string
	// EmailVerified: the provider vouches for Email (email_verified is
	// true). Only then may a sign-in take over an existing account that
	// has never signed in by this provider.
	EmailVerified bool
	Role          string
	AppIDs        []int64 // the apps a designer designs
	Detail        string  // for the audit log: the role and apps, never claims' secrets
}

// ErrSSOUnverified: the e-mail names an existing account not yet bound to
// this subject, and the provider does not vouch for the address.
var ErrSSOUnverified = errors.New("store: single sign-on e-mail not verified for an existing account")

// ErrSSOEmailTaken: the subject's new e-mail belongs to another account.
var ErrSSOEmailTaken = errors.New("store: single sign-on e-mail belongs to another account")

// SyncSSOUser creates or updates the person an identity provider signed
// in: their role and the apps they design follow the mapping at every
// sign-in. A person created here has no password (none can match).
// The person is found by the provider's subject; an account without a
// binding is linked by e-mail only when the provider verified it.
// ErrLastAdmin when it would demote the last active administrator;
// ErrInactive when an administrator deactivated the person;
// ErrSSOUnverified, ErrSSOEmailTaken as above.
func (s *Store) SyncSSOUser(ctx context.Context, in SSOUser) (u User, created bool, err error) {
	now := s.Now()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		admins := 0
		if in.Role != RoleAdmin {
			if admins, err = s.lockActiveAdmins(ctx, tx); err != nil {
				return err
			}
		}
		bound := true
		u, err = scanUser(tx.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = (SELECT user_id FROM sso_identities WHERE issuer = ? AND subject = ?)", in.Issuer, in.Subject))
		if errors.Is(err, ErrNotFound) {
			bound = false
			u, err = scanUser(tx.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE email = ?", in.Email))
		}
		switch {
		case err == nil && bound && u.Email != in.Email:
			// The provider changed the person's address: follow it, unless
			// another account has it.
			var other int64
			switch e := tx.QueryRowContext(ctx, "SELECT id FROM users WHERE email = ?", in.Email).Scan(&other); {
			case e == nil:
				return ErrSSOEmailTaken
			case !errors.Is(e, sql.ErrNoRows):
				return e
			}
			if _, err := tx.ExecContext(ctx, "UPDATE users SET email = ?, updated_at = ? WHERE id = ?", in.Email, ms(now), u.ID); err != nil {
				return fmt.Errorf("store: updating user: %w", err)
			}
			if err := insertAudit(ctx, tx, Audit{At: now, Actor: in.Email, Action: "user.update", Subject: in.Email, Detail: "email was " + u.Email + ", by single sign-on"}); err != nil {
				return err
			}
			u.Email = in.Email
		case err == nil && !bound:
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sso_identities WHERE issuer = ? AND user_id = ?", in.Issuer, u.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 || !in.EmailVerified {
				return ErrSSOUnverified
			}
		}
		switch {
		case errors.Is(err, ErrNotFound):
			created = true
			err = tx.QueryRowContext(ctx, "INSERT INTO users (email, password_hash, role, created_at, updated_at) VALUES (?, '', ?, ?, ?) RETURNING id",
				in.Email, in.Role, ms(now), ms(now)).Scan(&u.ID)
			if err != nil {
				return fmt.Errorf("store: creating user: %w", err)
			}
			u = User{ID: u.ID, Email: in.Email, Role: in.Role, Active: true, CreatedAt: now.UTC()}
			if err := insertAudit(ctx, tx, Audit{At: now, Actor: in.Email, Action: "user.create", Subject: in.Email, Detail: "role " + in.Role + ", by single sign-on"}); err != nil {
				return err
			}
		case err != nil:
			return err
		case !u.Active:
			return ErrInactive
		case u.Role == RoleAdmin && in.Role != RoleAdmin && admins <= 1:
			return ErrLastAdmin
		case u.Role != in.Role:
			if _, err := tx.ExecContext(ctx, "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", in.Role, ms(now), u.ID); err != nil {
				return fmt.Errorf("store: updating user: %w", err)
			}
			if err := insertAudit(ctx, tx, Audit{At: now, Actor: in.Email, Action: "user.update", Subject: in.Email, Detail: "role " + in.Role + ", by single sign-on"}); err != nil {
				return err
			}
			u.Role = in.Role
		}
		if !bound {
			if _, err := tx.ExecContext(ctx, "INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)", in.Issuer, in.Subject, u.ID, ms(now)); err != nil {
				return fmt.Errorf("store: binding single sign-on: %w", err)
			}
		}
		// The apps follow the mapping too: an administrator's are none.
		if _, err := tx.ExecContext(ctx, "DELETE FROM app_designers WHERE user_id = ?", u.ID); err != nil {
			return fmt.Errorf("store: designer apps: %w", err)
		}
		if in.Role == RoleDesigner {
			for _, app := range in.AppIDs {
				if _, err := tx.ExecContext(ctx, "INSERT INTO app_designers (app_id, user_id) SELECT id, CAST(? AS BIGINT) FROM apps WHERE id = ? ON CONFLICT DO NOTHING", u.ID, app); err != nil {
					return fmt.Errorf("store: designer apps: %w", err)
				}
			}
		}
		return insertAudit(ctx, tx, Audit{At: now, Actor: in.Email, Action: ActionSSOSignIn, Subject: in.Email, Detail: in.Detail})
	})
	return u, created, err
}

// ErrInactive: an administrator deactivated this person.
var ErrInactive = errors.New("store: user deactivated")

// RefuseSSOUser ends the sessions of a person the identity provider no
// longer maps to any role, and audits the refusal. The person is the one
// bound to the subject (an e-mail alone is not proof enough to end
// anyone's sessions). Unknown people leave only the audit entry.
func (s *Store) RefuseSSOUser(ctx context.Context, issuer, subject, email, detail string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id IN (SELECT user_id FROM sso_identities WHERE issuer = ? AND subject = ?)", issuer, subject); err != nil {
			return fmt.Errorf("store: ending sessions: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: email, Action: ActionSSORefused, Subject: email, Detail: detail})
	})
}
