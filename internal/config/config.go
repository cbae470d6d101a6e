// Package config reads tokendesk's settings once, from environment variables
// and flags (flags win), into a Config that is passed down explicitly.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// Config is every setting tokendesk runs with.
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string // a SQLite file path (optionally prefixed with file: or sqlite://)
	MasterKey     []byte // from TOKENDESK_MASTER_KEY; nil means read MasterKeyFile
	MasterKeyFile string
	BaseURL       *url.URL
	AdminEmail    string
	AdminPassword string
	RedoxURL      string
	ZoomAPIURL    string
	ZoomOAuthURL  string
	AllowPlain    bool
	LogFormat     string // text or json
	LogLevel      slog.Level
	// RenewalWorkers bounds how many renewals run at once.
	RenewalWorkers int
	// APIRateLimit is how many runtime API requests a second one key may make.
	APIRateLimit float64
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// DatabasePath is the SQLite file the database URL names.
func (c Config) DatabasePath() string {
	p := strings.TrimPrefix(c.DatabaseURL, "sqlite://")
	p = strings.TrimPrefix(p, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// setting is one row of the configuration contract in DESIGN.md.
type setting struct {
	env, flag, usage string
	def              string
}

var settings = []setting{
	{"TOKENDESK_ADDR", "addr", "address to listen on", "127.0.0.1:8080"},
	{"TOKENDESK_DATA_DIR", "data-dir", "directory for the database and master key", "./data"},
	{"TOKENDESK_DATABASE_URL", "database-url", "SQLite database file (default: tokendesk.db in the data dir)", ""},
	{"TOKENDESK_MASTER_KEY_FILE", "master-key-file", "file holding the base64 master key (default: master.key in the data dir)", ""},
	{"TOKENDESK_BASE_URL", "base-url", "public base URL (default: http:// + addr)", ""},
	{"TOKENDESK_REDOX_URL", "redox-url", "Redox API base URL", "https://api.redoxengine.com"},
	{"TOKENDESK_ZOOM_API_URL", "zoom-api-url", "Zoom API base URL", "https://api.zoom.us"},
	{"TOKENDESK_ZOOM_OAUTH_URL", "zoom-oauth-url", "Zoom OAuth base URL", "https://zoom.us"},
	{"TOKENDESK_ALLOW_PLAINTEXT", "allow-plaintext", "allow tokens whose credentials are stored unencrypted", "false"},
	{"TOKENDESK_LOG_FORMAT", "log-format", "log format: text or json", "text"},
	{"TOKENDESK_LOG_LEVEL", "log-level", "log level: debug, info, warn or error", "info"},
	{"TOKENDESK_RENEWAL_WORKERS", "renewal-workers", "renewals run at once by the background worker", "8"},
	{"TOKENDESK_API_RATE_LIMIT", "api-rate-limit", "runtime API requests a second per client key (bursts of twice that)", "50"},
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
	} else if u, err := url.Parse(c.DatabaseURL); err == nil && u.Scheme != "" && u.Scheme != "file" && u.Scheme != "sqlite" {
		return c, &Error{name("TOKENDESK_DATABASE_URL"), fmt.Sprintf("scheme %q is not supported (use a SQLite file path)", u.Scheme)}
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

	for _, p := range []struct {
		env string
		dst *string
	}{
		{"TOKENDESK_REDOX_URL", &c.RedoxURL},
		{"TOKENDESK_ZOOM_API_URL", &c.ZoomAPIURL},
		{"TOKENDESK_ZOOM_OAUTH_URL", &c.ZoomOAuthURL},
	} {
		u, err := parseHTTPURL(get(p.env))
		if err != nil {
			return c, &Error{name(p.env), err.Error()}
		}
		*p.dst = strings.TrimRight(u.String(), "/")
	}

	c.AllowPlain, err = strconv.ParseBool(get("TOKENDESK_ALLOW_PLAINTEXT"))
	if err != nil {
		return c, &Error{name("TOKENDESK_ALLOW_PLAINTEXT"), fmt.Sprintf("%q is not true or false", get("TOKENDESK_ALLOW_PLAINTEXT"))}
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

	c.APIRateLimit, err = strconv.ParseFloat(get("TOKENDESK_API_RATE_LIMIT"), 64)
	if err != nil || c.APIRateLimit <= 0 || c.APIRateLimit > 1e6 {
		return c, &Error{name("TOKENDESK_API_RATE_LIMIT"), fmt.Sprintf("%q is not a number of requests a second (above 0)", get("TOKENDESK_API_RATE_LIMIT"))}
	}

	c.AdminEmail = strings.TrimSpace(getenv("TOKENDESK_ADMIN_EMAIL"))
	c.AdminPassword = getenv("TOKENDESK_ADMIN_PASSWORD")
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return c, &Error{"TOKENDESK_ADMIN_EMAIL/TOKENDESK_ADMIN_PASSWORD", "must be set together"}
	}
	return c, nil
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
