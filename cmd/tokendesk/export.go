package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/transfer"
	"github.com/tokendesk/tokendesk/internal/transfer/tokenfile"
	"github.com/tokendesk/tokendesk/views"
)

// shellActor is who the audit log says exported or imported from a shell.
const (
	exportActor = "tokendesk export"
	importActor = "tokendesk import"
)

// exportCmd writes the tokens of a list (all, or those a search and type
// match) to a file, as the console's Export does: definitions, or with
// --with-secrets their secrets too, the whole file encrypted under a
// passphrase read from --passphrase-file or standard input. Secrets are an
// administrator's to export: whoever runs this holds the master key.
func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokendesk export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	app := fs.String("app", "", "an application's id or name: export its tokens instead of the global ones")
	search := fs.String("search", "", "only tokens whose names match, as the list's search")
	typ := fs.String("type", "", "only tokens of this type (a provider id, such as redox or zoom-s2s)")
	secrets := fs.Bool("with-secrets", false, "include the secrets; the file is encrypted with a passphrase")
	passFile := fs.String("passphrase-file", "", "with --with-secrets: read the passphrase from this file instead of standard input")
	out := fs.String("out", "", "the file to write (default: standard output)")
	storeOpts := addStoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected %q (the file to write is --out)", fs.Arg(0))
	}
	if *typ != "" {
		if _, ok := registry.ByID(*typ); !ok {
			return fmt.Errorf("--type: %q is not a token type (%s)", *typ, strings.Join(providerIDs(), ", "))
		}
	}
	if *passFile != "" && !*secrets {
		return errors.New("--passphrase-file is for --with-secrets: a file without secrets is not encrypted")
	}
	// Messages go to stderr when the file goes to stdout.
	msgs := stdout
	if *out == "" {
		msgs = stderr
	}
	pass := ""
	if *secrets {
		var err error
		if pass, err = readPassphrase(*passFile, stdin, msgs, "Passphrase for the file"); err != nil {
			return err
		}
		if err := checkPassphrase(pass); err != nil {
			return err
		}
	}
	st, sc, err := openTransfer(ctx, storeOpts, getenv, *app)
	if err != nil {
		return err
	}
	defer st.Close()
	toks, pg, err := st.ListTokens(ctx, store.TokenFilter{AppID: sc.AppID, Query: strings.TrimSpace(*search), Provider: *typ, Now: st.Now(), Limit: transfer.MaxTokens})
	if err != nil {
		return err
	}
	switch {
	case pg.HasNext:
		return fmt.Errorf("more than %s tokens match; a file holds at most %s, as many as an import takes: narrow it with --search or --type", views.Thousands(transfer.MaxTokens), views.Thousands(transfer.MaxTokens))
	case len(toks) == 0:
		return fmt.Errorf("no tokens match in %s: nothing to export", listName(sc))
	}
	f, err := tokenfile.Export(ctx, st, sc, toks, *secrets, st.Now())
	if err != nil {
		return err
	}
	data, err := transfer.Encode(f, pass, exportWorkFactor)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(f.Tokens))
	for _, t := range f.Tokens {
		names = append(names, t.Name)
	}
	detail := "definitions only, from a shell: " + strings.Join(names, ", ")
	if *secrets {
		detail = "with secrets, encrypted, from a shell: " + strings.Join(names, ", ")
	}
	if *out == "" {
		if _, err := stdout.Write(data); err != nil {
			return err
		}
	} else if err := writeNewFile(*out, data); err != nil {
		return err
	}
	if err := st.AddAudit(ctx, store.Audit{At: st.Now(), Actor: exportActor, Action: store.ActionTokensExport, AppID: sc.AppID,
		Subject: views.Plural(len(names), "access token", "access tokens"), Detail: detail}); err != nil {
		return err
	}
	what := "definitions"
	if *secrets {
		what = "definitions and secrets, encrypted"
	}
	fmt.Fprintf(msgs, "Exported %s of %s (%s).\n", views.Plural(len(names), "access token", "access tokens"), listName(sc), what)
	return nil
}

// writeNewFile writes data to a file only its owner may read (it may hold
// secrets, encrypted or not), refusing to overwrite one.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("--out: %s exists; choose another name or remove it", path)
	}
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("--out: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

func providerIDs() []string {
	var ids []string
	for _, p := range registry.All() {
		ids = append(ids, p.ID)
	}
	return ids
}

// exportWorkFactor is scrypt's cost for a file export writes: always
// transfer.WorkFactor, except in this package's test binary, which lowers
// it (hash_cost_test.go) because 2^18 under -race took minutes a file.
var exportWorkFactor = transfer.WorkFactor
