package config

import (
	"encoding/base64"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" {
		t.Errorf("addr/data dir = %q %q", c.Addr, c.DataDir)
	}
	if c.DatabasePath() != filepath.Join("data", "tokendesk.db") {
		t.Errorf("database = %q", c.DatabasePath())
	}
	if c.MasterKeyFile != filepath.Join("data", "master.key") {
		t.Errorf("key file = %q", c.MasterKeyFile)
	}
	if c.BaseURL.String() != "http://127.0.0.1:8080" || c.SecureCookies() {
		t.Errorf("base url = %v secure=%v", c.BaseURL, c.SecureCookies())
	}
	if u := c.ProviderURLs; u["redox"] != "https://api.redoxengine.com" || u["zoom_api"] != "https://api.zoom.us" || u["zoom_oauth"] != "https://zoom.us" {
		t.Errorf("provider urls = %q %q %q", u["redox"], u["zoom_api"], u["zoom_oauth"])
	}
	if c.AllowPlain || c.LogFormat != "text" || c.LogLevel != slog.LevelInfo || c.RenewalWorkers != 8 {
		t.Errorf("plain=%v format=%q level=%v", c.AllowPlain, c.LogFormat, c.LogLevel)
	}
}

func TestFlagsWinOverEnv(t *testing.T) {
	c, err := Load([]string{"--addr", "127.0.0.1:9999", "--log-level=debug"},
		env(map[string]string{"TOKENDESK_ADDR": "127.0.0.1:7777", "TOKENDESK_BASE_URL": "https://td.example.com", "TOKENDESK_LOG_LEVEL": "error"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.LogLevel != slog.LevelDebug {
		t.Errorf("addr=%q level=%v", c.Addr, c.LogLevel)
	}
	if !c.SecureCookies() {
		t.Error("https base URL should make cookies Secure")
	}
}

func TestMasterKeyFromEnv(t *testing.T) {
	key := make([]byte, 32)
	key[0] = 7
	c, err := Load(nil, env(map[string]string{"TOKENDESK_MASTER_KEY": base64.StdEncoding.EncodeToString(key)}), io.Discard)
	if err != nil || len(c.MasterKey) != 32 || c.MasterKey[0] != 7 {
		t.Fatalf("key=%v err=%v", c.MasterKey, err)
	}
}

func TestBadSettingsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--colour", "red"}, nil, "-colour"},
		{"bad address env", nil, map[string]string{"TOKENDESK_ADDR": "localhost"}, "TOKENDESK_ADDR"},
		{"bad address flag", []string{"--addr", "nope"}, nil, "--addr"},
		{"bad port", nil, map[string]string{"TOKENDESK_ADDR": "127.0.0.1:99999"}, "TOKENDESK_ADDR"},
		{"bad base64 key", nil, map[string]string{"TOKENDESK_MASTER_KEY": "not*base64"}, "TOKENDESK_MASTER_KEY"},
		{"short key", nil, map[string]string{"TOKENDESK_MASTER_KEY": base64.StdEncoding.EncodeToString([]byte("short"))}, "TOKENDESK_MASTER_KEY"},
		{"unknown log level", nil, map[string]string{"TOKENDESK_LOG_LEVEL": "loud"}, "TOKENDESK_LOG_LEVEL"},
		{"unknown log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"bad plaintext bool", nil, map[string]string{"TOKENDESK_ALLOW_PLAINTEXT": "maybe"}, "TOKENDESK_ALLOW_PLAINTEXT"},
		{"bad base url", nil, map[string]string{"TOKENDESK_BASE_URL": "ftp://x"}, "TOKENDESK_BASE_URL"},
		{"bad redox url", []string{"--redox-url", "not a url"}, nil, "--redox-url"},
		{"malformed postgres url", nil, map[string]string{"TOKENDESK_DATABASE_URL": "postgres://u:secret@db:port/x"}, "TOKENDESK_DATABASE_URL"},
		{"admin email without password", nil, map[string]string{"TOKENDESK_ADMIN_EMAIL": "a@b.c"}, "TOKENDESK_ADMIN_PASSWORD"},
		{"stray argument", []string{"extra"}, nil, "extra"},
		{"zero renewal workers", []string{"--renewal-workers", "0"}, nil, "--renewal-workers"},
		{"renewal workers not a number", nil, map[string]string{"TOKENDESK_RENEWAL_WORKERS": "many"}, "TOKENDESK_RENEWAL_WORKERS"},
		{"rate limit NaN", nil, map[string]string{"TOKENDESK_API_RATE_LIMIT": "NaN"}, "TOKENDESK_API_RATE_LIMIT"},
		{"rate limit Inf", nil, map[string]string{"TOKENDESK_API_RATE_LIMIT": "Inf"}, "TOKENDESK_API_RATE_LIMIT"},
		{"rate limit -Inf", []string{"--api-rate-limit", "-Inf"}, nil, "--api-rate-limit"},
		{"rate limit tiny", nil, map[string]string{"TOKENDESK_API_RATE_LIMIT": "1e-300"}, "TOKENDESK_API_RATE_LIMIT"},
		{"rate limit negative", nil, map[string]string{"TOKENDESK_API_RATE_LIMIT": "-5"}, "TOKENDESK_API_RATE_LIMIT"},
		{"rate limit zero", nil, map[string]string{"TOKENDESK_API_RATE_LIMIT": "0"}, "TOKENDESK_API_RATE_LIMIT"},
		{"rate limit words", nil, map[string]string{"TOKENDESK_API_RATE_LIMIT": "fast"}, "TOKENDESK_API_RATE_LIMIT"},
		{"in-memory database", nil, map[string]string{"TOKENDESK_DATABASE_URL": ":memory:"}, "in-memory"},
		{"in-memory file URL", nil, map[string]string{"TOKENDESK_DATABASE_URL": "file::memory:?cache=shared"}, "in-memory"},
		{"memory mode", nil, map[string]string{"TOKENDESK_DATABASE_URL": "file:x.db?mode=memory"}, "in-memory"},
		{"mysql url", []string{"--database-url", "mysql://u:p@db/x"}, nil, "--database-url"},
		{"directory as database", nil, map[string]string{"TOKENDESK_DATABASE_URL": "."}, "directory"},
		{"trusted proxy not a CIDR", nil, map[string]string{"TOKENDESK_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"}, "TOKENDESK_TRUSTED_PROXIES"},
		{"trusted proxy bad mask", []string{"--trusted-proxies", "10.0.0.0/33"}, nil, "--trusted-proxies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env), io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q should be one line naming %s", msg, tc.want)
			}
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v, want none", c.TrustedProxies, err)
	}
	c, err = Load([]string{"--trusted-proxies", "10.0.0.0/8, 192.168.1.7 ,fd00::/8"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.TrustedProxies {
		got = append(got, n.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.168.1.7/32 fd00::/8" {
		t.Fatalf("trusted proxies %v", got)
	}
}

func TestSensibleSettingsPass(t *testing.T) {
	for _, e := range []map[string]string{
		{"TOKENDESK_API_RATE_LIMIT": "0.5"},
		{"TOKENDESK_API_RATE_LIMIT": "1000"},
		{"TOKENDESK_DATABASE_URL": "file:" + filepath.Join(t.TempDir(), "td.db") + "?_pragma=x"},
		{"TOKENDESK_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "td.db")},
		{"TOKENDESK_DATABASE_URL": filepath.Join(t.TempDir(), "td.db")},
	} {
		if _, err := Load(nil, env(e), io.Discard); err != nil {
			t.Errorf("%v: %v", e, err)
		}
	}
}

// A PostgreSQL URL is taken as it is (store.Open opens it); a malformed one
// stops start-up without repeating the URL, which may hold a password.
func TestPostgresDatabaseURL(t *testing.T) {
	for _, u := range []string{"postgres://tokendesk:pw@db.internal:5432/tokendesk?sslmode=require", "postgresql://db/tokendesk"} {
		c, err := Load([]string{"--database-url", u}, env(nil), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if !c.Postgres() || c.DatabasePath() != u {
			t.Fatalf("%s: postgres=%v path=%q", u, c.Postgres(), c.DatabasePath())
		}
	}
	_, err := Load(nil, env(map[string]string{"TOKENDESK_DATABASE_URL": "postgres://u:secret@db:port/x"}), io.Discard)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("malformed URL: %v", err)
	}
}
