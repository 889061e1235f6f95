package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/dovecottest"
)

func writeJSON(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMigrateMailCopyPlan(t *testing.T) {
	dir := t.TempDir()
	target := writeJSON(t, dir, "target.json", `{"alice@fullfrontend.be": "a-pw", "bob": "b-pw"}`)
	source := writeJSON(t, dir, "source.json", `{"alice@fullfrontend.be": "a-old"}`)
	accounts := writeJSON(t, dir, "accounts.json", `{"mail_users": {"alice": {"enabled": true}, "bob": {"enabled": true}, "old": {"enabled": false}}, "mail_aliases": {}}`)
	ok := migrateMailCopyOptions{sourceHost: "box.fullfrontend.be:993", targetHost: "mail.fullfrontend.be:993", all: true,
		accounts: accounts, domain: "fullfrontend.be", masterUser: "migrator", masterSep: "*", targetPasswords: target, stateDir: dir}
	var warn bytes.Buffer
	co, err := ok.plan("master-pw", "", &warn)
	if err != nil {
		t.Fatal(err)
	}
	if len(co.Accounts) != 2 || co.Accounts[0].SourceUser != "alice@fullfrontend.be*migrator" || co.Accounts[0].SourcePassword != "master-pw" ||
		co.Accounts[1].Address != "bob@fullfrontend.be" || co.Accounts[1].TargetPassword != "b-pw" {
		t.Fatalf("accounts: %+v", co.Accounts)
	}
	if !strings.Contains(warn.String(), "old@fullfrontend.be: disabled in the accounts file") {
		t.Errorf("no word on the disabled account: %s", warn.String())
	}
	tests := []struct {
		name           string
		edit           func(*migrateMailCopyOptions)
		masterPw       string
		targetMasterPw string
		want           string
	}{
		{"no source host", func(o *migrateMailCopyOptions) { o.sourceHost = "" }, "m", "", "give --source-host as host:port"},
		{"URL as host", func(o *migrateMailCopyOptions) { o.targetHost = "imaps://mail.fullfrontend.be" }, "m", "", "give --target-host as host:port"},
		{"user and all", func(o *migrateMailCopyOptions) { o.users = []string{"alice@fullfrontend.be"} }, "m", "", "not both"},
		{"neither user nor all", func(o *migrateMailCopyOptions) { o.all = false }, "m", "", "give --user ADDRESS"},
		{"local part as user", func(o *migrateMailCopyOptions) { o.all, o.users = false, []string{"alice"} }, "m", "", "give the full address"},
		{"no master password", func(*migrateMailCopyOptions) {}, "", "", "set MAIL_SOURCE_MASTER_PASSWORD"},
		{"no source login", func(o *migrateMailCopyOptions) { o.masterUser = "" }, "", "", "give --source-master-user"},
		{"both source logins", func(o *migrateMailCopyOptions) { o.sourcePasswords = source }, "m", "", "not both"},
		{"no target passwords", func(o *migrateMailCopyOptions) { o.targetPasswords = "" }, "m", "", "tofu-secrets.sh output -json mail_initial_passwords"},
		{"a source password missing", func(o *migrateMailCopyOptions) { o.masterUser, o.sourcePasswords = "", source }, "", "", "no password for bob@fullfrontend.be (source): nothing was copied"},
		{"a target password missing", func(o *migrateMailCopyOptions) { o.all, o.users = false, []string{"carol@fullfrontend.be"} }, "m", "", "no password for carol@fullfrontend.be (target)"},
		{"bad CA file", func(o *migrateMailCopyOptions) { o.sourceCA = target }, "m", "", "holds no PEM certificate"},
		{"both target logins", func(o *migrateMailCopyOptions) { o.targetMasterUser = "migrator" }, "m", "t", "not both"},
		{"no target master password", func(o *migrateMailCopyOptions) { o.targetMasterUser, o.targetPasswords = "migrator", "" }, "m", "", "set MAIL_TARGET_MASTER_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			if _, err := o.plan(tt.masterPw, tt.targetMasterPw, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want an error with %q, got %v", tt.want, err)
			}
		})
	}
}

// miabHandler answers like Mail-in-a-Box's admin API for alice.
var miabHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if u, p, _ := r.BasicAuth(); u != "alice@fullfrontend.be" || p != "admin-pw" {
		http.Error(w, "denied", http.StatusUnauthorized)
		return
	}
	switch r.URL.Path + "?" + r.URL.RawQuery {
	case "/admin/mail/users?format=json":
		fmt.Fprint(w, `[{"domain": "fullfrontend.be", "users": [{"email": "alice@fullfrontend.be", "privileges": ["admin"], "quota": "0", "status": "active"}]}]`)
	case "/admin/mail/aliases?format=json":
		fmt.Fprint(w, `[{"domain": "fullfrontend.be", "aliases": [{"address": "contact@fullfrontend.be", "forwards_to": ["alice@fullfrontend.be"], "permitted_senders": null, "auto": false}]}]`)
	default:
		http.NotFound(w, r)
	}
})

func TestMigrateMailAccountsCommand(t *testing.T) {
	srv := httptest.NewServer(miabHandler)
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "mail-accounts.auto.tfvars.json")
	cmd := migrateMailCmd()
	var stdout bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stdout)
	t.Setenv(miabAdminPasswordEnv, "admin-pw")
	cmd.SetArgs([]string{"accounts", "--box", "box.fullfrontend.be", "--domain", "fullfrontend.be", "--admin-user", "alice@fullfrontend.be",
		"--admin-url", srv.URL + "/admin", "--out", out})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	data, _ := os.ReadFile(out)
	for _, want := range []string{`"alice": {`, `"contact": {`, `"destinations": [`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("file lacks %q:\n%s", want, data)
		}
	}
	if !strings.Contains(stdout.String(), "users: 1 written (1 new), 0 skipped") {
		t.Errorf("output:\n%s", stdout.String())
	}

	for _, tc := range []struct {
		o    migrateMailAccountsOptions
		pw   string
		want string
	}{
		{migrateMailAccountsOptions{box: "box.fullfrontend.be", adminUser: "alice@fullfrontend.be", adminURL: "http://192.0.2.1/admin"}, "pw", "http to 127.0.0.1 only"},
		{migrateMailAccountsOptions{box: "", adminUser: "alice@fullfrontend.be"}, "pw", "give --box"},
		{migrateMailAccountsOptions{box: "box.fullfrontend.be", adminUser: ""}, "pw", "give --admin-user"},
		{migrateMailAccountsOptions{box: "box.fullfrontend.be", adminUser: "alice@fullfrontend.be"}, "", "set MIAB_ADMIN_PASSWORD"},
	} {
		if err := migrateMailAccounts(context.Background(), tc.o, tc.pw, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: want an error with %q, got %v", tc.o, tc.want, err)
		}
	}
}

// TestMigrateMailCopyCommand runs `infra migrate mail copy --all` end to
// end between two real Dovecot servers, with a master user on the source,
// the password file the stack's output makes, and the test's CA given as
// --source-ca/--target-ca. The package's tests cover the copy itself.
func TestMigrateMailCopyCommand(t *testing.T) {
	ca := dovecottest.NewCA(t)
	src := dovecottest.Start(t, ca, dovecottest.Config{Delim: ".", Users: map[string]string{"alice@fullfrontend.be": "old-a", "bob@fullfrontend.be": "old-b"},
		Master: map[string]string{"migrator": "m-pw"}, Mailboxes: map[string]string{"Spam": `\Junk`, "Sent": `\Sent`}})
	dst := dovecottest.Start(t, ca, dovecottest.Config{Delim: ".", Users: map[string]string{"alice@fullfrontend.be": "new-a", "bob@fullfrontend.be": "new-b"},
		Mailboxes: map[string]string{"Junk": `\Junk`, "Sent": `\Sent`}})
	// Maildir files as Mail-in-a-Box keeps them: INBOX and .Spam.
	for user, n := range map[string]int{"alice": 7, "bob": 3} {
		root := filepath.Join(src.MailRoot, "fullfrontend.be", user)
		for _, dir := range []string{"cur", "new", "tmp", ".Spam/cur", ".Spam/new", ".Spam/tmp"} {
			if err := os.MkdirAll(filepath.Join(root, dir), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			sub := "cur"
			if i%3 == 2 {
				sub = ".Spam/cur"
			}
			p := filepath.Join(root, sub, fmt.Sprintf("%d.M%d.test:2,S", 1700000000+i, i))
			dovecottest.WriteFile(t, p, fmt.Sprintf("Message-ID: <%s-%d@x>\nSubject: %d\n\nbody %d\n", user, i, i, i))
			d := time.Unix(int64(1700000000+i*3600), 0)
			if err := os.Chtimes(p, d, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	src.Chown(t, filepath.Join(src.MailRoot, "fullfrontend.be"))
	dir := t.TempDir()
	accounts := writeJSON(t, dir, "accounts.json", `{"mail_users": {"alice": {"display_name": "", "admin": true, "quota_mb": 0, "enabled": true},
  "bob": {"display_name": "", "admin": false, "quota_mb": 0, "enabled": true}}, "mail_aliases": {}}`)
	passwords := writeJSON(t, dir, "mail_initial_passwords.json", `{"alice@fullfrontend.be": "new-a", "bob@fullfrontend.be": "new-b"}`)
	t.Setenv(mailSourceMasterPassEnv, "m-pw")
	run := func() string {
		cmd := migrateMailCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"copy", "--source-host", src.Addr, "--target-host", dst.Addr, "--all", "--accounts", accounts,
			"--source-master-user", "migrator", "--target-passwords", passwords,
			"--source-ca", ca.CAFile, "--target-ca", ca.CAFile, "--state-dir", filepath.Join(dir, "state")})
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		return out.String()
	}
	out := run()
	for _, want := range []string{
		`alice@fullfrontend.be: "INBOX" -> "INBOX": source 5, target before 0, copied 5`,
		`alice@fullfrontend.be: "Spam" -> "Junk": source 2, target before 0, copied 2`,
		`bob@fullfrontend.be: "Spam" -> "Junk": source 1, target before 0, copied 1`,
		"total: 2 account(s), 10 message(s) on the source, 10 copied by this run, 10 on the target, 0 account(s) failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first run lacks %q:\n%s", want, out)
		}
	}
	if n := len(dst.FetchAll(t, "alice@fullfrontend.be")); n != 7 {
		t.Errorf("alice has %d messages on the target, want 7", n)
	}
	if out := run(); !strings.Contains(out, "10 message(s) on the source, 0 copied by this run, 10 on the target") {
		t.Errorf("second run:\n%s", out)
	}
}

// A box whose certificate comes from a private CA: refused without --ca,
// read with it.
func TestMigrateMailAccountsPrivateCA(t *testing.T) {
	srv := httptest.NewTLSServer(miabHandler)
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "box-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(miabAdminPasswordEnv, "admin-pw")
	run := func(extra ...string) error {
		cmd := migrateMailCmd()
		var stdout bytes.Buffer
		cmd.SetOut(&stdout)
		cmd.SetErr(&stdout)
		cmd.SetArgs(append([]string{"accounts", "--box", "box.fullfrontend.be", "--domain", "fullfrontend.be", "--admin-user", "alice@fullfrontend.be",
			"--admin-url", srv.URL + "/admin", "--out", filepath.Join(t.TempDir(), "f.json")}, extra...))
		return cmd.ExecuteContext(context.Background())
	}
	if err := run(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without --ca: err = %v, want a certificate error", err)
	}
	if err := run("--ca", ca); err != nil {
		t.Errorf("with --ca: %v", err)
	}
}
