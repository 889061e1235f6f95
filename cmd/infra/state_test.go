package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/testsupport/s3test"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

func runStateBootstrap(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := stateBootstrapCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestStateBootstrapRefusesFlagsBeforeDecrypting(t *testing.T) {
	// No key and no secrets file: only the flags can be the reported error.
	t.Setenv(secrets.KeyFileEnv, filepath.Join(t.TempDir(), "absent.txt"))
	t.Setenv("SECRETS_FILE", filepath.Join(t.TempDir(), "absent.enc"))
	for _, args := range [][]string{
		{"--bucket", "Not_Valid"},
		{"--region", "frankfurt"},
		{"--endpoint", "http://example.com"},
	} {
		_, err := runStateBootstrap(t, args...)
		if err == nil || !strings.Contains(err.Error(), "invalid configuration") {
			t.Errorf("%v: err = %v, want an invalid configuration", args, err)
		}
	}
	// Without --region, the stacks' spaces_region as OpenTofu would read it.
	t.Setenv("TF_VAR_spaces_region", "frankfurt")
	if _, err := runStateBootstrap(t); err == nil || !strings.Contains(err.Error(), "frankfurt") {
		t.Errorf("TF_VAR_spaces_region=frankfurt: err = %v, want it refused by name", err)
	}
}

func TestStateBootstrapEndToEnd(t *testing.T) {
	sopsBin := testenv.Tool(t, "sops")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	s := s3test.Start(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "key.txt")
	recipient, _, err := secrets.InitKey(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	clearFile := filepath.Join(dir, "secrets.tfvars")
	doc := "spaces_access_key_id = \"" + s.AccessKey + "\"\nspaces_secret_access_key = \"" + s.SecretKey + "\"\n"
	if err := os.WriteFile(clearFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := filepath.Join(dir, "secrets.tfvars.enc")
	sops := secrets.SOPS{Binary: sopsBin, Policy: filepath.Join(root, secrets.PolicyFile)}
	if err := sops.Encrypt(context.Background(), clearFile, enc, []string{recipient}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(clearFile); err != nil {
		t.Fatal(err)
	}
	t.Setenv(secrets.KeyFileEnv, key)
	t.Setenv("SECRETS_FILE", enc)

	args := []string{"--endpoint", s.Endpoint(), "--bucket", "fullfrontend-tofu-state"}
	out, err := runStateBootstrap(t, args...)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	for _, want := range []string{"created bucket fullfrontend-tofu-state", "enabled versioning", "state bucket ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run output lacks %q:\n%s", want, out)
		}
	}
	out, err = runStateBootstrap(t, args...)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	for _, want := range []string{"already exists", "versioning already enabled", "nothing changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run output lacks %q:\n%s", want, out)
		}
	}
}
