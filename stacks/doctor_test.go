package stacks

import (
	"encoding/json"
	"slices"
	"testing"

	"fullfrontend.be/infra/internal/doctor"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// TestDoctorOutputIsWhatTheToolReads: the stack's doctor output, as planned
// in prod with every secret given (so that the DKIM record is known), is
// accepted by infra doctor's reader and says what the platform publishes.
func TestDoctorOutputIsWhatTheToolReads(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	platform := initStack(t, e, "platform")
	out := platform.planOutputs(t, append([]string{"app_env=prod"}, sopsVars...)...)
	raw, err := json.Marshal(out["doctor"])
	if err != nil {
		t.Fatal(err)
	}
	exp, err := doctor.ParseExpect(raw)
	if err != nil {
		t.Fatalf("infra doctor refuses the stack's doctor output: %v\n%s", err, raw)
	}
	if exp.MailHost != "mail.fullfrontend.be" || exp.LoadBalancerHostname != "lb.fullfrontend.be" {
		t.Errorf("mail_host %q, load_balancer_hostname %q", exp.MailHost, exp.LoadBalancerHostname)
	}
	for _, h := range []string{"fullfrontend.be", "mail.fullfrontend.be", "autoconfig.fullfrontend.be", "cloud.fullfrontend.be", "grafana.fullfrontend.be"} {
		if !slices.Contains(exp.Hosts, h) {
			t.Errorf("hosts lacks %s: %v", h, exp.Hosts)
		}
	}
	types := map[string]bool{}
	for _, r := range exp.DNSRecords {
		types[r.RecordType] = true
	}
	for _, ty := range []string{"MX", "TXT", "SRV", "CAA"} {
		if !types[ty] {
			t.Errorf("dns_records has no %s record: %v", ty, exp.DNSRecords)
		}
	}
	if !slices.Contains(exp.Backups.VeleroSchedules, "mailu-daily") || len(exp.Backups.Databases) != 2 {
		t.Errorf("backups: %+v", exp.Backups)
	}
}
