package mailmigrate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Mail-in-a-Box cannot run in a test (it installs a whole system): its
// admin API is an httptest server that answers what management/daemon.py
// and mailconfig.py (get_mail_users_ex, get_mail_aliases_ex) return, in
// the shape of v75 ("auto", "quota") and of older boxes ("required",
// privileges "" for archived accounts).
const (
	miabUsersJSON = `[
  {"domain": "fullfrontend.be", "users": [
    {"email": "alice@fullfrontend.be", "privileges": ["admin"], "quota": "0", "box_quota": 0, "box_size": "1.2 GB", "percent": "", "status": "active"},
    {"email": "bob@fullfrontend.be", "privileges": [], "quota": "5G", "box_quota": 5368709120, "box_size": "12 MB", "percent": "  0%", "status": "active"},
    {"email": "chantal.dupont@fullfrontend.be", "privileges": [], "quota": "1500000", "box_quota": 1500000, "box_size": "0", "percent": "0%", "status": "active"},
    {"email": "old@fullfrontend.be", "privileges": [], "status": "inactive", "mailbox": "/home/user-data/mail/mailboxes/fullfrontend.be/old", "box_size": "?", "box_quota": "?", "percent": "?"}
  ]}
]`
	miabAliasesJSON = `[
  {"domain": "fullfrontend.be", "aliases": [
    {"address": "contact@fullfrontend.be", "address_display": "contact@fullfrontend.be", "forwards_to": ["alice@fullfrontend.be", "Bob@Gmail.com"], "permitted_senders": null, "auto": false},
    {"address": "factures@fullfrontend.be", "address_display": "factures@fullfrontend.be", "forwards_to": ["bob@fullfrontend.be", "chantal.dupont@fullfrontend.be"], "permitted_senders": ["alice@fullfrontend.be"], "auto": false},
    {"address": "equipe@fullfrontend.be", "address_display": "equipe@fullfrontend.be", "forwards_to": ["contact@fullfrontend.be", "old@fullfrontend.be"], "permitted_senders": null, "auto": false},
    {"address": "abuse@fullfrontend.be", "address_display": "abuse@fullfrontend.be", "forwards_to": ["administrator@box.fullfrontend.be"], "permitted_senders": null, "auto": true},
    {"address": "admin@fullfrontend.be", "address_display": "admin@fullfrontend.be", "forwards_to": ["administrator@box.fullfrontend.be"], "permitted_senders": null, "auto": true},
    {"address": "postmaster@fullfrontend.be", "address_display": "postmaster@fullfrontend.be", "forwards_to": ["administrator@box.fullfrontend.be"], "permitted_senders": null, "auto": true}
  ]},
  {"domain": "box.fullfrontend.be", "aliases": [
    {"address": "administrator@box.fullfrontend.be", "address_display": "administrator@box.fullfrontend.be", "forwards_to": ["alice@fullfrontend.be"], "permitted_senders": null, "auto": false},
    {"address": "hostmaster@box.fullfrontend.be", "address_display": "hostmaster@box.fullfrontend.be", "forwards_to": ["administrator@box.fullfrontend.be"], "permitted_senders": null, "auto": true}
  ]}
]`
	// An older box: "required" instead of "auto", a customised required
	// alias, privileges "" on an archived account, no quota.
	oldUsersJSON = `[{"domain": "fullfrontend.be", "users": [
    {"email": "alice@fullfrontend.be", "privileges": ["admin"], "status": "active"},
    {"email": "old@fullfrontend.be", "privileges": "", "status": "inactive", "mailbox": "/home/user-data/mail/mailboxes/fullfrontend.be/old"}]}]`
	oldAliasesJSON = `[{"domain": "fullfrontend.be", "aliases": [
    {"address": "abuse@fullfrontend.be", "address_display": "abuse@fullfrontend.be", "forwards_to": ["alice@fullfrontend.be"], "permitted_senders": null, "required": true},
    {"address": "postmaster@fullfrontend.be", "address_display": "postmaster@fullfrontend.be", "forwards_to": ["administrator@box.fullfrontend.be"], "permitted_senders": null, "required": true}]}]`
)

// fakeMiaB serves users and aliases JSON behind basic auth.
func fakeMiaB(t *testing.T, users, aliases string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// As management/daemon.py answers: 401 with the reason in X-Reason.
		u, p, ok := r.BasicAuth()
		reason := ""
		switch {
		case !ok || p != "admin-pw" || (u != "alice@fullfrontend.be" && u != "bob@fullfrontend.be" && u != "totp@fullfrontend.be"):
			reason = "Incorrect email address or password."
		case u == "bob@fullfrontend.be":
			reason = "You are not an administrator."
		case u == "totp@fullfrontend.be":
			reason = "missing-totp-token"
		}
		if reason != "" {
			w.Header().Set("X-Reason", reason)
			http.Error(w, reason, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("format") != "json" {
			http.Error(w, "text format not served by this fake", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/admin/mail/users":
			_, _ = w.Write([]byte(users))
		case "/admin/mail/aliases":
			_, _ = w.Write([]byte(aliases))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fetchFake(t *testing.T, users, aliases string) ([]MiaBUser, []MiaBAlias) {
	t.Helper()
	srv := fakeMiaB(t, users, aliases)
	u, a, err := MiaB{URL: srv.URL + "/admin", User: "alice@fullfrontend.be", Password: "admin-pw"}.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return u, a
}

func readJSON(t *testing.T, p string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAccountsFromMiaB(t *testing.T) {
	users, aliases := fetchFake(t, miabUsersJSON, miabAliasesJSON)
	if len(users) != 4 || len(aliases) != 8 {
		t.Fatalf("fetched %d users and %d aliases, want 4 and 8", len(users), len(aliases))
	}
	out := filepath.Join(t.TempDir(), "stacks", "platform", "mail-accounts.auto.tfvars.json")
	var report strings.Builder
	rep, err := WriteAccounts(users, aliases, AccountsOptions{Box: "box.fullfrontend.be", Domain: "fullfrontend.be", File: out, Out: &report})
	if err != nil {
		t.Fatal(err)
	}
	// Written out by hand from the JSON above.
	want := map[string]any{
		"mail_users": map[string]any{
			"alice":          map[string]any{"display_name": "", "admin": true, "quota_mb": 0.0, "enabled": true},
			"bob":            map[string]any{"display_name": "", "admin": false, "quota_mb": 5120.0, "enabled": true},
			"chantal.dupont": map[string]any{"display_name": "", "admin": false, "quota_mb": 2.0, "enabled": true},
			"old":            map[string]any{"display_name": "", "admin": false, "quota_mb": 0.0, "enabled": false},
		},
		"mail_aliases": map[string]any{
			"contact":  map[string]any{"destinations": []any{"alice", "bob@gmail.com"}},
			"factures": map[string]any{"destinations": []any{"bob", "chantal.dupont"}},
			// contact@ is an alias: its destinations (the stack holds no
			// alias to an alias, which could loop).
			"equipe": map[string]any{"destinations": []any{"alice", "bob@gmail.com", "old"}},
		},
	}
	if got := readJSON(t, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("file:\n%v\nwant\n%v", got, want)
	}
	if rep.UsersWritten != 4 || len(rep.UsersSkipped) != 0 || rep.AliasesWritten != 3 || len(rep.AliasesSkipped) != 5 {
		t.Fatalf("report %+v", rep)
	}
	for _, line := range []string{
		"Mail-in-a-Box: 4 user(s), 8 alias(es)",
		"aliases: 3 written (3 new), 5 skipped",
		"skipped postmaster@fullfrontend.be: made by Mail-in-a-Box itself",
		"skipped administrator@box.fullfrontend.be: on the box's own host name",
		"factures@fullfrontend.be: permitted senders (alice@fullfrontend.be) not carried over",
		"old@fullfrontend.be is archived on Mail-in-a-Box",
		"equipe@fullfrontend.be forwards to other aliases of the box: written as their destinations (alice, bob@gmail.com, old)",
		"alice@fullfrontend.be has no quota on the box (size 1.2 GB); quota_mb 0 is Mailu's default (1 GB)",
	} {
		if !strings.Contains(report.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, report.String())
		}
	}

	t.Run("older box", func(t *testing.T) {
		users, aliases := fetchFake(t, oldUsersJSON, oldAliasesJSON)
		out := filepath.Join(t.TempDir(), "f.json")
		var report strings.Builder
		if _, err := WriteAccounts(users, aliases, AccountsOptions{Box: "box.fullfrontend.be", Domain: "fullfrontend.be", File: out, Out: &report}); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"mail_users": map[string]any{
				"alice": map[string]any{"display_name": "", "admin": true, "quota_mb": 0.0, "enabled": true},
				"old":   map[string]any{"display_name": "", "admin": false, "quota_mb": 0.0, "enabled": false},
			},
			// A required alias sent elsewhere than the default is copied.
			"mail_aliases": map[string]any{"abuse": map[string]any{"destinations": []any{"alice"}}},
		}
		if got := readJSON(t, out); !reflect.DeepEqual(got, want) {
			t.Fatalf("file:\n%v\nwant\n%v\n%s", got, want, report.String())
		}
		if !strings.Contains(report.String(), "abuse@fullfrontend.be was made by Mail-in-a-Box but forwards to alice@fullfrontend.be: copied") {
			t.Errorf("report:\n%s", report.String())
		}
	})

	for _, tc := range []struct{ name, user, password, want string }{
		{"wrong password", "alice@fullfrontend.be", "nope", `the box says "Incorrect email address or password.": check --admin-user (an admin's address) and MIAB_ADMIN_PASSWORD`},
		{"not an admin", "bob@fullfrontend.be", "admin-pw", `the box says "You are not an administrator.": give an admin's address as --admin-user`},
		{"two-factor login", "totp@fullfrontend.be", "admin-pw", `the box says "missing-totp-token": this admin has two-factor login on`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeMiaB(t, miabUsersJSON, miabAliasesJSON)
			_, _, err := MiaB{URL: srv.URL + "/admin", User: tc.user, Password: tc.password}.Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a 401 saying %q", err, tc.want)
			}
		})
	}
}

func TestAccountsMerge(t *testing.T) {
	users, aliases := fetchFake(t, miabUsersJSON, miabAliasesJSON)
	out := filepath.Join(t.TempDir(), "mail-accounts.auto.tfvars.json")
	// The operator added carol and "ventes", named alice, raised bob's
	// quota, changed contact's destinations and added a key of their own.
	existing := `{
  "mail_users": {
    "alice": {"display_name": "Alice Martin", "admin": true, "quota_mb": 0, "enabled": true},
    "bob": {"display_name": "", "admin": false, "quota_mb": 10240, "enabled": true, "note": "asked for more"},
    "carol": {"display_name": "Carol", "admin": false, "quota_mb": 0, "enabled": true}
  },
  "mail_aliases": {
    "contact": {"destinations": ["alice"]},
    "ventes": {"destinations": ["carol"]}
  },
  "mail_extra": {"keep": "me"}
}`
	if err := os.WriteFile(out, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	rep, err := WriteAccounts(users, aliases, AccountsOptions{Box: "box.fullfrontend.be", Domain: "fullfrontend.be", File: out, Out: &report})
	if err != nil {
		t.Fatal(err)
	}
	got := readJSON(t, out)
	wantUsers := map[string]any{
		"alice":          map[string]any{"display_name": "Alice Martin", "admin": true, "quota_mb": 0.0, "enabled": true},
		"bob":            map[string]any{"display_name": "", "admin": false, "quota_mb": 10240.0, "enabled": true, "note": "asked for more"},
		"carol":          map[string]any{"display_name": "Carol", "admin": false, "quota_mb": 0.0, "enabled": true},
		"chantal.dupont": map[string]any{"display_name": "", "admin": false, "quota_mb": 2.0, "enabled": true},
		"old":            map[string]any{"display_name": "", "admin": false, "quota_mb": 0.0, "enabled": false},
	}
	wantAliases := map[string]any{
		"contact":  map[string]any{"destinations": []any{"alice"}},
		"ventes":   map[string]any{"destinations": []any{"carol"}},
		"factures": map[string]any{"destinations": []any{"bob", "chantal.dupont"}},
		// Expanded from the box's contact (the file's own version of
		// contact is kept for contact itself).
		"equipe": map[string]any{"destinations": []any{"alice", "bob@gmail.com", "old"}},
	}
	if !reflect.DeepEqual(got["mail_users"], wantUsers) || !reflect.DeepEqual(got["mail_aliases"], wantAliases) ||
		!reflect.DeepEqual(got["mail_extra"], map[string]any{"keep": "me"}) {
		t.Fatalf("merged file:\n%v", got)
	}
	if rep.UsersNew != 2 || rep.AliasesNew != 2 || len(rep.Changed) != 2 || !reflect.DeepEqual(rep.KeptUsers, []string{"carol"}) || !reflect.DeepEqual(rep.KeptAliases, []string{"ventes"}) {
		t.Fatalf("report %+v", rep)
	}
	for _, line := range []string{
		"user bob: quota_mb 5120 on the box, 10240 in the file",
		"alias contact: destinations [alice bob@gmail.com] on the box, [alice] in the file",
		"user carol is in the file but not on Mail-in-a-Box: kept",
		": 5 user(s), 4 alias(es)",
	} {
		if !strings.Contains(report.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, report.String())
		}
	}
	// A second run changes nothing in the file.
	before, _ := os.ReadFile(out)
	if _, err := WriteAccounts(users, aliases, AccountsOptions{Box: "box.fullfrontend.be", Domain: "fullfrontend.be", File: out}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Fatalf("second run changed the file:\n%s\n---\n%s", before, after)
	}

	t.Run("a damaged file is not overwritten", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "f.json")
		if err := os.WriteFile(p, []byte(`{"mail_users": [1, 2]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := WriteAccounts(users, aliases, AccountsOptions{Box: "box.fullfrontend.be", Domain: "fullfrontend.be", File: p}); err == nil || !strings.Contains(err.Error(), "nothing was written") {
			t.Fatalf("err %v", err)
		}
		if b, _ := os.ReadFile(p); string(b) != `{"mail_users": [1, 2]}` {
			t.Fatalf("file changed: %s", b)
		}
	})
}

func TestAccountsRefusals(t *testing.T) {
	users, aliases := fetchFake(t, miabUsersJSON, miabAliasesJSON)
	other := append(append([]MiaBUser{}, users...), MiaBUser{Email: "jean@client.be", Status: "active", Privileges: json.RawMessage(`[]`)})
	otherAlias := append(append([]MiaBAlias{}, aliases...), MiaBAlias{Address: "info@client.be", ForwardsTo: []string{"jean@client.be"}})
	catchAll := append(append([]MiaBAlias{}, aliases...), MiaBAlias{Address: "@fullfrontend.be", ForwardsTo: []string{"alice@fullfrontend.be"}})
	for _, tc := range []struct {
		name    string
		users   []MiaBUser
		aliases []MiaBAlias
		opts    AccountsOptions
		err     string
		skipped string // with the flag: this address skipped
	}{
		{name: "other domains", users: other, aliases: otherAlias, err: "2 address(es) on other domains than fullfrontend.be, which the stack does not hold: jean@client.be (user), info@client.be (alias)",
			opts: AccountsOptions{SkipOtherDomains: true}, skipped: "skipped jean@client.be: user on another domain"},
		{name: "catch-all", users: users, aliases: catchAll, err: "1 alias(es) the stack's shape cannot hold: @fullfrontend.be (catch-all or domain alias)",
			opts: AccountsOptions{SkipUnsupported: true}, skipped: "skipped @fullfrontend.be: catch-all"},
		{name: "invalid local part", users: append(append([]MiaBUser{}, users...), MiaBUser{Email: "a..b@fullfrontend.be", Status: "active"}), aliases: aliases,
			err: "a..b@fullfrontend.be; rename them on the box"},
		{name: "user and alias at one address", users: users, aliases: append(append([]MiaBAlias{}, aliases...), MiaBAlias{Address: "bob@fullfrontend.be", ForwardsTo: []string{"x@y.be"}}),
			err: "bob@fullfrontend.be is both a user and an alias"},
		{name: "alias to the box's host name without such a mailbox", users: users, aliases: append(append([]MiaBAlias{}, aliases...),
			MiaBAlias{Address: "webmaster@fullfrontend.be", ForwardsTo: []string{"nobody@box.fullfrontend.be"}}),
			err: "1 alias(es) forward to an address of the box's own host name box.fullfrontend.be, which goes away with the box, and no mailbox of fullfrontend.be has its local part: webmaster@fullfrontend.be (forwards to nobody@box.fullfrontend.be)"},
		{name: "aliases in a loop", users: users, aliases: append(append([]MiaBAlias{}, aliases...),
			MiaBAlias{Address: "ventes@fullfrontend.be", ForwardsTo: []string{"devis@fullfrontend.be"}},
			MiaBAlias{Address: "devis@fullfrontend.be", ForwardsTo: []string{"ventes@fullfrontend.be"}}),
			err: "aliases loop on Mail-in-a-Box: devis@fullfrontend.be -> ventes@fullfrontend.be -> devis@fullfrontend.be"},
		{name: "the same user twice", users: append(append([]MiaBUser{}, users...), MiaBUser{Email: "Bob@fullfrontend.be", Status: "active"}), aliases: aliases,
			err: "counts do not add up, nothing was written: users 5 on Mail-in-a-Box, 4 to write + 0 skipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "f.json")
			_, err := WriteAccounts(tc.users, tc.aliases, AccountsOptions{Box: "box.fullfrontend.be", Domain: "fullfrontend.be", File: out})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("the file was written despite the refusal")
			}
			if tc.skipped == "" {
				return
			}
			var report strings.Builder
			o := tc.opts
			o.Box, o.Domain, o.File, o.Out = "box.fullfrontend.be", "fullfrontend.be", out, &report
			if _, err := WriteAccounts(tc.users, tc.aliases, o); err != nil {
				t.Fatalf("with the flag: %v", err)
			}
			if !strings.Contains(report.String(), tc.skipped) {
				t.Fatalf("report lacks %q:\n%s", tc.skipped, report.String())
			}
		})
	}
}

func TestQuotaMB(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{`"0"`, 0, false}, {`"500M"`, 500, false}, {`"5G"`, 5120, false}, {`"5g"`, 5120, false},
		{`"1048576"`, 1, false}, {`"1048577"`, 2, false}, {`12`, 1, false}, {``, 0, false},
		{`"5 G"`, 0, true}, {`"1.5G"`, 0, true}, {`"5T"`, 0, true}, {`true`, 0, true},
	} {
		got, err := quotaMB(json.RawMessage(tc.in))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("quotaMB(%s) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestValidLocalPart(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"alice", true}, {"chantal.dupont", true}, {"o'brien", true}, {"a+tag", false},
		{"Alice", false}, {"a..b", false}, {".a", false}, {"a.", false}, {"a b", false}, {"", false},
		{"é", false}, {strings.Repeat("a", 65), false},
	} {
		if got := validLocalPart(tc.in); got != tc.ok {
			t.Errorf("validLocalPart(%q) = %v", tc.in, got)
		}
	}
}

// Forwards as Mail-in-a-Box gives them: to an internationalised domain in
// Unicode, and to a user's address on the box's own host name.
func TestAccountsRewritesForwards(t *testing.T) {
	users, aliases := fetchFake(t, miabUsersJSON, miabAliasesJSON)
	aliases = append(aliases,
		MiaBAlias{Address: "devis@fullfrontend.be", ForwardsTo: []string{"jean@exämple.be"}},
		MiaBAlias{Address: "webmaster@fullfrontend.be", ForwardsTo: []string{"alice@box.fullfrontend.be"}})
	out := filepath.Join(t.TempDir(), "f.json")
	var report strings.Builder
	if _, err := WriteAccounts(users, aliases, AccountsOptions{Box: "box.fullfrontend.be", Domain: "fullfrontend.be", File: out, Out: &report}); err != nil {
		t.Fatal(err)
	}
	got := readJSON(t, out)["mail_aliases"].(map[string]any)
	for alias, want := range map[string][]any{"devis": {"jean@xn--exmple-cua.be"}, "webmaster": {"alice"}} {
		if d := got[alias].(map[string]any)["destinations"]; !reflect.DeepEqual(d, want) {
			t.Errorf("%s: destinations %v, want %v", alias, d, want)
		}
	}
	for _, line := range []string{
		"devis@fullfrontend.be forwards to jean@exämple.be: written with the domain's ASCII form xn--exmple-cua.be",
		"webmaster@fullfrontend.be forwards to alice@box.fullfrontend.be, on the box's host name: written as alice@fullfrontend.be",
	} {
		if !strings.Contains(report.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, report.String())
		}
	}
}
