package modules

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// TestMailuAccountsJob runs the accounts Job's script (modules/apps/mailu/
// files/accounts.py) against a stand-in of `flask mailu` that follows Mailu's
// documented config-export/config-import semantics (files/testdata/flask):
// what is under test is the Job's logic, not Mailu.
func TestMailuAccountsJob(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 (Debian package python3)")
	}
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "modules", "apps", "mailu", "files")
	work := t.TempDir()
	state := filepath.Join(work, "state.json")
	passwords := filepath.Join(work, "passwords")
	if err := os.Mkdir(passwords, 0o700); err != nil {
		t.Fatal(err)
	}
	for l, p := range map[string]string{"alice": "initial-alice", "bob": "initial-bob"} {
		if err := os.WriteFile(filepath.Join(passwords, l), []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := func(users []string, aliases map[string][]string) string {
		doc := map[string]any{"domain": "fullfrontend.be"}
		us := []map[string]any{}
		for _, u := range users {
			us = append(us, map[string]any{"localpart": u, "email": u + "@fullfrontend.be", "displayed_name": "", "global_admin": false, "enabled": true, "quota_bytes": 0})
		}
		as := []map[string]any{} // jsonencode([]) in the stack, never null
		for a, d := range aliases {
			as = append(as, map[string]any{"email": a + "@fullfrontend.be", "destination": d})
		}
		doc["users"], doc["aliases"] = us, as
		b, _ := json.Marshal(doc)
		p := filepath.Join(work, "accounts.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(cfg string, env ...string) (string, error) {
		cmd := exec.Command(python, filepath.Join(dir, "accounts.py"))
		cmd.Env = append(os.Environ(), append([]string{
			"ACCOUNTS_FLASK=" + filepath.Join(dir, "testdata", "flask"),
			"FAKE_MAILU_STATE=" + state, "ACCOUNTS_CONFIG=" + cfg, "ACCOUNTS_PASSWORDS=" + passwords,
		}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	stored := func() map[string]map[string]map[string]any {
		var s map[string]map[string]map[string]any
		b, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// First run: both users created with their initial password.
	out, err := run(config([]string{"alice", "bob"}, map[string][]string{"contact": {"alice@fullfrontend.be"}, "old": {"bob@fullfrontend.be"}}))
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	if s := stored(); s["user"]["alice@fullfrontend.be"]["password"] != "initial-alice" || s["user"]["bob@fullfrontend.be"]["hash_password"] != true {
		t.Fatalf("new users must get their initial password to hash: %v", s["user"])
	}
	if !strings.Contains(out, "2 users (2 created: alice@fullfrontend.be, bob@fullfrontend.be)") {
		t.Errorf("first run summary:\n%s", out)
	}

	// Second run without bob and without the alias old: no password sent
	// again (the stand-in refuses it), bob kept and reported, old removed.
	out, err = run(config([]string{"alice"}, map[string][]string{"contact": {"alice@fullfrontend.be"}}))
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	s := stored()
	if _, ok := s["user"]["bob@fullfrontend.be"]; !ok {
		t.Error("a user removed from mail_users must be kept (its mail with it)")
	}
	if _, ok := s["alias"]["old@fullfrontend.be"]; ok {
		t.Error("an alias removed from mail_aliases must be removed")
	}
	for _, want := range []string{"bob@fullfrontend.be is in Mailu but not in mail_users: kept", "1 users (0 created: none), 1 aliases (1 removed: old@fullfrontend.be)"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run output lacks %q:\n%s", want, out)
		}
	}

	// An import that does not store a new user fails the Job, naming it.
	if err := os.WriteFile(filepath.Join(passwords, "carol"), []byte("initial-carol"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = run(config([]string{"alice", "carol"}, nil), "FAKE_MAILU_DROP=carol@fullfrontend.be")
	if err == nil || !strings.Contains(out, "still missing after the import: carol@fullfrontend.be") {
		t.Fatalf("a user missing after the import must fail the Job: err=%v\n%s", err, out)
	}
}
