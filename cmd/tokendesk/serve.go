package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/connwatch"
	"github.com/tokendesk/tokendesk/internal/jobs"
	"github.com/tokendesk/tokendesk/internal/notify"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/web"
)

// shutdownGrace is how long in-flight requests get on SIGTERM.
const shutdownGrace = 10 * time.Second

// connLimits are how long a client may take: 10 s to send a request's
// header, 2 minutes idle between requests, and a minute for a request to
// be answered (its body read and the answer written; the API proxy lifts
// this for its calls, which last as long as the service takes).
var connLimits = connwatch.Limits{Header: 10 * time.Second, Idle: 2 * time.Minute, Busy: time.Minute}

// serve runs the console until ctx ends. ready, if not nil, receives the
// listening address (tests use it).
func serve(ctx context.Context, args []string, getenv func(string) string, logOut io.Writer, ready chan<- string) error {
	cfg, err := config.Load(args, getenv, logOut)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, logOut)
	tuneGC()

	st, box, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	if err := ensureAdmin(ctx, cfg, st, logger); err != nil {
		return err
	}
	var setup *web.SetupCode
	if n, err := st.CountUsers(ctx); err != nil {
		return err
	} else if n == 0 {
		code := newSetupCode()
		setup = web.NewSetupCode(code)
		logger.Warn("no users yet: open /setup and enter this one-time setup code to create the first administrator",
			"url", strings.TrimRight(cfg.BaseURL.String(), "/")+"/setup", "setup_code", code)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	httpClient := web.NewProviderClient(cfg, st)
	env := web.ProviderEnv(cfg, httpClient, time.Now)
	worker := renewal.New(st, registry.ByID, env, logger.With("component", "renewal"), renewal.NewMetrics(reg, st, time.Now, registry.Retired()))
	worker.Parallel = cfg.RenewalWorkers

	notifier := notify.New(st, logger.With("component", "notify"))
	if cfg.SMTP != nil {
		notifier.Mailer = notify.SMTPMailer{Server: *cfg.SMTP, Timeout: notify.DefaultTimeout}
		if len(cfg.SMTP.To) > 0 {
			if err := notify.EnsureMailEndpoint(ctx, st, cfg.SMTP.To); err != nil {
				return err
			}
		}
	}

	srv := web.New(web.Deps{Config: cfg, Store: st, Box: box, Logger: logger, Setup: setup,
		HTTPClient: httpClient, Registry: reg, Renewer: worker, Notifier: notifier, Mailer: notifier.Mailer})

	// The worker stops claiming at shutdown; renewals under way get the
	// same grace as requests, then are abandoned cleanly.
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	drain, stopDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDrain()
	workerDone := make(chan struct{})
	go func() { worker.Run(workCtx, drain); close(workerDone) }()
	usageDone := make(chan struct{})
	go func() { srv.RunBackground(workCtx); close(usageDone) }()
	notifyDone := make(chan struct{})
	go func() { notifier.Run(workCtx); close(notifyDone) }()
	go resealInBackground(workCtx, st, logger.With("component", "keys"))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("TOKENDESK_ADDR: cannot listen on %s: %w", cfg.Addr, err)
	}
	// Stalled clients are let go by the watch rather than by the server's
	// timeouts, which re-armed socket deadlines several times a request.
	watch := connwatch.New(connLimits, nil)
	go watch.Run(ctx)
	httpSrv := &http.Server{
		Handler:     srv,
		ConnState:   watch.ConnState,
		ConnContext: watch.ConnContext,
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go expireSessions(ctx, st, logger)

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(watch.Listener(ln)) }()
	logger.Info("tokendesk is listening", "addr", ln.Addr().String(), "url", cfg.BaseURL.String(), "version", version)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	stopWork()
	<-usageDone
	<-notifyDone
	select {
	case <-workerDone:
	case <-sctx.Done():
		stopDrain()
		<-workerDone
	}
	logger.Info("stopped")
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore loads (or creates) the master key, opens the database and
// proves the key is the database's.
func openStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (*store.Store, *secret.Box, error) {
	key := cfg.MasterKey
	createdKey := false
	if key == nil {
		k, created, err := secret.LoadOrCreateKeyFile(cfg.MasterKeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("TOKENDESK_MASTER_KEY_FILE: %w", err)
		}
		if created {
			logger.Warn("created a new master key: back it up, without it the stored credentials cannot be read", "file", cfg.MasterKeyFile)
		} else if warning, err := secret.PrivateKeyFile(cfg.MasterKeyFile); err != nil {
			return nil, nil, fmt.Errorf("TOKENDESK_MASTER_KEY_FILE: %w", err)
		} else if warning != "" {
			logger.Warn(warning, "file", cfg.MasterKeyFile)
		}
		key, createdKey = k, created
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, cfg.DatabasePath(), box)
	if store.Unavailable(err) {
		if createdKey { // never used: the database was not reached
			os.Remove(cfg.MasterKeyFile)
		}
		// One line naming the setting, never the URL (it may hold a password).
		return nil, nil, &config.Error{Setting: "TOKENDESK_DATABASE_URL", Problem: "names a database that cannot be reached now: " + store.UnavailableReason(err)}
	}
	if errors.Is(err, store.ErrNotRegularFile) {
		return nil, nil, &config.Error{Setting: "TOKENDESK_DATABASE_URL", Problem: store.NotRegularFileProblem(err)}
	}
	if err != nil {
		return nil, nil, err
	}
	if err := st.VerifyMasterKey(ctx); err != nil {
		st.Close()
		if errors.Is(err, secret.ErrWrongKey) {
			src := "the key file " + cfg.MasterKeyFile
			if cfg.MasterKey != nil {
				src = "TOKENDESK_MASTER_KEY"
			}
			return nil, nil, fmt.Errorf("%w (%s); refusing to start rather than fail on every stored credential", err, src)
		}
		return nil, nil, err
	}
	return st, box, nil
}

// ensureAdmin creates the administrator named by TOKENDESK_ADMIN_EMAIL when
// it does not exist yet. An existing account is left as it is.
func ensureAdmin(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger) error {
	if cfg.AdminEmail == "" {
		return nil
	}
	email, err := auth.NormalizeEmail(cfg.AdminEmail)
	if err != nil {
		return &config.Error{Setting: "TOKENDESK_ADMIN_EMAIL", Problem: err.Error()}
	}
	if _, err := st.UserByEmail(ctx, email); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if msg := auth.ValidatePassword(cfg.AdminPassword); msg != "" {
		return &config.Error{Setting: "TOKENDESK_ADMIN_PASSWORD", Problem: msg}
	}
	hash, err := auth.DefaultHasher.Hash(cfg.AdminPassword)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, email, hash, store.RoleAdmin); errors.Is(err, store.ErrDuplicateUser) {
		return nil // another replica starting at the same time created it
	} else if err != nil {
		return err
	}
	logger.Info("created administrator from TOKENDESK_ADMIN_EMAIL", "user", email)
	return nil
}

func expireSessions(ctx context.Context, st *store.Store, logger *slog.Logger) {
	jobs.Every(ctx, 10*time.Minute, func() {
		if err := st.DeleteIdleSessions(ctx, time.Now().Add(-web.SessionIdle)); err != nil && ctx.Err() == nil {
			logger.Warn("expiring sessions", "err", err)
		}
	})
}

// newSetupCode is 10 characters from an alphabet without look-alikes.
func newSetupCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

// storeFlags are the settings a shell command needs to open the store;
// they mean what they mean for serve.
type storeFlags struct{ dataDir, dbURL, keyFile *string }

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		dataDir: fs.String("data-dir", "", "as for serve"),
		dbURL:   fs.String("database-url", "", "as for serve"),
		keyFile: fs.String("master-key-file", "", "as for serve"),
	}
}

// config reads the configuration with these flags over the environment.
func (f storeFlags) config(getenv func(string) string) (config.Config, error) {
	var args []string
	for name, v := range map[string]string{"data-dir": *f.dataDir, "database-url": *f.dbURL, "master-key-file": *f.keyFile} {
		if v != "" {
			args = append(args, "--"+name, v)
		}
	}
	return config.Load(args, getenv, io.Discard)
}
