// Command tokendesk is the access-token console.
//
//	tokendesk [serve] [flags]    run the console (the default)
//	tokendesk user add --email E [--role admin|designer]   create a user; the password is read from standard input
//	tokendesk emulate [--addr A] [--console-url U] serve the Redox, Zoom and OAuth 2.0 emulators
//	tokendesk key rotate         make a new data key current and re-seal every credential, online
//	tokendesk migrate-db --to postgres://…   copy the SQLite database into an empty PostgreSQL one
//	tokendesk export [--app A] [--search S] [--type T] [--with-secrets] [--out F]   write tokens to an export file
//	tokendesk import FILE [--app A] [--on-conflict skip|replace] [--yes]          preview, then import, an export file
//	tokendesk version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tokendesk:", err)
			os.Exit(1)
		}
	}
}

// run is the whole program, with its environment passed in so that tests
// can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		// The commands first: serve's own flags are one line away (serve --help).
		cmd = "help"
	} else if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr, nil)
	case "version":
		fmt.Fprintln(stdout, "tokendesk", version)
		return nil
	case "user":
		if len(args) == 0 || args[0] != "add" {
			return errors.New("usage: tokendesk user add --email E [--role admin|designer] < password")
		}
		return userAdd(ctx, args[1:], getenv, stdin, stdout)
	case "emulate":
		return emulate(ctx, args, stdout)
	case "key":
		if len(args) == 0 || args[0] != "rotate" {
			return errors.New("usage: tokendesk key rotate [--data-dir D] [--master] (--master: stop every server first)")
		}
		return keyRotate(ctx, args[1:], getenv, stdout)
	case "migrate-db":
		return migrateDB(ctx, args, getenv, stdout)
	case "export":
		return exportCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "import":
		return importCmd(ctx, args, getenv, stdin, stdout)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, user add, emulate, key rotate, migrate-db, export, import, version)", cmd)
}

const usage = `tokendesk keeps the access tokens your apps use to reach external systems.

  tokendesk [serve] [flags]                      run the console (its flags: tokendesk serve --help)
  tokendesk user add --email E [--role R]        create a user; password from standard input
  tokendesk emulate [--addr 127.0.0.1:9090]      serve the Redox, Zoom and OAuth 2.0 emulators (--console-url: where they redirect)
  tokendesk key rotate                           new data key, re-seal every credential (server may run)
  tokendesk key rotate --master                  new master key: re-wrap the data keys (servers stopped)
  tokendesk migrate-db --to postgres://…         copy the SQLite database into an empty PostgreSQL database (server stopped)
  tokendesk export [--app A] [--search S] [--type T] [--out F]
                                                 write a list's tokens to an export file (definitions)
  tokendesk export --with-secrets [--passphrase-file F] …
                                                 with their secrets, encrypted; passphrase from the file or standard input
  tokendesk import FILE [--app A] [--on-conflict skip|replace] [--passphrase-file F] [--yes]
                                                 preview an import; --yes writes it (one transaction)
  tokendesk version                              print the version
  tokendesk help                                 this list (also --help)
`
