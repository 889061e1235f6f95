package secretscan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"fullfrontend.be/infra/internal/repo"
)

const ciphertext = `{"data":"ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]","sops":{"age":[{"recipient":"age1x","enc":"-----BEGIN AGE ENCRYPTED FILE-----"}],"mac":"ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]","version":"3.10.2"}}`

// The secrets the scanner must find, assembled at run time: written out
// here, they would be found in this very file by the scan of the tracked
// tree.
var (
	token        = "dop_v1_" + strings.Repeat("0123456789abcdef", 4)
	spacesSecret = strings.Repeat("wJalrXUtnFEMI", 4)[:43]
	pemKey       = "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n", 3) + "-----END PRIVATE KEY-----\n"
)

func TestCheck(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		content string
		want    string // substring of the reason; "" means clean
	}{
		{"example is fine", "secrets.tfvars.example", `do_token = ""`, ""},
		{"clear tfvars", "secrets.tfvars", `do_token = "x"`, "clear secrets tfvars"},
		{"clear env tfvars", "secrets.dev.tfvars", `x = 1`, "clear secrets tfvars"},
		{"wrapper output", "stacks/platform/.secrets.auto.tfvars", `x = 1`, ".auto.tfvars"},
		{"state", "stacks/cluster/terraform.tfstate", `{}`, "state"},
		{"state backup", ".state/dev/platform.tfstate.backup", `{}`, "state"},
		{"generated dev secrets", ".state/dev/secrets.dev.tfvars.enc", ciphertext, "generated dev secrets"},
		{"a docs folder named state is fine", "docs/.state-notes.md", "x", ""},
		{"age key file", "keys.txt", "# key", "age key file"},
		{"kubeconfig dir", ".kube/config", "apiVersion: v1", "kubeconfig"},
		{"age key in code", "internal/x/x.go", "const k = \"" + id.String() + "\"", "age private key"},
		{"age key prefix only", "internal/x/x.go", `strings.HasPrefix(s, "AGE-SECRET-KEY-1")`, ""},
		{"age key in docs is allowed", "docs/keys.md", id.String(), ""},
		// The hook's escapes seen on a real try: each file held a clear token.
		{"token in terraform.tfvars", "terraform.tfvars", `do_token = "` + token + `"`, "DigitalOcean API token"},
		{"token in an editor backup", "secrets.tfvars~", `do_token = "` + token + `"`, "an editor's copy"},
		{"token in a swap file", ".secrets.tfvars.swp", `do_token = "` + token + `"`, "an editor's copy"},
		{"token in auto tfvars json", "secrets.auto.tfvars.json", `{"do_token": "` + token + `"}`, ".auto.tfvars"},
		{"token in .env", ".env", "DO_TOKEN=" + token, ".env files"},
		{"token in prod.tfvars", "prod.tfvars", `do_token = "` + token + `"`, "DigitalOcean API token"},
		{"token in a note", "notes/todo.md", "token: " + token, "DigitalOcean API token"},
		{"token placeholder", "docs/x.md", `do_token = "dop_v1_..."`, ""},
		{"spaces key in clear", "stacks/platform/prod.tfvars", "spaces_secret_access_key = \"" + spacesSecret + "\"", "Spaces key"},
		{"spaces key id in clear", "x.tfvars", "spaces_access_key_id = \"DO00" + strings.Repeat("X", 16) + "\"", "Spaces key"},
		{"spaces test value", "modules/x/tests/x.tftest.hcl", `spaces_secret_access_key = "test-only-secret-key"`, ""},
		{"spaces key from a variable", "stacks/platform/main.tf", `spaces_secret_access_key = "${var.k}"`, ""},
		{"PEM private key", "deploy/key.pem", pemKey, "PEM private key"},
		{"PEM private key in a Go string", "internal/x/x.go", `k := "` + strings.ReplaceAll(pemKey, "\n", `\n`) + `"`, "PEM private key"},
		{"PEM placeholder in a test", "modules/apps/mailu/tests/mailu.tftest.hcl", `private_key_pem = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEmock\\n-----END RSA PRIVATE KEY-----\\n"`, ""},
		{"sops ciphertext", "secrets.tfvars.enc", ciphertext, ""},
		{"clear data named enc", "secrets.tfvars.enc", `do_token = "x"`, "not SOPS ciphertext"},
		{"sops envelope with a clear value", "secrets.tfvars.enc", strings.Replace(ciphertext, `"ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]"`, `"clear"`, 1), "not SOPS ciphertext"},
		{"sops envelope without mac", "x.enc", strings.Replace(ciphertext, `"mac":"ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]",`, "", 1), "not SOPS ciphertext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.path, []byte(tt.content))
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("Check(%s) = %v, want clean", tt.path, got)
				}
				return
			}
			if len(got) == 0 || !strings.Contains(got[0].Reason, tt.want) {
				t.Fatalf("Check(%s) = %v, want a finding about %q", tt.path, got, tt.want)
			}
		})
	}
}

// TestStaged proves the pre-commit check sees what is staged.
func TestStaged(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "secrets.tfvars"), []byte(`do_token = "x"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`locals {}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "-f", "main.tf")
	if got, err := Staged(dir); err != nil || len(got) != 0 {
		t.Fatalf("clean stage: findings %v, err %v", got, err)
	}
	run("add", "-f", "secrets.tfvars")
	got, err := Staged(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Path != "secrets.tfvars" {
		t.Fatalf("staged clear secrets: findings %v, want secrets.tfvars", got)
	}
}

// TestTrackedTreeHasNoClearSecrets scans this repository.
func TestTrackedTreeHasNoClearSecrets(t *testing.T) {
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Fatalf("%s is not a git checkout: the scan needs git's index", root)
	}
	findings, err := Tracked(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("tracked: %s", f)
	}
}
