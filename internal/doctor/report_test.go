package doctor

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	r := &Report{Environment: "prod", RootDomain: "fullfrontend.be", CheckedAt: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), Checks: []Check{
		{Group: GroupDNS, Name: "MX fullfrontend.be", Status: OK, Detail: "answers \"10 mail.fullfrontend.be\""},
		{Group: GroupTLS, Name: "https n8n.fullfrontend.be", Status: Warning, Detail: "expires in 10 days (2026-03-20): renewal is late", Fix: "read kubectl get certificate -A"},
		{Group: GroupMail, Name: "port 25 (smtp)", Status: Error, Detail: "no SMTP 220 greeting:\nanswered 554", Fix: "check the\tload balancer"},
	}}
	r.summarize()
	return r
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	// Header, 3 checks, 2 fixes (none for the ok check), blank, summary.
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	detailCol := strings.Index(lines[0], "DETAIL")
	for _, want := range []struct {
		line                  int
		status, check, detail string
	}{
		{1, "ok", "MX fullfrontend.be", `answers "10 mail.fullfrontend.be"`},
		{2, "WARNING", "https n8n.fullfrontend.be", "expires in 10 days"},
		{4, "ERROR", "port 25 (smtp)", "no SMTP 220 greeting: answered 554"},
	} {
		row := lines[want.line]
		if !strings.HasPrefix(row, want.status+" ") || !strings.Contains(row, want.check) || strings.Index(row, want.detail) != detailCol {
			t.Errorf("row %q: want %s / %s / %q in the DETAIL column (%d)", row, want.status, want.check, want.detail, detailCol)
		}
	}
	for _, i := range []int{3, 5} {
		if strings.Index(lines[i], "-> fix: ") != detailCol {
			t.Errorf("fix line %q is not under DETAIL", lines[i])
		}
	}
	if !strings.Contains(lines[5], "check the load balancer") {
		t.Errorf("tab in a fix not flattened: %q", lines[5])
	}
	if lines[7] != "prod fullfrontend.be: 1 ok, 1 warnings, 1 errors" {
		t.Errorf("summary %q", lines[7])
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Environment string `json:"environment"`
		CheckedAt   string `json:"checked_at"`
		Checks      []map[string]any
		Summary     map[string]int
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if got.Environment != "prod" || got.CheckedAt != "2026-03-10T12:00:00Z" || len(got.Checks) != 3 {
		t.Errorf("report %+v", got)
	}
	if got.Summary["ok"] != 1 || got.Summary["warnings"] != 1 || got.Summary["errors"] != 1 {
		t.Errorf("summary %v", got.Summary)
	}
	if _, ok := got.Checks[0]["fix"]; ok {
		t.Errorf("an ok check carries a fix: %v", got.Checks[0])
	}
	if got.Checks[2]["status"] != "error" || got.Checks[2]["group"] != "mail" || got.Checks[2]["fix"] == "" {
		t.Errorf("error check %v", got.Checks[2])
	}
}

func TestParseExpect(t *testing.T) {
	t.Parallel()
	e := testExpect(t)
	if e.RootDomain != "fullfrontend.be" || len(e.DNSRecords) != 7 || e.Backups.Databases[0].BackupCronJob != "postgres-backup" {
		t.Errorf("parsed %+v", e)
	}
	if got := e.namespaces(); strings.Join(got, ",") != "data,registry,wordpress" {
		t.Errorf("namespaces %v", got)
	}
	// `tofu output -json` without a name wraps each output in value.
	wrapped := `{"sensitive": false, "type": ["object", {}], "value": ` + testExpectJSON + `}`
	if w, err := ParseExpect([]byte(wrapped)); err != nil || w.MailHost != "mail.fullfrontend.be" {
		t.Errorf("wrapped: %v %+v", err, w)
	}
	upper := strings.Replace(testExpectJSON, `"mail_host": "mail.fullfrontend.be"`, `"mail_host": "Mail.FullFrontend.be."`, 1)
	if u, err := ParseExpect([]byte(upper)); err != nil || u.MailHost != "mail.fullfrontend.be" {
		t.Errorf("names not normalized: %v %q", err, u.MailHost)
	}
	bad := []struct{ name, doc, wantErr string }{
		{"not JSON", "{", "not a JSON object"},
		{"another output", `{"app_env": "prod", "root_domain": "x.be"}`, "missing keys environment, name_servers"},
		{"empty root domain", strings.Replace(testExpectJSON, `"root_domain": "fullfrontend.be"`, `"root_domain": ""`, 1), "root_domain is empty"},
		{"record without type", strings.Replace(testExpectJSON, `"recordType": "MX"`, `"recordType": ""`, 1), "dns_records[0] needs dnsName and recordType"},
		{"wrong type", strings.Replace(testExpectJSON, `"hosts": [`, `"hosts": 3, "x": [`, 1), "decode"},
	}
	for _, tt := range bad {
		_, err := ParseExpect([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "tofu-secrets.sh output -json doctor") {
			t.Errorf("%s: want an error with %q and how to remake the file, got %v", tt.name, tt.wantErr, err)
		}
	}
	if _, err := LoadExpect(filepath.Join(t.TempDir(), "absent.json")); err == nil || !strings.Contains(err.Error(), "tofu-secrets.sh output") {
		t.Errorf("absent file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "doctor.json")
	if err := os.WriteFile(p, []byte(testExpectJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadExpect(p); err != nil {
		t.Error(err)
	}
}

func TestRunRejectsUnknownGroup(t *testing.T) {
	t.Parallel()
	if _, err := Run(t.Context(), Options{Expect: testExpect(t), Groups: []string{"dsn"}}); err == nil || !strings.Contains(err.Error(), `unknown check group "dsn"`) {
		t.Errorf("got %v", err)
	}
}
