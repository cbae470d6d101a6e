package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Roles.
const (
	RoleAdmin    = "admin"
	RoleDesigner = "designer"
)

// User is a person who signs in to the console.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         string
	Active       bool
	CreatedAt    time.Time
	// MustChangePassword: an administrator typed this person's password,
	// so they choose their own before anything else (migration 00030).
	MustChangePassword bool
}

// IsAdmin reports whether the user holds the global rights.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

const userCols = "id, email, password_hash, role, active, created_at, must_change_password"

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.Active, &created, &u.MustChangePassword); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, ErrNotFound
		}
		return User{}, fmt.Errorf("store: user: %w", err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// CreateUser adds a user; ErrDuplicateUser when the email is taken.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash, role string) (User, error) {
	now := s.Now()
	var id int64
	err := s.write.QueryRowContext(ctx,
		"INSERT INTO users (email, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		email, passwordHash, role, ms(now), ms(now)).Scan(&id)
	if err != nil {
		if isUniqueViolation(err) {
			return User{}, ErrDuplicateUser
		}
		return User{}, fmt.Errorf("store: creating user: %w", err)
	}
	return User{ID: id, Email: email, PasswordHash: passwordHash, Role: role, Active: true, CreatedAt: now.UTC()}, nil
}

// UserByEmail finds a user, ignoring case.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	return scanUser(s.read.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE email = ?", email))
}

// UserByID finds a user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
}

// CountUsers reports how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: counting users: %w", err)
	}
	return n, nil
}

// UserListing is a user with their signed-in sessions counted.
type UserListing struct {
	User
	Sessions int
}

// UserListingByID loads one user with their session count.
func (s *Store) UserListingByID(ctx context.Context, id int64) (UserListing, error) {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return UserListing{}, err
	}
	l := UserListing{User: u}
	err = s.read.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE user_id = ?", id).Scan(&l.Sessions)
	return l, err
}

// ListUsers returns every user, by email, with their active session counts.
func (s *Store) ListUsers(ctx context.Context) ([]UserListing, error) {
	return s.userListings(ctx, "SELECT "+userListingCols+" FROM users u ORDER BY u.email")
}

const userListingCols = `u.id, u.email, u.password_hash, u.role, u.active, u.created_at,
		       (SELECT count(*) FROM sessions s WHERE s.user_id = u.id)`

// userListings runs a query selecting userListingCols.
func (s *Store) userListings(ctx context.Context, query string, args ...any) ([]UserListing, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing users: %w", err)
	}
	defer rows.Close()
	var out []UserListing
	for rows.Next() {
		var l UserListing
		var created int64
		if err := rows.Scan(&l.ID, &l.Email, &l.PasswordHash, &l.Role, &l.Active, &created, &l.Sessions); err != nil {
			return nil, fmt.Errorf("store: listing users: %w", err)
		}
		l.CreatedAt = fromMS(created)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: listing users: %w", err)
	}
	return out, nil
}

// UpdateUser changes a user's role and whether they may sign in. A
// deactivated user's sessions end at once. ErrLastAdmin when it would leave
// no active administrator.
func (s *Store) UpdateUser(ctx context.Context, id int64, role string, active bool, actor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Lock the active administrators first, in one order, before
		// reading the user: then two such transactions cannot deadlock.
		admins := 0
		if role != RoleAdmin || !active {
			var err error
			if admins, err = s.lockActiveAdmins(ctx, tx); err != nil {
				return err
			}
		}
		var email, was string
		var wasActive bool
		if err := tx.QueryRowContext(ctx, "SELECT email, role, active FROM users WHERE id = ?", id).Scan(&email, &was, &wasActive); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: updating user: %w", err)
		}
		if was == RoleAdmin && wasActive && (role != RoleAdmin || !active) && admins <= 1 {
			return ErrLastAdmin
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET role = ?, active = ?, updated_at = ? WHERE id = ?", role, active, ms(s.Now()), id); err != nil {
			return fmt.Errorf("store: updating user: %w", err)
		}
		if !active {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
				return fmt.Errorf("store: ending sessions: %w", err)
			}
		}
		detail := "role " + role
		if !active {
			detail += ", deactivated"
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: "user.update", Subject: email, Detail: detail})
	})
}

// SetPassword replaces a user's password and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, id int64, hash, actor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var email string
		if err := tx.QueryRowContext(ctx, "SELECT email FROM users WHERE id = ?", id).Scan(&email); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: setting password: %w", err)
		}
		// An administrator typed it: the person chooses their own at the
		// next sign-in (issue 23).
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, must_change_password = 1, updated_at = ? WHERE id = ?", hash, ms(s.Now()), id); err != nil {
			return fmt.Errorf("store: setting password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
			return fmt.Errorf("store: ending sessions: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: "user.password", Subject: email})
	})
}

// ErrLastAdmin refuses to demote or deactivate the last active
// administrator: nobody could then manage users or settings.
var ErrLastAdmin = errors.New("store: this is the last active administrator")

// activeAdminsQuery reads the active administrators from their own
// partial index (migration 00019).
const activeAdminsQuery = "SELECT id FROM users WHERE role = 'admin' AND active = 1 ORDER BY id"

// lockActiveAdmins counts the active administrators inside a write
// transaction that may demote or deactivate one: counted before it, two
// administrators demoting each other at once both saw the other and left
// none. SQLite's single writer already orders such transactions; on
// PostgreSQL the rows are locked (FOR UPDATE cannot count, so they are read
// and counted here), so that the second transaction waits for the first
// and then no longer finds the administrator it demoted.
func (s *Store) lockActiveAdmins(ctx context.Context, tx *sql.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, activeAdminsQuery+s.d.forUpdate())
	if err != nil {
		return 0, fmt.Errorf("store: counting administrators: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: counting administrators: %w", err)
	}
	return n, nil
}

// UserPage says where a page of users starts and ends (by email), and
// whether pages lie before and after it.
type UserPage struct {
	First, Last      string
	HasPrev, HasNext bool
}

// usersPageQuery reads one page of users by email from the email index
// (one row more, to know whether another follows).
func usersPageQuery(limit int, after, before string) (string, []any) {
	where, order := "", "u.email"
	var args []any
	switch {
	case after != "":
		where, args = "WHERE u.email > ?", []any{after}
	case before != "":
		where, args, order = "WHERE u.email < ?", []any{before}, "u.email DESC"
	}
	return `SELECT ` + userListingCols + `
		FROM users u ` + where + ` ORDER BY ` + order + ` LIMIT ?`, append(args, limit+1)
}

// UsersPage lists one page of users, by email, after or before an email.
func (s *Store) UsersPage(ctx context.Context, limit int, after, before string) ([]UserListing, UserPage, error) {
	limit = max(limit, 1)
	q, args := usersPageQuery(limit, after, before)
	out, err := s.userListings(ctx, q, args...)
	if err != nil {
		return nil, UserPage{}, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	var pg UserPage
	if before != "" {
		slices.Reverse(out)
		pg.HasPrev, pg.HasNext = more, len(out) > 0
	} else {
		pg.HasPrev, pg.HasNext = after != "", more
	}
	if len(out) > 0 {
		pg.First, pg.Last = out[0].Email, out[len(out)-1].Email
	}
	return out, pg, nil
}

// activeDesignersQuery reads the active app designers by email from their
// own partial index (migration 00019).
const activeDesignersQuery = "SELECT id, email FROM users WHERE role = 'designer' AND active = 1 ORDER BY email"

// ActiveDesigners lists the users who may be made an app's designers
// (active designers), by email: only what an app's page offers, without
// the session counts ListUsers reads for every user.
func (s *Store) ActiveDesigners(ctx context.Context) ([]User, error) {
	rows, err := s.read.QueryContext(ctx, activeDesignersQuery)
	if err != nil {
		return nil, fmt.Errorf("store: designers: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u := User{Role: RoleDesigner, Active: true}
		if err := rows.Scan(&u.ID, &u.Email); err != nil {
			return nil, fmt.Errorf("store: designers: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
