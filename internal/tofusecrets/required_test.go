package tofusecrets

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// setSecrets replaces the encrypted secrets with clear, for the test's key.
func (e *env) setSecrets(clear string) {
	e.t.Helper()
	ids, err := secrets.LoadIdentities(e.key)
	if err != nil {
		e.t.Fatal(err)
	}
	path := e.writeFile("secrets.tfvars", clear, 0o600)
	defer os.Remove(path)
	s := secrets.SOPS{Binary: testenv.Tool(e.t, "sops"), Policy: filepath.Join(e.root, "sops.yaml")}
	enc := filepath.Join(e.root, "secrets.tfvars.enc")
	if err := os.Remove(enc); err != nil {
		e.t.Fatal(err)
	}
	if err := s.Encrypt(context.Background(), path, enc, []string{ids[0].Recipient().String()}); err != nil {
		e.t.Fatal(err)
	}
}

// TestSecretsInitNeedsAreCheckedFirst: what `tofu init` needs is checked
// before OpenTofu starts, and the error names the secret and the fix.
func TestSecretsInitNeedsAreCheckedFirst(t *testing.T) {
	const keys = "spaces_access_key_id = \"AKIA\"\nspaces_secret_access_key = \"s3cr3t\"\ndo_token = \"tok\"\n"
	tests := []struct {
		name, env, clear string
		want             []string
	}{
		{"no passphrase", "prod", keys, []string{"state_encryption_passphrase is missing or empty", "at least 16 characters", "sops secrets.tfvars.enc"}},
		{"short passphrase", "prod", keys + "state_encryption_passphrase = \"short\"\n", []string{"state_encryption_passphrase has 5 characters, OpenTofu needs at least 16"}},
		{"empty do_token", "prod", "spaces_access_key_id = \"AKIA\"\nspaces_secret_access_key = \"s3cr3t\"\ndo_token = \"\"\nstate_encryption_passphrase = \"0123456789abcdef\"\n",
			[]string{"do_token (the DigitalOcean API token) is missing or empty"}},
		{"no Spaces keys", "prod", "do_token = \"tok\"\nstate_encryption_passphrase = \"0123456789abcdef\"\n",
			[]string{"spaces_access_key_id (the Spaces access key of the state bucket) is missing", "spaces_secret_access_key"}},
		{"dev needs no cloud key", "dev", "state_encryption_passphrase = \"0123456789abcdef\"\n", nil},
		// Dropped without a word, the stack would fall back to a generated
		// key: every n8n credential unreadable.
		{"misspelt key", "dev", "state_encryption_passphrase = \"0123456789abcdef\"\nn8n_encrytion_key = \"0123456789abcdef0123456789\"\nzz_nothing_like_it = \"x\"\n",
			[]string{"set what no stack declares", "n8n_encrytion_key (did you mean n8n_encryption_key?)", "zz_nothing_like_it;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.setSecrets(tt.clear)
			e.vars["APP_ENV"] = tt.env
			e.vars["SECRETS_FILE"] = filepath.Join(e.root, "secrets.tfvars.enc")
			code, out := e.run("plan")
			if tt.want == nil {
				if code != 0 {
					t.Fatalf("exit %d:\n%s", code, out)
				}
				return
			}
			if code == 0 {
				t.Fatalf("the wrapper ran with secrets that cannot open the state:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if calls := grep(e.logLines(), "call "); len(calls) > 0 {
				t.Errorf("OpenTofu ran: %v", calls)
			}
			e.assertNoClearSecrets()
		})
	}
}

// TestBackendCredentialsReachOpenTofuOnly: in prod the Spaces keys reach
// OpenTofu as the S3 client's variables; dev has none.
func TestBackendCredentialsReachOpenTofuOnly(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want bool
	}{{"prod", true}, {"dev", false}} {
		t.Run(tt.env, func(t *testing.T) {
			e := newEnv(t)
			e.vars["APP_ENV"] = tt.env
			if tt.env == "dev" {
				e.vars["SECRETS_FILE"] = filepath.Join(e.root, "secrets.tfvars.enc")
			}
			if code, out := e.run("plan"); code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			got := grep(e.logLines(), "env AWS_ACCESS_KEY_ID=")
			if tt.want && (len(got) == 0 || got[0] != "env AWS_ACCESS_KEY_ID=AKIA AWS_SECRET_ACCESS_KEY=s3cr3t") {
				t.Errorf("prod: OpenTofu got %v, want the Spaces keys of the secrets", got)
			}
			if !tt.want && len(got) > 0 {
				t.Errorf("dev: OpenTofu got S3 credentials %v", got)
			}
		})
	}
}

// TestWrongPassphraseNamesTheSecret: OpenTofu's "decryption failed for all
// provided methods" becomes an error that names state_encryption_passphrase.
func TestWrongPassphraseNamesTheSecret(t *testing.T) {
	e := newEnv(t)
	e.vars["APP_ENV"] = "prod"
	e.vars["FAKE_MODE"] = "badpass"
	code, out := e.run("plan")
	if code == 0 || !strings.Contains(out, "does not open with state_encryption_passphrase") {
		t.Fatalf("exit %d, want an error naming state_encryption_passphrase:\n%s", code, out)
	}
	e.assertNoClearSecrets()
}

// TestWatcherFindsAWrappedNeedle: OpenTofu wraps its diagnostics at 78
// columns behind a "│ " margin, and writes in pieces.
func TestWatcherFindsAWrappedNeedle(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   bool
	}{
		{"one line", []string{"Error: decryption failed for all provided methods: x\n"}, true},
		{"wrapped", []string{"│ Error: encountered unexpected error: decryption failed for all provided\n│ methods\n"}, true},
		{"split across writes", []string{"decryption failed for a", "ll provided methods"}, true},
		{"another error", []string{"Error: Error acquiring the state lock\n"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			w := &watcher{w: &out, needle: squeeze([]byte("decryption failed for all provided methods"))}
			for _, s := range tt.writes {
				if _, err := w.Write([]byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			if w.seen() != tt.want || out.String() != strings.Join(tt.writes, "") {
				t.Errorf("seen = %v, want %v; passed on %q", w.seen(), tt.want, out.String())
			}
		})
	}
}

func TestClosest(t *testing.T) {
	names := []string{"n8n_encryption_key", "do_token", "mailu_secret_key", "crm_app_secret"}
	tests := []struct{ in, want string }{
		{"n8n_encrytion_key", "n8n_encryption_key"},
		{"do_tokn", "do_token"},
		{"crm_app_secrets", "crm_app_secret"},
		{"grafana_password", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.in, slices.Clone(names)); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
