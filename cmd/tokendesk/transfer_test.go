package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/internal/transfer"
)

const cliPass = "correct horse transfer staple"

// tokendesk export and import move a list's tokens between two data
// directories: definitions, or (from a shell, an administrator's) secrets
// encrypted under a passphrase read from standard input or a file, never
// a flag. Import prints its preview and writes only with --yes, in one
// transaction through the console's own import code; --on-conflict
// decides about tokens the list has, and the audit log says who did it.
func TestExportImportCommands(t *testing.T) {
	ctx := context.Background()
	key64, box := newMasterKey(t)
	srcDir, dstDir, files := t.TempDir(), t.TempDir(), t.TempDir()
	envOf := func(dir string) func(string) string {
		env := map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_MASTER_KEY": key64}
		return func(k string) string { return env[k] }
	}
	cli := func(dir, stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, envOf(dir), strings.NewReader(stdin), &out, &errOut)
		return out.String() + errOut.String(), err
	}

	src := openDataDir(t, srcDir, box)
	app, err := src.CreateApp(ctx, "Lab App", "process", nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []token.Change{
		{Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"environment": "development", "api_key": "k1", "secret": "lab-secret-1", "access_token": "never-exported"}},
		{Provider: "redox", Name: "Billing", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"environment": "development", "api_key": "k2", "secret": "billing-secret"}},
		{AppID: app.ID, Provider: "redox", Name: "App Feed", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"environment": "development", "api_key": "k3", "secret": "app-secret"}},
	} {
		if _, err := src.CreateToken(ctx, ch, "test"); err != nil {
			t.Fatal(err)
		}
	}

	// Definitions of the global tokens a search matches.
	defs := filepath.Join(files, "defs.json")
	if out, err := cli(srcDir, "", "export", "--search", "Lab", "--out", defs); err != nil || !strings.Contains(out, "Exported 1 access token of the global tokens (definitions)") {
		t.Fatalf("export: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(defs)
	if !bytes.Contains(data, []byte("Lab Feed")) || bytes.Contains(data, []byte("Billing")) || bytes.Contains(data, []byte("secret-1")) || bytes.Contains(data, []byte("never-exported")) {
		t.Fatalf("definitions file:\n%s", data)
	}
	// An app's tokens, to standard output.
	if out, err := cli(srcDir, "", "export", "--app", "Lab App"); err != nil || !strings.Contains(out, `"name": "App Feed"`) || strings.Contains(out, "Lab Feed") {
		t.Fatalf("export --app: %v\n%s", err, out)
	}

	// With secrets: the passphrase from standard input, never a flag.
	if _, err := cli(srcDir, "", "export", "--with-secrets", "--passphrase", cliPass); err == nil || !strings.Contains(err.Error(), "flag provided but not defined: -passphrase") {
		t.Fatalf("a passphrase flag: %v", err)
	}
	if _, err := cli(srcDir, "short\n", "export", "--with-secrets", "--out", filepath.Join(files, "x")); err == nil || !strings.Contains(err.Error(), "use at least 12") {
		t.Fatalf("a short passphrase: %v", err)
	}
	sealed := filepath.Join(files, "all.json.age")
	if out, err := cli(srcDir, cliPass+"\n", "export", "--with-secrets", "--out", sealed); err != nil || strings.Contains(out, cliPass) {
		t.Fatalf("export --with-secrets: %v\n%s", err, out)
	}
	data, _ = os.ReadFile(sealed)
	if fi, _ := os.Stat(sealed); !transfer.Encrypted(data) || bytes.Contains(data, []byte("Lab Feed")) || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the file with secrets is not encrypted, or readable by others (%v)", fi.Mode())
	}
	if f, err := transfer.Decode(data, cliPass); err != nil || len(f.Tokens) != 2 || f.Tokens[1].Secrets["secret"] != "lab-secret-1" {
		t.Fatalf("decoded: %+v %v", f, err)
	}
	if _, err := cli(srcDir, cliPass+"\n", "export", "--with-secrets", "--out", sealed); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwriting: %v", err)
	}

	// Import: the preview, and nothing written without --yes.
	dst := openDataDir(t, dstDir, box)
	out, err := cli(dstDir, "", "import", defs)
	if err != nil || !strings.Contains(out, "import  Lab Feed (Redox): new") || !strings.Contains(out, "No Secret in the file") || !strings.Contains(out, "Nothing was written. Run again with --yes") {
		t.Fatalf("preview: %v\n%s", err, out)
	}
	if n, _ := dst.ScopeTokenCount(ctx, 0); n != 0 {
		t.Fatalf("the preview wrote %d tokens", n)
	}
	// Definitions only: written, and it says what is left to do.
	if out, err := cli(dstDir, "", "import", defs, "--yes"); err != nil ||
		!strings.Contains(out, "Imported 1 access token: Lab Feed. “Lab Feed” waits for a secret: enter it on its page; until then it is not renewed.") {
		t.Fatalf("import --yes: %v\n%s", err, out)
	}
	// With secrets, over the existing token: skip by default, replace on request.
	pf := filepath.Join(files, "pass")
	os.WriteFile(pf, []byte(cliPass+"\n"), 0o600)
	out, err = cli(dstDir, "", "import", sealed, "--passphrase-file", pf, "--yes")
	if err != nil || !strings.Contains(out, "skip    Lab Feed (Redox): would replace") || !strings.Contains(out, "import  Billing (Redox): new") {
		t.Fatalf("import, conflicts skipped: %v\n%s", err, out)
	}
	if v := values(t, dst, "Lab Feed"); v["secret"] != "" {
		t.Fatal("a skipped token took the file's secret")
	}
	if out, err := cli(dstDir, cliPass+"\n", "import", sealed, "--on-conflict", "replace", "--yes"); err != nil || !strings.Contains(out, "replace  Lab Feed (Redox): would replace") {
		t.Fatalf("import --on-conflict replace: %v\n%s", err, out)
	}
	if v := values(t, dst, "Lab Feed"); v["secret"] != "lab-secret-1" || v["access_token"] != "" {
		t.Fatalf("replaced token's values: secret %q, access token %q", v["secret"], v["access_token"])
	}
	if _, err := cli(dstDir, "wrong passphrase!\n", "import", sealed); err == nil || !strings.Contains(err.Error(), "that passphrase does not open this file") {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	entries, _, err := dst.ListAudit(ctx, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var imports int
	for _, a := range entries {
		if a.Action == store.ActionTokensImport && a.Actor == "tokendesk import" {
			imports++
		}
	}
	if imports != 3 {
		t.Fatalf("%d imports audited, want 3", imports)
	}

	// The console's limits and checks: the 1,000-token limit, bad flags.
	big := filepath.Join(files, "big.json")
	var b bytes.Buffer
	b.WriteString(`{"format":"tokendesk.access-tokens","version":1,"tokens":[{}`)
	b.WriteString(strings.Repeat(",{}", transfer.MaxTokens))
	b.WriteString("]}")
	os.WriteFile(big, b.Bytes(), 0o600)
	if _, err := cli(dstDir, "", "import", big, "--yes"); err == nil || !strings.Contains(err.Error(), "more than 1,000 access tokens") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := cli(dstDir, "", "import", defs, "--on-conflict", "rename"); err == nil || !strings.Contains(err.Error(), "not skip or replace") {
		t.Fatalf("--on-conflict rename: %v", err)
	}
	if _, err := cli(dstDir, "", "import", defs, "--app", "Nope"); err == nil || !strings.Contains(err.Error(), `no application named "Nope"`) {
		t.Fatalf("--app Nope: %v", err)
	}
}

func values(t *testing.T, st *store.Store, name string) map[string]string {
	t.Helper()
	toks, err := st.TokensByNames(context.Background(), 0, []string{name})
	if err != nil || len(toks) != 1 {
		t.Fatalf("%s: %v %v", name, toks, err)
	}
	for _, tk := range toks {
		v, err := st.TokenValues(context.Background(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return nil
}
