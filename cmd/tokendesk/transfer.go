package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/internal/transfer"
	"github.com/tokendesk/tokendesk/internal/transfer/tokenfile"
)

// What `tokendesk export` and `tokendesk import` share: the list they
// work on and the passphrase, which never comes from a flag (it would sit
// in the shell history and the process list).

// openTransfer opens the database the flags and environment name, and
// finds the list --app names in it.
func openTransfer(ctx context.Context, opts storeFlags, getenv func(string) string, app string) (*store.Store, tokenfile.Scope, error) {
	cfg, err := opts.config(getenv)
	if err != nil {
		return nil, tokenfile.Scope{}, err
	}
	st, _, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, tokenfile.Scope{}, err
	}
	sc, err := transferScope(ctx, st, app, cfg.AllowPlain)
	if err != nil {
		st.Close()
		return nil, tokenfile.Scope{}, err
	}
	return st, sc, nil
}

// transferScope finds the list --app names (an id or a name; "" for the
// global tokens).
func transferScope(ctx context.Context, st *store.Store, app string, plain bool) (tokenfile.Scope, error) {
	sc := tokenfile.Scope{Plain: plain}
	app = strings.TrimSpace(app)
	if app == "" {
		return sc, nil
	}
	if id, err := strconv.ParseInt(app, 10, 64); err == nil && id > 0 {
		a, err := st.AppByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return sc, fmt.Errorf("--app: there is no application %d", id)
		}
		if err != nil {
			return sc, err
		}
		sc.AppID, sc.AppName = a.ID, a.Name
		return sc, nil
	}
	apps, err := st.ListApps(ctx, 0)
	if err != nil {
		return sc, err
	}
	for _, a := range apps {
		if token.NameKey(a.Name) == token.NameKey(app) {
			sc.AppID, sc.AppName = a.ID, a.Name
			return sc, nil
		}
	}
	return sc, fmt.Errorf("--app: there is no application named %q", app)
}

// listName names the list of sc for messages.
func listName(sc tokenfile.Scope) string {
	if sc.AppID == 0 {
		return "the global tokens"
	}
	return "the tokens of " + sc.AppName
}

// readPassphrase reads one line from the file named by file, or from
// stdin when file is empty, saying so on prompt first.
func readPassphrase(file string, stdin io.Reader, prompt io.Writer, what string) (string, error) {
	var src io.Reader = stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--passphrase-file: %w", err)
		}
		defer f.Close()
		src = f
	} else {
		if stdin == nil {
			return "", errors.New(what + ": give --passphrase-file, or the passphrase on standard input")
		}
		fmt.Fprintln(prompt, what+" (one line on standard input):")
	}
	line, err := bufio.NewReader(io.LimitReader(src, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the passphrase: %w", err)
	}
	pass := strings.TrimRight(line, "\r\n")
	if pass == "" {
		return "", errors.New(what + ": the passphrase is empty")
	}
	return pass, nil
}

// checkPassphrase applies the console's rules for a new passphrase.
func checkPassphrase(pass string) error {
	switch n := utf8.RuneCountInString(pass); {
	case n < transfer.MinPassphrase:
		return fmt.Errorf("the passphrase has %d characters; use at least %d", n, transfer.MinPassphrase)
	case n > 1024:
		return errors.New("the passphrase is longer than 1,024 characters")
	}
	return nil
}
