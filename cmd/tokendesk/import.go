package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/transfer"
	"github.com/tokendesk/tokendesk/internal/transfer/tokenfile"
	"github.com/tokendesk/tokendesk/views"
)

// importCmd imports an export file into a list through the same code as
// the console's Import (tokenfile: the form's rules, the 1,000-token
// limit, one transaction). It prints the preview; only --yes writes.
// Where the console asks row by row, --on-conflict answers for every
// token the list already has (replace or skip) and for every token that
// would shadow a global one in an app's list (import or skip); a token
// whose name is refused or taken by another type is always skipped.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	app := fs.String("app", "", "an application's id or name: import into its tokens instead of the global ones")
	onConflict := fs.String("on-conflict", tokenfile.ChooseSkip, "skip or replace: what to do with a token the list already has")
	passFile := fs.String("passphrase-file", "", "for a file with secrets: read its passphrase from this file instead of standard input")
	yes := fs.Bool("yes", false, "write the import; without it only the preview is printed")
	storeOpts := addStoreFlags(fs)
	// The file may come before the flags too.
	var path string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		path, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if path == "" && fs.NArg() > 0 {
		path = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected %q after the file", fs.Arg(0))
	}
	if path == "" {
		return errors.New("usage: tokendesk import FILE [--app A] [--on-conflict skip|replace] [--passphrase-file F] [--yes]")
	}
	if *onConflict != tokenfile.ChooseSkip && *onConflict != tokenfile.ChooseReplace {
		return fmt.Errorf("--on-conflict: %q is not skip or replace", *onConflict)
	}

	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer file.Close()
	br := bufio.NewReader(file)
	head, _ := br.Peek(64)
	pass := ""
	if transfer.Encrypted(head) {
		if pass, err = readPassphrase(*passFile, stdin, stdout, "Passphrase of "+path); err != nil {
			return err
		}
	}
	f, err := transfer.DecodeReader(br, pass)
	if err != nil {
		return fmt.Errorf("%s: %s", path, fileError(err))
	}
	if len(f.Tokens) == 0 {
		return fmt.Errorf("%s holds no access tokens", path)
	}

	st, sc, err := openTransfer(ctx, storeOpts, getenv, *app)
	if err != nil {
		return err
	}
	defer st.Close()
	d := tokenfile.Draft{Secrets: f.Secrets, Tokens: f.Tokens}
	plan, problems, err := tokenfile.Plan(ctx, st, sc, d, nil, st.Now())
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(tokenfile.Problems(problems))
	}
	for _, r := range plan {
		switch r.Status {
		case tokenfile.StatusReplaces:
			r.Choice = *onConflict
		case tokenfile.StatusShadows:
			r.Choice = tokenfile.ChooseSkip
			if *onConflict == tokenfile.ChooseReplace {
				r.Choice = tokenfile.ChooseImport
			}
		}
	}

	what := "definitions only: enter each token's secrets on its page afterwards"
	if f.Secrets {
		what = "with secrets"
	}
	fmt.Fprintf(stdout, "Import into %s: %s from %s (%s).\n", listName(sc), views.Plural(len(plan), "token", "tokens"), path, what)
	for _, r := range plan {
		fmt.Fprintf(stdout, "  %-6s  %s (%s): %s\n", r.Choice, r.Name(), r.Provider.Name, r.Status)
		if r.Why != "" {
			fmt.Fprintf(stdout, "          %s\n", r.Why)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(stdout, "          %s\n", n)
		}
	}
	items, invalid, err := tokenfile.Items(ctx, st, sc, plan)
	if err != nil {
		return err
	}
	if invalid { // only a rename can be invalid, and the shell never renames
		return errors.New("nothing was imported: a token's choice is not valid")
	}
	if len(items) == 0 {
		fmt.Fprintln(stdout, "Every token is skipped: nothing to import.")
		return nil
	}
	if !*yes {
		fmt.Fprintf(stdout, "Nothing was written. Run again with --yes to import %s.\n", views.Plural(len(items), "token", "tokens"))
		return nil
	}
	written, err := st.ImportTokensFromShell(ctx, sc.AppID, items, importActor)
	switch {
	case errors.Is(err, store.ErrDuplicateName), errors.Is(err, store.ErrStale):
		return errors.New("the list changed while the import was prepared, so nothing was imported; run it again")
	case err != nil:
		return err
	}
	msg, _ := tokenfile.Imported(written)
	fmt.Fprintln(stdout, msg)
	return nil
}

// fileError says what is wrong with a refused file, as the console does.
func fileError(err error) string {
	var unknown *transfer.UnknownFieldError
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("the file has a field %q that this version of tokendesk does not know, so it was not read", unknown.Field)
	case errors.Is(err, transfer.ErrTooLarge):
		return fmt.Sprintf("the file is larger than %d MB, the most an import reads; export fewer tokens at a time", transfer.MaxSize>>20)
	case errors.Is(err, transfer.ErrTooManyTokens):
		return fmt.Sprintf("the file holds more than %s access tokens; an import takes at most %s, so reading stopped there and nothing was imported",
			views.Thousands(transfer.MaxTokens), views.Thousands(transfer.MaxTokens))
	case errors.Is(err, transfer.ErrEmpty):
		return "the file is empty"
	case errors.Is(err, transfer.ErrNeedsPassphrase):
		return "the file is encrypted: it includes secrets; give its passphrase"
	case errors.Is(err, transfer.ErrWrongPassphrase):
		return "that passphrase does not open this file; nothing was imported"
	case errors.Is(err, transfer.ErrDamaged):
		return "the encrypted file is damaged: it was changed or cut short after it was exported, so none of it can be trusted"
	case errors.Is(err, transfer.ErrVersion):
		return fmt.Sprintf("the file was written by another version of tokendesk in a format this one does not read (version %d is supported)", transfer.Version)
	case errors.Is(err, transfer.ErrPlainSecrets):
		return "the file carries secrets without encryption; tokendesk imports secrets only from an export encrypted with a passphrase"
	case errors.Is(err, transfer.ErrNotExport):
		return "the file is not a complete tokendesk export"
	}
	return err.Error()
}
