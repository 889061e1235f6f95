package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrateDNSCommand(t *testing.T) {
	dir := t.TempDir()
	zone := filepath.Join(dir, "fullfrontend.be.txt")
	doctor := filepath.Join(dir, "doctor.json")
	out := filepath.Join(dir, "extra.auto.tfvars.json")
	files := map[string]string{
		zone:   "$ORIGIN fullfrontend.be.\n$TTL 3600\n@ IN SOA ns1.box.fullfrontend.be. hostmaster.box.fullfrontend.be. 1 7200 3600 1209600 3600\n@ IN NS ns1.box.fullfrontend.be.\n@ IN A 198.51.100.20\n@ IN TXT \"google-site-verification=abc\"\n",
		doctor: `{"environment":"prod","root_domain":"fullfrontend.be","name_servers":["ns1.digitalocean.com"],"load_balancer_hostname":"lb.fullfrontend.be","hosts":["fullfrontend.be"],"mail_host":"","dns_records":[]}`,
	}
	for p, s := range files {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		want string
		fail bool
	}{
		{"first run", []string{"--zone-file", zone, "--expect", doctor, "--out", out}, "before: 4 records in the zone = 1 replaced by the stack + 2 dropped + 1 kept", false},
		{"second run", []string{"--zone-file", zone, "--expect", doctor, "--out", out}, out + ": unchanged", false},
		{"no zone file", []string{"--expect", doctor, "--out", out}, "give --zone-file", true},
		{"missing doctor.json", []string{"--zone-file", zone, "--expect", filepath.Join(dir, "none.json"), "--out", out}, "APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := migrateDNSCmd()
			var buf bytes.Buffer
			cmd.SetOut(&buf)
			cmd.SetErr(&buf)
			cmd.SetArgs(tt.args)
			err := cmd.Execute()
			if (err != nil) != tt.fail {
				t.Fatalf("error %v, want failure %v\n%s", err, tt.fail, buf.String())
			}
			got := buf.String()
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("want %q in:\n%s", tt.want, got)
			}
		})
	}
}
