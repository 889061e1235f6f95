package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrateContactsResolve(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(export, []byte("id,email\n1,a@b.be\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{mauticUserEnv: "migration", mauticPasswordEnv: "mautic-pw", twentyAPIKeyEnv: "key"}
	getenv := func(k string) string { return env[k] }
	ok := migrateContactsOptions{mauticURL: "https://mautic.fullfrontend.be", mauticPageSize: 100, crm: "crm.fullfrontend.be",
		phoneCountry: "BE", companies: true, batchSize: 50}
	opts, err := ok.resolve(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Mautic == nil || opts.Mautic.User != "migration" || opts.Mautic.Password != "mautic-pw" || opts.Target.URL != "https://crm.fullfrontend.be" ||
		opts.Target.APIKey != "key" || !opts.Companies || opts.BatchSize != 50 || opts.PhoneCountry != "BE" {
		t.Errorf("options: %+v %+v", opts, opts.Mautic)
	}
	tests := []struct {
		name  string
		edit  func(*migrateContactsOptions)
		unset string
		want  string
	}{
		{"no source", func(o *migrateContactsOptions) { o.mauticURL = "" }, "", "give the source"},
		{"two sources", func(o *migrateContactsOptions) { o.csv = export }, "", "not both"},
		{"missing export", func(o *migrateContactsOptions) { o.mauticURL, o.csv = "", filepath.Join(dir, "none.csv") }, "", "--csv"},
		{"http to Mautic", func(o *migrateContactsOptions) { o.mauticURL = "http://mautic.fullfrontend.be" }, "", "in clear"},
		{"credentials in the URL", func(o *migrateContactsOptions) { o.mauticURL = "https://u:p@mautic.fullfrontend.be" }, "", "from the environment"},
		{"no Mautic password", func(*migrateContactsOptions) {}, mauticPasswordEnv, "MAUTIC_PASSWORD"},
		{"no API key", func(*migrateContactsOptions) {}, twentyAPIKeyEnv, "TWENTY_API_KEY"},
		{"bad crm", func(o *migrateContactsOptions) { o.crm = "https://crm.fullfrontend.be" }, "", "not a host name"},
		{"http to Twenty", func(o *migrateContactsOptions) { o.twentyURL = "http://crm.fullfrontend.kube" }, "", "--allow-http"},
		{"bad country", func(o *migrateContactsOptions) { o.phoneCountry = "Belgium" }, "", "ISO code"},
		{"batch too big", func(o *migrateContactsOptions) { o.batchSize = 500 }, "", "--batch-size 500"},
		{"page too small", func(o *migrateContactsOptions) { o.mauticPageSize = 1 }, "", "--mautic-page-size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			get := func(k string) string {
				if k == tt.unset {
					return ""
				}
				return env[k]
			}
			if _, err := o.resolve(get); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want an error with %q, got %v", tt.want, err)
			}
		})
	}
	// What is allowed: the export alone, http to the dev cluster when asked.
	o := ok
	o.mauticURL, o.csv, o.twentyURL, o.allowHTTP = "", export, "http://crm.fullfrontend.kube", true
	if opts, err := o.resolve(func(k string) string {
		if k == twentyAPIKeyEnv {
			return "key"
		}
		return ""
	}); err != nil || opts.CSV != export || opts.Mautic != nil || opts.Target.URL != "http://crm.fullfrontend.kube" {
		t.Errorf("CSV source to the dev cluster: %+v %v", opts, err)
	}
}

// TestMigrateContactsCommand runs `infra migrate contacts --dry-run` from
// an export against an empty CRM answering Twenty's list shape: the flags
// and the environment reach the migration. The migration itself is tested
// in internal/contactsmigrate.
func TestMigrateContactsCommand(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer cmd-test-key" || r.Method != http.MethodGet {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		object := strings.TrimPrefix(r.URL.Path, "/rest/")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"` + object + `":[]},"pageInfo":{"hasNextPage":false,"startCursor":null,"endCursor":null},"totalCount":0}`))
	}))
	defer crm.Close()
	export := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(export, []byte("id,firstname,lastname,email,company,phone\n1,Zoë,Dupont,zoe@exemple.be,Acme,0470 12 34 56\n2,Jean,Peeters,JEAN@exemple.be,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(twentyAPIKeyEnv, "cmd-test-key")
	cmd := migrateCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"contacts", "--csv", export, "--twenty-url", crm.URL, "--dry-run"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"2 contacts: 2 with e-mail", "would create company \"Acme\"", "would create Jean Peeters <jean@exemple.be> (Mautic 2)", "dry run: would create 1 company and 2 people"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
