package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Invitation is an administrator's invitation to join (migration 00030).
// Its link's secret is never stored: only its SHA-256.
type Invitation struct {
	ID        int64
	Email     string
	Role      string
	AppID     int64 // the app a designer is invited to design; 0 for none
	InvitedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Refusals of an invitation link.
var (
	ErrInvitationUsed    = errors.New("store: this invitation has been used already")
	ErrInvitationExpired = errors.New("store: this invitation has expired")
)

// CreateInvitation stores an invitation under the hash of its link's
// secret and audits it.
func (s *Store) CreateInvitation(ctx context.Context, inv Invitation, tokenHash []byte) (Invitation, error) {
	inv.CreatedAt = s.Now().UTC()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx,
			"INSERT INTO invitations (token_hash, email, role, app_id, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
			tokenHash, inv.Email, inv.Role, nullID(inv.AppID), inv.InvitedBy, ms(inv.CreatedAt), ms(inv.ExpiresAt)).Scan(&inv.ID); err != nil {
			return fmt.Errorf("store: inviting: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: inv.CreatedAt, Actor: inv.InvitedBy, Action: ActionInvite, Subject: inv.Email,
			AppID: inv.AppID, Detail: "role " + inv.Role + ", until " + inv.ExpiresAt.UTC().Format(time.RFC3339)})
	})
	return inv, err
}

// InvitationByHash finds an invitation by its link's hash, used or not.
func (s *Store) InvitationByHash(ctx context.Context, tokenHash []byte) (Invitation, error) {
	return scanInvitation(s.read.QueryRowContext(ctx,
		"SELECT id, email, role, app_id, invited_by, created_at, expires_at, used_at FROM invitations WHERE token_hash = ?", tokenHash))
}

func scanInvitation(row interface{ Scan(...any) error }) (Invitation, error) {
	var inv Invitation
	var app, used sql.NullInt64
	var created, expires int64
	err := row.Scan(&inv.ID, &inv.Email, &inv.Role, &app, &inv.InvitedBy, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, ErrNotFound
	} else if err != nil {
		return inv, fmt.Errorf("store: invitation: %w", err)
	}
	inv.AppID, inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = app.Int64, fromMS(created), fromMS(expires), fromNullMS(used)
	return inv, nil
}

// PendingInvitations lists the invitations not yet used nor expired.
func (s *Store) PendingInvitations(ctx context.Context) ([]Invitation, error) {
	rows, err := s.read.QueryContext(ctx,
		"SELECT id, email, role, app_id, invited_by, created_at, expires_at, used_at FROM invitations WHERE used_at IS NULL AND expires_at > ? ORDER BY created_at DESC",
		ms(s.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: invitations: %w", err)
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// AcceptInvitation spends an invitation and creates its person with the
// password they chose, in one transaction: ErrInvitationUsed,
// ErrInvitationExpired, ErrNotFound or ErrDuplicateUser change nothing.
func (s *Store) AcceptInvitation(ctx context.Context, tokenHash []byte, passwordHash string) (User, error) {
	var u User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		inv, err := scanInvitation(tx.QueryRowContext(ctx,
			"SELECT id, email, role, app_id, invited_by, created_at, expires_at, used_at FROM invitations WHERE token_hash = ?"+s.d.forUpdate(), tokenHash))
		if err != nil {
			return err
		}
		now := s.Now()
		switch {
		case !inv.UsedAt.IsZero():
			return ErrInvitationUsed
		case !now.Before(inv.ExpiresAt):
			return ErrInvitationExpired
		}
		var id int64
		err = tx.QueryRowContext(ctx,
			"INSERT INTO users (email, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			inv.Email, passwordHash, inv.Role, ms(now), ms(now)).Scan(&id)
		if isUniqueViolation(err) {
			return ErrDuplicateUser
		} else if err != nil {
			return fmt.Errorf("store: accepting invitation: %w", err)
		}
		if inv.AppID != 0 && inv.Role == RoleDesigner {
			if _, err := tx.ExecContext(ctx, "INSERT INTO app_designers (app_id, user_id) VALUES (?, ?)", inv.AppID, id); err != nil {
				return fmt.Errorf("store: accepting invitation: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE invitations SET used_at = ? WHERE id = ?", ms(now), inv.ID); err != nil {
			return fmt.Errorf("store: accepting invitation: %w", err)
		}
		u = User{ID: id, Email: inv.Email, PasswordHash: passwordHash, Role: inv.Role, Active: true, CreatedAt: now.UTC()}
		return insertAudit(ctx, tx, Audit{At: now, Actor: inv.Email, Action: ActionInviteAccept, Subject: inv.Email, AppID: inv.AppID, Detail: "invited by " + inv.InvitedBy})
	})
	return u, err
}
