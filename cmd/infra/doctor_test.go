package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/certtest"
)

const doctorJSON = `{
  "environment": "prod", "root_domain": "fullfrontend.be",
  "name_servers": ["ns1.digitalocean.com"], "load_balancer_hostname": "lb.fullfrontend.be",
  "hosts": ["fullfrontend.be", "n8n.fullfrontend.be"], "mail_host": "",
  "dns_records": [],
  "backups": {"s3": {"endpoint": "https://fra1.digitaloceanspaces.com", "bucket": "b", "region": "fra1"},
              "databases": [], "velero_namespace": "infra", "velero_schedules": []},
  "app_namespaces": {}
}`

// httpsServer serves cert for every name on 127.0.0.1.
func httpsServer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

func runDoctor(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := doctorCmd()
	// As under the root command, which prints the error itself.
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestDoctorCommand(t *testing.T) {
	dir := t.TempDir()
	expect := filepath.Join(dir, "doctor.json")
	if err := os.WriteFile(expect, []byte(doctorJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := certtest.NewCA(t, "Test Root")
	caFile := ca.WritePEM(t, dir)
	names := []string{"fullfrontend.be", "n8n.fullfrontend.be"}
	valid := httpsServer(t, ca.Issue(t, certtest.Leaf{DNSNames: names}))
	soon := httpsServer(t, ca.Issue(t, certtest.Leaf{DNSNames: names, NotAfter: time.Now().Add(10 * 24 * time.Hour)}))
	expired := httpsServer(t, ca.Issue(t, certtest.Leaf{DNSNames: names, NotBefore: time.Now().AddDate(0, -3, 0), NotAfter: time.Now().Add(-time.Hour)}))
	base := []string{"--expect", expect, "--only", "tls", "--ca", caFile}

	tests := []struct {
		name     string
		args     []string
		exitCode int // 0: no error; -1: a usage error (no exit code of its own)
		output   []string
		wantErr  string
	}{
		{name: "all ok", args: append(base, "--https-addr", valid), output: []string{"ok tls https fullfrontend.be valid until", "prod fullfrontend.be: 2 ok, 0 warnings, 0 errors"}},
		{name: "warnings exit 0", args: append(base, "--https-addr", soon), output: []string{"WARNING tls https n8n.fullfrontend.be expires in 10 days", "-> fix: cert-manager issues it", "0 ok, 2 warnings, 0 errors"}},
		{name: "an error exits 1", args: append(base, "--https-addr", expired), exitCode: 1, output: []string{"ERROR tls https fullfrontend.be expired on"}, wantErr: "2 check(s) in error"},
		{name: "judged at --now", args: append(base, "--https-addr", valid, "--now", time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339)), exitCode: 1, output: []string{"expired on"}},
		{name: "no --expect", args: []string{"--only", "tls"}, exitCode: -1, wantErr: "give --expect doctor.json"},
		{name: "absent doctor.json", args: []string{"--expect", filepath.Join(dir, "nope.json")}, exitCode: -1, wantErr: "tofu-secrets.sh output -json doctor"},
		{name: "unknown group", args: []string{"--expect", expect, "--only", "dsn"}, exitCode: -1, wantErr: `unknown check group "dsn"`},
		{name: "bad --now", args: append(base, "--now", "yesterday"), exitCode: -1, wantErr: "is not an RFC 3339 time"},
		{name: "bad --mail-ports", args: append(base, "--mail-ports", "25,465"), exitCode: -1, wantErr: "want four ports"},
		{name: "bad --ca", args: []string{"--expect", expect, "--ca", expect}, exitCode: -1, wantErr: "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runDoctor(t, tt.args...)
			var ec interface{ ExitCode() int }
			switch {
			case tt.exitCode == 0 && err != nil:
				t.Fatalf("error %v\n%s", err, out)
			case tt.exitCode > 0 && (err == nil || !asExit(err, &ec) || ec.ExitCode() != tt.exitCode):
				t.Fatalf("want exit code %d, got %v\n%s", tt.exitCode, err, out)
			case tt.exitCode < 0 && (err == nil || asExit(err, &ec)):
				t.Fatalf("want a plain error, got %v", err)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q lacks %q", err, tt.wantErr)
			}
			// Column widths depend on the names: compare with single spaces.
			flat := strings.Join(strings.Fields(out), " ")
			for _, o := range tt.output {
				if !strings.Contains(flat, o) {
					t.Errorf("output lacks %q:\n%s", o, out)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		out, err := runDoctor(t, append(base, "--https-addr", expired, "--json")...)
		var ec interface{ ExitCode() int }
		if err == nil || !asExit(err, &ec) || ec.ExitCode() != 1 {
			t.Fatalf("want exit code 1, got %v", err)
		}
		var rep struct {
			Checks []struct {
				Group, Name, Status, Detail, Fix string
			}
			Summary struct{ OK, Warnings, Errors int }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if len(rep.Checks) != 2 || rep.Summary.Errors != 2 || rep.Checks[0].Status != "error" || rep.Checks[0].Fix == "" {
			t.Errorf("report %+v", rep)
		}
	})
}
