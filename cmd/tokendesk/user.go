package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
)

// userAdd creates a user from the shell. The password comes from standard
// input so that it stays out of the shell history and the process list.
func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the user's email (required)")
	role := fs.String("role", "admin", "admin or designer")
	storeOpts := addStoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	cfg, err := storeOpts.config(getenv)
	if err != nil {
		return err
	}
	addr, err := auth.NormalizeEmail(*email)
	if err != nil {
		return fmt.Errorf("--email: %v", err)
	}
	if *role != store.RoleAdmin && *role != store.RoleDesigner {
		return fmt.Errorf("--role: %q is not admin or designer", *role)
	}
	fmt.Fprintln(stdout, "Password (one line on standard input):")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if msg := auth.ValidatePassword(password); msg != "" {
		return errors.New(msg)
	}
	st, _, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer st.Close()
	hash, err := auth.DefaultHasher.Hash(password)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, addr, hash, *role); errors.Is(err, store.ErrDuplicateUser) {
		return fmt.Errorf("a user with email %s already exists", addr)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s (%s).\n", addr, *role)
	return nil
}
