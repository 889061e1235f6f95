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
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// Two operators share secrets.tfvars.enc; one of them re-encrypts it with
// only their own key exported, as bin/age-init.sh leaves it.
func TestSopsEncryptKeepsTheOtherOperators(t *testing.T) {
	sopsBin := testenv.Tool(t, "sops")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keys := map[string]string{}
	recipients := map[string]string{}
	for _, who := range []string{"alice", "bob", "carol"} {
		keys[who] = filepath.Join(dir, who+".txt")
		if recipients[who], _, err = secrets.InitKey(keys[who], time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	clear := filepath.Join(dir, "secrets.tfvars")
	if err := os.WriteFile(clear, []byte("do_token = \"tok\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := filepath.Join(dir, "secrets.tfvars.enc")
	run := func(env string, args ...string) (string, error) {
		t.Helper()
		t.Setenv(secrets.RecipientsEnv, env)
		cmd := sopsEncryptCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append(args, clear, enc))
		err := cmd.ExecuteContext(context.Background())
		return out.String(), err
	}
	sops := secrets.SOPS{Binary: sopsBin, Policy: filepath.Join(root, secrets.PolicyFile)}
	opens := func(who string) bool {
		_, err := sops.Decrypt(context.Background(), enc, keys[who])
		return err == nil
	}

	if out, err := run(recipients["alice"] + "," + recipients["bob"]); err != nil {
		t.Fatalf("first encryption: %v\n%s", err, out)
	}
	out, err := run(recipients["alice"])
	if err != nil {
		t.Fatalf("alice re-encrypts: %v\n%s", err, out)
	}
	if !opens("bob") || !strings.Contains(out, "kept 1 recipient(s)") || !strings.Contains(out, recipients["bob"]) {
		t.Errorf("after alice re-encrypts with her key only, bob opens the file: %v; output:\n%s", opens("bob"), out)
	}
	if out, err := run(""); err != nil || !opens("alice") || !opens("bob") {
		t.Errorf("with no recipient exported, the existing ones must be reused: %v\n%s", err, out)
	}
	if out, err := run(recipients["alice"], "--drop", recipients["carol"]); err == nil || !strings.Contains(err.Error(), "not a recipient of the existing file") {
		t.Errorf("dropping a key that is not a recipient: err = %v\n%s", err, out)
	}
	if out, err := run(recipients["alice"]+","+recipients["carol"], "--drop", recipients["bob"]); err != nil {
		t.Fatalf("bob leaves: %v\n%s", err, out)
	}
	if opens("bob") || !opens("alice") || !opens("carol") {
		t.Errorf("after --drop bob: alice %v, bob %v, carol %v; want true, false, true", opens("alice"), opens("bob"), opens("carol"))
	}
}
