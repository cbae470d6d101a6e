package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// consoleCallback is the console's fixed OAuth 2.0 redirect path.
const consoleCallback = "/oauth/callback"

// emulate serves every registered provider's emulator on one loopback
// port, so the console can be pointed at them on a machine that cannot
// reach the real services.
func emulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk emulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:9090", "address to serve the emulators on")
	console := fs.String("console-url", "http://127.0.0.1:8080", "the console's base URL: the demo OAuth apps redirect to its "+consoleCallback)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("emulate: %w", err)
	}
	if u, err := url.Parse(*console); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("emulate: --console-url must be an http(s) URL such as http://127.0.0.1:8080, not %q", *console)
	}
	redirectURI := strings.TrimSuffix(*console, "/") + consoleCallback
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("emulate: cannot listen on %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()

	mux, names, help, serves, closeAll := mountEmulators(base, redirectURI)
	defer closeAll()
	idpHelp := mountIdentityProvider(mux, base, *console)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	fmt.Fprintf(stdout, "%s emulators on %s\n\n%s\n\n  Redirect URI registered for the demo OAuth 2.0 apps: %s\n\n  %s\n"+
		"Point tokendesk at them:\n  TOKENDESK_EMULATOR_URL=%s tokendesk serve\n  (or one by one: %s tokendesk serve)\n",
		listed(names), base, strings.Join(help, "\n"), redirectURI, idpHelp, base, strings.Join(serves, " "))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// indent sets an emulator's help under the banner's first line.
func indent(help string) string {
	return "  " + strings.ReplaceAll(help, "\n", "\n  ")
}

// listed joins names as a sentence does: "A, B and C".
func listed(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// mountEmulators serves every registered emulator, with its demo
// credentials, on one mux: each answers its own paths (or everything under
// its prefix). It returns their names, printed help and the settings that
// point tokendesk at the base URLs they serve.
func mountEmulators(base, redirectURI string) (mux *http.ServeMux, names, help, serves []string, closeAll func()) {
	mux = http.NewServeMux()
	var closers []func()
	for _, e := range registry.Emulators() {
		demo := e.Demo(base+e.Prefix, redirectURI)
		closers = append(closers, demo.Close)
		if e.Prefix != "" {
			mux.Handle(e.Prefix+"/", http.StripPrefix(e.Prefix, demo.Handler))
		}
		for _, p := range e.Paths {
			mux.Handle(p, demo.Handler)
		}
		names = append(names, e.Name)
		help = append(help, indent(demo.Help))
		for _, name := range e.Serves {
			serves = append(serves, provider.BaseURL{Name: name}.EnvVar()+"="+base)
		}
	}
	return mux, names, help, serves, func() {
		for _, c := range closers {
			c()
		}
	}
}
