// Package config reads tokendesk's settings once, from environment variables
// and flags (flags win), into a Config that is passed down explicitly.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/secret"
)

// Config is every setting tokendesk runs with.
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string // a SQLite file path (optionally prefixed with file: or sqlite://) or a postgres:// URL
	MasterKey     []byte // from TOKENDESK_MASTER_KEY; nil means read MasterKeyFile
	MasterKeyFile string
	BaseURL       *url.URL
	AdminEmail    string
	AdminPassword string
	// ProviderURLs are the base URLs the registered providers declare, by
	// provider.BaseURL.Name, as configured (TOKENDESK_<NAME>_URL) or by
	// default the real services'; provider.Env carries them.
	ProviderURLs map[string]string
	AllowPlain   bool
	LogFormat    string // text or json
	LogLevel     slog.Level
	// RenewalWorkers bounds how many renewals run at once.
	RenewalWorkers int
	// APIRateLimit is how many runtime API requests a second one key may make.
	APIRateLimit float64
	// TrustedProxies are the proxies whose X-Forwarded-For is believed;
	// none by default, so the header is ignored.
	TrustedProxies []*net.IPNet
	// SMTP sends e-mail notifications; nil when TOKENDESK_SMTP_URL is unset.
	SMTP *SMTP
	// AllowPrivateTargets lets provider calls to URLs typed on a form reach
	// this machine and private networks whatever the Settings page says:
	// for `make demo` and other set-ups whose services run on loopback.
	AllowPrivateTargets bool
}

// SMTP is the mail server of TOKENDESK_SMTP_URL:
// smtp://user:pass@host:port?from=…&to=… (smtps:// for TLS from the start;
// smtp:// uses STARTTLS when the server offers it).
type SMTP struct {
	Host               string
	Port               int
	Username, Password string
	ImplicitTLS        bool
	From               string
	// To, if set, receives every alert: an e-mail endpoint for them is
	// added at start when none exists.
	To []string
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// Postgres reports whether the database is PostgreSQL (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func (c Config) Postgres() bool { return isPostgresURL(c.DatabaseURL) }

func isPostgresURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// DatabasePath is what store.Open takes: the SQLite file the database URL
// names, or the PostgreSQL URL as it is.
func (c Config) DatabasePath() string {
	if c.Postgres() {
		return c.DatabaseURL
	}
	p := strings.TrimPrefix(c.DatabaseURL, "sqlite://")
	p = strings.TrimPrefix(p, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// setting is one row of the README's Configuration table.
type setting struct {
	env, flag, usage string
	def              string
}

var settings = append([]setting{
	{"TOKENDESK_ADDR", "addr", "address to listen on", "127.0.0.1:8080"},
	{"TOKENDESK_DATA_DIR", "data-dir", "directory for the database and master key", "./data"},
	{"TOKENDESK_DATABASE_URL", "database-url", "SQLite database file (default: tokendesk.db in the data dir) or postgres:// URL", ""},
	{"TOKENDESK_MASTER_KEY_FILE", "master-key-file", "file holding the base64 master key (default: master.key in the data dir)", ""},
	{"TOKENDESK_BASE_URL", "base-url", "public base URL (default: http:// + addr)", ""},
	{"TOKENDESK_EMULATOR_URL", "emulator-url", "point every provider base URL not set on its own at this emulator (tokendesk emulate)", ""},
	{"TOKENDESK_ALLOW_PLAINTEXT", "allow-plaintext", "allow tokens whose credentials are stored unencrypted", "false"},
	{"TOKENDESK_ALLOW_PRIVATE_TARGETS", "allow-private-targets", "let provider calls to typed URLs (Token URL, Authorization URL) reach loopback and private addresses, whatever Settings says", "false"},
	{"TOKENDESK_LOG_FORMAT", "log-format", "log format: text or json", "text"},
	{"TOKENDESK_LOG_LEVEL", "log-level", "log level: debug, info, warn or error", "info"},
	{"TOKENDESK_RENEWAL_WORKERS", "renewal-workers", "renewals run at once by the background worker", "8"},
	{"TOKENDESK_API_RATE_LIMIT", "api-rate-limit", "runtime API requests a second per client key (bursts of twice that)", "50"},
	{"TOKENDESK_TRUSTED_PROXIES", "trusted-proxies", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (default: none, the header is ignored)", ""},
	{"TOKENDESK_SMTP_URL", "smtp-url", "mail server for e-mail notifications: smtp://user:pass@host:port?from=…&to=… (default: none)", ""},
}, providerSettings()...)

// providerSettings are the registered providers' base URLs, each
// overridable as TOKENDESK_<NAME>_URL or --<name>-url (TOKENDESK_REDOX_URL,
// TOKENDESK_ZOOM_API_URL, TOKENDESK_ZOOM_OAUTH_URL, …).
func providerSettings() []setting {
	var out []setting
	for _, b := range registry.BaseURLs() {
		out = append(out, setting{b.EnvVar(), b.Flag(), b.Label, b.Default})
	}
	return out
}

// Error names the setting that stopped start-up.
type Error struct {
	Setting string
	Problem string
}

func (e *Error) Error() string { return fmt.Sprintf("configuration: %s %s", e.Setting, e.Problem) }

// Load reads settings from getenv and args (flags win). args excludes the
// program and command names. usage receives the flag help for --help.
func Load(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet("tokendesk serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := make(map[string]*string, len(settings))
	for _, s := range settings {
		def := s.def
		if v, ok := lookup(getenv, s.env); ok {
			def = v
		}
		values[s.env] = fs.String(s.flag, def, s.usage+" ("+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			fs.PrintDefaults()
			return Config{}, err
		}
		return Config{}, &Error{Setting: "command line:", Problem: strings.TrimPrefix(err.Error(), "flag provided but not defined: ") + flagHint(err)}
	}
	if fs.NArg() > 0 {
		return Config{}, &Error{Setting: "command line:", Problem: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	// Which source a value came from matters for the error message.
	fromFlag := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { fromFlag[f.Name] = true })
	name := func(env string) string {
		for _, s := range settings {
			if s.env == env && fromFlag[s.flag] {
				return "--" + s.flag
			}
		}
		return env
	}
	get := func(env string) string { return strings.TrimSpace(*values[env]) }

	var c Config
	c.Addr = get("TOKENDESK_ADDR")
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		return c, &Error{name("TOKENDESK_ADDR"), fmt.Sprintf("%q is not a host:port address", c.Addr)}
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return c, &Error{name("TOKENDESK_ADDR"), fmt.Sprintf("%q has an invalid port", c.Addr)}
	}

	c.DataDir = get("TOKENDESK_DATA_DIR")
	if c.DataDir == "" {
		return c, &Error{name("TOKENDESK_DATA_DIR"), "must not be empty"}
	}
	c.DatabaseURL = get("TOKENDESK_DATABASE_URL")
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "tokendesk.db")
	} else if problem := checkDatabaseURL(c); problem != "" {
		return c, &Error{name("TOKENDESK_DATABASE_URL"), problem}
	}

	if v, ok := lookup(getenv, "TOKENDESK_MASTER_KEY"); ok {
		k, err := secret.ParseKey(v)
		if err != nil {
			return c, &Error{"TOKENDESK_MASTER_KEY", err.Error() + " (want 32 random bytes, base64-encoded)"}
		}
		c.MasterKey = k
	}
	c.MasterKeyFile = get("TOKENDESK_MASTER_KEY_FILE")
	if c.MasterKeyFile == "" {
		c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
	}

	base := get("TOKENDESK_BASE_URL")
	if base == "" {
		base = "http://" + c.Addr
	}
	u, err := parseHTTPURL(base)
	if err != nil {
		return c, &Error{name("TOKENDESK_BASE_URL"), err.Error()}
	}
	c.BaseURL = u

	emulator := get("TOKENDESK_EMULATOR_URL")
	if emulator != "" {
		if _, err := parseHTTPURL(emulator); err != nil {
			return c, &Error{name("TOKENDESK_EMULATOR_URL"), err.Error()}
		}
	}
	c.ProviderURLs = map[string]string{}
	for _, b := range registry.BaseURLs() {
		raw := get(b.EnvVar())
		if _, set := lookup(getenv, b.EnvVar()); emulator != "" && !set && !fromFlag[b.Flag()] {
			raw = emulator
		}
		if raw == "" && b.Default == "" {
			// No default: unset means the provider's own addresses (the
			// OAuth catalogue's real vendors).
			continue
		}
		u, err := parseHTTPURL(raw)
		if err != nil {
			return c, &Error{name(b.EnvVar()), err.Error()}
		}
		c.ProviderURLs[b.Name] = strings.TrimRight(u.String(), "/")
	}

	c.AllowPlain, err = strconv.ParseBool(get("TOKENDESK_ALLOW_PLAINTEXT"))
	if err != nil {
		return c, &Error{name("TOKENDESK_ALLOW_PLAINTEXT"), fmt.Sprintf("%q is not true or false", get("TOKENDESK_ALLOW_PLAINTEXT"))}
	}

	c.AllowPrivateTargets, err = strconv.ParseBool(get("TOKENDESK_ALLOW_PRIVATE_TARGETS"))
	if err != nil {
		return c, &Error{name("TOKENDESK_ALLOW_PRIVATE_TARGETS"), fmt.Sprintf("%q is not true or false", get("TOKENDESK_ALLOW_PRIVATE_TARGETS"))}
	}

	c.LogFormat = strings.ToLower(get("TOKENDESK_LOG_FORMAT"))
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, &Error{name("TOKENDESK_LOG_FORMAT"), fmt.Sprintf("%q is not text or json", c.LogFormat)}
	}
	switch lvl := strings.ToLower(get("TOKENDESK_LOG_LEVEL")); lvl {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, &Error{name("TOKENDESK_LOG_LEVEL"), fmt.Sprintf("%q is not debug, info, warn or error", lvl)}
	}

	n, err := strconv.Atoi(get("TOKENDESK_RENEWAL_WORKERS"))
	if err != nil || n < 1 || n > 256 {
		return c, &Error{name("TOKENDESK_RENEWAL_WORKERS"), fmt.Sprintf("%q is not a whole number from 1 to 256", get("TOKENDESK_RENEWAL_WORKERS"))}
	}
	c.RenewalWorkers = n

	// NaN and Inf parse, and NaN passes every comparison's "false" branch;
	// a rate below one request in 100 s would lock keys out for hours.
	c.APIRateLimit, err = strconv.ParseFloat(get("TOKENDESK_API_RATE_LIMIT"), 64)
	if err != nil || math.IsNaN(c.APIRateLimit) || math.IsInf(c.APIRateLimit, 0) || c.APIRateLimit < MinAPIRateLimit || c.APIRateLimit > MaxAPIRateLimit {
		return c, &Error{name("TOKENDESK_API_RATE_LIMIT"), fmt.Sprintf("%q is not a number of requests a second from %s to %s", get("TOKENDESK_API_RATE_LIMIT"), strconv.FormatFloat(MinAPIRateLimit, 'f', -1, 64), strconv.FormatFloat(MaxAPIRateLimit, 'f', -1, 64))}
	}

	if c.TrustedProxies, err = parseCIDRs(get("TOKENDESK_TRUSTED_PROXIES")); err != nil {
		return c, &Error{name("TOKENDESK_TRUSTED_PROXIES"), err.Error()}
	}

	if c.SMTP, err = parseSMTP(get("TOKENDESK_SMTP_URL")); err != nil {
		return c, &Error{name("TOKENDESK_SMTP_URL"), err.Error()}
	}

	c.AdminEmail = strings.TrimSpace(getenv("TOKENDESK_ADMIN_EMAIL"))
	c.AdminPassword = getenv("TOKENDESK_ADMIN_PASSWORD")
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return c, &Error{"TOKENDESK_ADMIN_EMAIL/TOKENDESK_ADMIN_PASSWORD", "must be set together"}
	}
	return c, nil
}

// checkDatabaseURL says what is wrong with a database URL. The URL itself
// is not repeated: it may hold a password.
func checkDatabaseURL(c Config) string {
	raw := c.DatabaseURL
	if c.Postgres() {
		if _, err := pgx.ParseConfig(raw); err != nil {
			return "is not a valid PostgreSQL URL (postgres://user:password@host:5432/database)"
		}
		return ""
	}
	if i := strings.Index(raw, "://"); i > 0 {
		if scheme := strings.ToLower(raw[:i]); scheme != "file" && scheme != "sqlite" {
			return fmt.Sprintf("scheme %q is not supported (use a SQLite file path or a postgres:// URL)", scheme)
		}
	}
	p := c.DatabasePath()
	query := ""
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		query = strings.ToLower(raw[i:])
	}
	switch {
	case p == "" || strings.HasPrefix(p, ":") || strings.Contains(query, "mode=memory"):
		return "names an in-memory database, which is not supported: tokendesk keeps its data in a SQLite file (use a file path)"
	case strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator)):
		return "names a directory; use a SQLite file path such as ./data/tokendesk.db"
	}
	// Lstat: a link is refused, not followed (the store would otherwise
	// open and narrow whatever it points at).
	if fi, err := os.Lstat(p); err == nil {
		switch m := fi.Mode(); {
		case m.IsDir():
			return "names a directory; use a SQLite file path such as ./data/tokendesk.db"
		case m&os.ModeSymlink != 0:
			return "names a symbolic link; give the database file's own path"
		case !m.IsRegular():
			return "names a device, FIFO or socket, not a SQLite file; use a SQLite file path such as ./data/tokendesk.db"
		}
	}
	return ""
}

// API rate limit bounds, requests a second.
const (
	MinAPIRateLimit = 0.01
	MaxAPIRateLimit = 1e6
)

// parseCIDRs reads a list of networks separated by commas or spaces; a
// bare address stands for itself.
func parseCIDRs(s string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR (like 10.0.0.0/8)", f)
			}
			bits := 8 * net.IPv6len
			if ip4 := ip.To4(); ip4 != nil {
				ip, bits = ip4, 8*net.IPv4len
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR (like 10.0.0.0/8)", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// lookup treats an empty variable as unset, as shells commonly export them.
func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", s)
	}
	return u, nil
}

func flagHint(err error) string {
	if strings.Contains(err.Error(), "not defined") {
		return " is not a known setting (see tokendesk serve --help)"
	}
	return ""
}
