package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Refusals of an OAuth 2.0 callback's state.
var (
	// ErrStateUnknown: no trip to a consent page left with this state from
	// this user's session (forged, mistyped, or another person's).
	ErrStateUnknown = errors.New("store: unknown OAuth state")
	// ErrStateUsed: the state came back once already.
	ErrStateUsed = errors.New("store: OAuth state already used")
	// ErrStateExpired: the state is older than its lifetime.
	ErrStateExpired = errors.New("store: OAuth state expired")
)

// OAuthState is one trip to an OAuth 2.0 consent page. Draft, Verifier and
// Result are sealed by the caller; the store keeps them as they are.
type OAuthState struct {
	ID        int64
	Hash      string // of the state sent; the state itself is never kept
	UserID    int64
	AppID     int64
	Provider  string
	TokenID   int64 // 0: a new token
	Reconnect bool
	Draft     []byte
	Verifier  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Result    []byte
	// Session names the login session the trip started in (SessionRef of
	// its hashed id): the callback must come back in the same one.
	Session string
}

const oauthStateCols = "id, state_hash, user_id, app_id, provider, token_id, reconnect, draft, verifier, created_at, expires_at, result, session_ref"

func scanOAuthState(row interface{ Scan(...any) error }) (OAuthState, error) {
	var st OAuthState
	var created, expires int64
	err := row.Scan(&st.ID, &st.Hash, &st.UserID, &st.AppID, &st.Provider, &st.TokenID, &st.Reconnect, &st.Draft, &st.Verifier, &created, &expires, &st.Result, &st.Session)
	if errors.Is(err, sql.ErrNoRows) {
		return st, ErrNotFound
	}
	if err != nil {
		return st, fmt.Errorf("store: oauth state: %w", err)
	}
	st.CreatedAt, st.ExpiresAt = fromMS(created), fromMS(expires)
	return st, nil
}

// oauthStateKeep is how long a row outlives its state: the result it holds
// is shown when the browser comes back to the form, and on reloads.
const oauthStateKeep = time.Hour

// CreateOAuthState records a trip to a consent page and drops the rows of
// trips long over.
func (s *Store) CreateOAuthState(ctx context.Context, st OAuthState) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM oauth_states WHERE expires_at < ?", ms(st.CreatedAt.Add(-oauthStateKeep))); err != nil {
			return fmt.Errorf("store: pruning oauth states: %w", err)
		}
		err := tx.QueryRowContext(ctx, `
			INSERT INTO oauth_states (state_hash, user_id, app_id, provider, token_id, reconnect, draft, verifier, created_at, expires_at, session_ref)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			st.Hash, st.UserID, st.AppID, st.Provider, st.TokenID, st.Reconnect, st.Draft, st.Verifier, ms(st.CreatedAt), ms(st.ExpiresAt), st.Session).Scan(&id)
		if err != nil {
			return fmt.Errorf("store: creating oauth state: %w", err)
		}
		return nil
	})
	return id, err
}

// UseOAuthState spends the state of hash for userID at now: once, before
// it expires, and only in the login session that sent it (session, as
// OAuthState.Session names it). A state that comes back in another
// session, even the same person's, is unknown there and stays unspent.
func (s *Store) UseOAuthState(ctx context.Context, hash string, userID int64, session string, now time.Time) (OAuthState, error) {
	var st OAuthState
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = scanOAuthState(tx.QueryRowContext(ctx, "SELECT "+oauthStateCols+" FROM oauth_states WHERE state_hash = ?", hash))
		switch {
		case errors.Is(err, ErrNotFound):
			return ErrStateUnknown
		case err != nil:
			return err
		case st.UserID != userID || st.Session == "" || st.Session != session:
			return ErrStateUnknown
		case !now.Before(st.ExpiresAt):
			return ErrStateExpired
		}
		res, err := tx.ExecContext(ctx, "UPDATE oauth_states SET used_at = ? WHERE id = ? AND used_at IS NULL", ms(now), st.ID)
		if err != nil {
			return fmt.Errorf("store: using oauth state: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStateUsed
		}
		return nil
	})
	return st, err
}

// SaveOAuthResult keeps what the callback brought back (sealed).
func (s *Store) SaveOAuthResult(ctx context.Context, id int64, result []byte) error {
	if _, err := s.write.ExecContext(ctx, "UPDATE oauth_states SET result = ? WHERE id = ?", result, id); err != nil {
		return fmt.Errorf("store: saving oauth result: %w", err)
	}
	return nil
}

// OAuthResult is a finished trip of userID, to show its result on the form.
func (s *Store) OAuthResult(ctx context.Context, id, userID int64) (OAuthState, error) {
	st, err := scanOAuthState(s.read.QueryRowContext(ctx, "SELECT "+oauthStateCols+" FROM oauth_states WHERE id = ? AND user_id = ? AND result IS NOT NULL", id, userID))
	if err != nil {
		return st, err
	}
	return st, nil
}
