package stacks

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/smtpsink"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// The relay login secretVars give the stack, which Alertmanager must use.
const (
	testRelayUser     = "test-relay-user"
	testRelayPassword = "test-relay-password"
	testAlertEmail    = "ops@example.com"
	// Where the Prometheus operator reads the configuration of the chart's
	// Alertmanager (kube-prometheus-stack-alertmanager).
	alertmanagerSecret = "alertmanager-kube-prometheus-stack-alertmanager"
)

// checkAlerts runs the real tools on what the plan gives Alertmanager and
// Prometheus: amtool on the configuration and its routes, promtool on the
// platform's rules and their unit tests (modules/monitoring/tests), and,
// when deliver is set, a real Alertmanager on loopback that must mail the
// critical alerts through the relay's login, hold back what a dead node
// causes, and call the heartbeat.
func checkAlerts(t *testing.T, p *planscan.Plan, heartbeat, deliver bool) {
	cfg := alertmanagerConfig(t, p)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "alertmanager.yaml")
	writeFile(t, cfgFile, cfg)
	amtool := testenv.Tool(t, "amtool")

	t.Run("chart reads our configuration", func(t *testing.T) {
		// The operator reads alertmanager-<name of the Alertmanager
		// object>; the chart must not render a Secret of that name too
		// (Helm and OpenTofu would overwrite each other).
		var names []string
		for _, m := range p.Rendered {
			switch m.Kind() {
			case "Alertmanager":
				names = append(names, fmt.Sprint(dig(m.Object, "metadata", "name")))
				if cs := dig(m.Object, "spec", "configSecret"); cs != nil {
					t.Errorf("%s: spec.configSecret = %v: the operator would not read %s", m.Address, cs, alertmanagerSecret)
				}
			case "Secret":
				if dig(m.Object, "metadata", "name") == alertmanagerSecret {
					t.Errorf("%s: the chart renders %s as well (alertmanager.alertmanagerSpec.useExistingSecret is off)", m.Address, alertmanagerSecret)
				}
			}
		}
		if !slices.Equal(names, []string{strings.TrimPrefix(alertmanagerSecret, "alertmanager-")}) {
			t.Errorf("rendered Alertmanager objects %q: want one whose configuration Secret is %s", names, alertmanagerSecret)
		}
	})
	t.Run("amtool check-config", func(t *testing.T) {
		out, err := exec.Command(amtool, "check-config", cfgFile).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Fatalf("amtool check-config: %v\n%s", err, out)
		}
	})
	t.Run("routes", func(t *testing.T) {
		watchdog := "null"
		if heartbeat {
			watchdog = "heartbeat"
		}
		for _, tc := range []struct {
			labels []string
			want   string
		}{
			{[]string{"alertname=VeleroBackupFailed", "severity=critical"}, "operators-critical"},
			{[]string{"alertname=KubeNodeNotReady", "severity=warning"}, "operators-critical"},
			{[]string{"alertname=KubeNodeUnreachable", "severity=warning"}, "operators-critical"},
			{[]string{"alertname=CertificateExpiringSoon", "severity=warning"}, "operators-digest"},
			{[]string{"alertname=SomethingWithoutSeverity"}, "operators-digest"},
			{[]string{"alertname=KubeQuotaAlmostFull", "severity=info"}, "null"},
			{[]string{"alertname=InfoInhibitor", "severity=none"}, "null"},
			{[]string{"alertname=Watchdog", "severity=none"}, watchdog},
		} {
			args := append([]string{"config", "routes", "test", "--config.file=" + cfgFile}, tc.labels...)
			out, err := exec.Command(amtool, args...).CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != tc.want {
				t.Errorf("amtool config routes test %s: got %q (%v), want %s", strings.Join(tc.labels, " "), got, err, tc.want)
			}
		}
	})
	t.Run("promtool test rules", func(t *testing.T) { checkRules(t, p) })
	if deliver {
		t.Run("delivery", func(t *testing.T) { checkDelivery(t, cfg, heartbeat) })
	}
}

// alertmanagerConfig is alertmanager.yaml from the plan's Secret.
func alertmanagerConfig(t *testing.T, p *planscan.Plan) []byte {
	t.Helper()
	for _, m := range p.Manifests {
		if m.Kind() == "Secret" && dig(m.Object, "metadata", "name") == alertmanagerSecret {
			enc, _ := dig(m.Object, "data", "alertmanager.yaml").(string)
			cfg, err := base64.StdEncoding.DecodeString(enc)
			if err != nil || len(cfg) == 0 {
				t.Fatalf("%s: data.alertmanager.yaml is not base64 of a configuration: %v", m.Address, err)
			}
			return cfg
		}
	}
	t.Fatalf("the plan has no Secret %s (modules/monitoring/notifications.tf)", alertmanagerSecret)
	return nil
}

// checkRules runs modules/monitoring/tests/alerts_test.yaml against the
// PrometheusRule of the plan, after checking that every alert it defines
// has a case that fires and one that stays silent.
func checkRules(t *testing.T, p *planscan.Plan) {
	var groups any
	for _, m := range p.Manifests {
		if m.Kind() == "PrometheusRule" && dig(m.Object, "metadata", "name") == "platform-alerts" {
			groups = dig(m.Object, "spec", "groups")
		}
	}
	if groups == nil {
		t.Fatal("the plan has no PrometheusRule platform-alerts")
	}
	rules, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	testFile := filepath.Join(root, "modules", "monitoring", "tests", "alerts_test.yaml")
	tests, err := os.ReadFile(testFile)
	if err != nil {
		t.Fatal(err)
	}
	checkRuleCoverage(t, rules, tests)

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), rules)
	writeFile(t, filepath.Join(dir, "alerts_test.yaml"), tests)
	cmd := exec.Command(testenv.Tool(t, "promtool"), "test", "rules", "alerts_test.yaml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules %s: %v\n%s", testFile, err, out)
	}
}

func checkRuleCoverage(t *testing.T, rules, tests []byte) {
	t.Helper()
	var r struct {
		Groups []struct {
			Rules []struct{ Alert string }
		}
	}
	var u struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string
				ExpAlerts []any `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		}
	}
	if err := yaml.Unmarshal(rules, &r); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(tests, &u); err != nil {
		t.Fatalf("alerts_test.yaml: %v", err)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range u.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			n++
			if !fires[rule.Alert] || !silent[rule.Alert] {
				t.Errorf("alert %s needs a case where it fires and one where it stays silent in modules/monitoring/tests/alerts_test.yaml (fires: %v, silent: %v)", rule.Alert, fires[rule.Alert], silent[rule.Alert])
			}
		}
	}
	if n == 0 {
		t.Error("the PrometheusRule platform-alerts has no alert")
	}
}

// checkDelivery starts Alertmanager with the plan's configuration, its
// relay and heartbeat pointed at loopback stand-ins, and sends it what a
// dead node looks like: the node's alert, fifty pods and ten targets that
// went with it, a failed backup, and the Watchdog.
func checkDelivery(t *testing.T, cfg []byte, heartbeat bool) {
	relay := smtpsink.Start(t, testRelayUser, testRelayPassword)
	var mu sync.Mutex
	var pings []string
	hb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		pings = append(pings, string(body))
		mu.Unlock()
	}))
	t.Cleanup(hb.Close)

	// Only the two destinations change: no mail provider nor heartbeat
	// service can be reached from here, and the stand-in speaks no TLS.
	var c map[string]any
	if err := yaml.Unmarshal(cfg, &c); err != nil {
		t.Fatal(err)
	}
	global := c["global"].(map[string]any)
	if global["smtp_auth_username"] != testRelayUser || global["smtp_auth_password"] != testRelayPassword || global["smtp_smarthost"] != "smtp.relay.example:587" {
		t.Errorf("global: Alertmanager does not log in to the relay [smtp.relay.example]:587 as Mailu does: %v", global)
	}
	global["smtp_smarthost"] = relay.Addr
	global["smtp_require_tls"] = false
	for _, r := range c["receivers"].([]any) {
		for _, w := range asSlice(dig(r, "webhook_configs")) {
			w.(map[string]any)["url"] = hb.URL
		}
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "alertmanager.yaml")
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfgFile, out)

	am := startAlertmanager(t, cfgFile, dir)
	now := time.Now().UTC()
	alert := func(labels ...string) map[string]any {
		l := map[string]string{}
		for i := 0; i < len(labels); i += 2 {
			l[labels[i]] = labels[i+1]
		}
		return map[string]any{"labels": l, "startsAt": now.Format(time.RFC3339), "annotations": map[string]string{"summary": l["alertname"]}}
	}
	alerts := []any{
		alert("alertname", "KubeNodeNotReady", "severity", "warning", "node", "pool-a-1", "namespace", "monitoring"),
		alert("alertname", "VeleroBackupFailed", "severity", "critical", "schedule", "daily", "namespace", "monitoring"),
		alert("alertname", "Watchdog", "severity", "none", "namespace", "monitoring"),
	}
	var caused int
	for i := range 50 {
		alerts = append(alerts, alert("alertname", "KubePodNotReady", "severity", "warning", "namespace", fmt.Sprintf("app-%d", i%5), "pod", fmt.Sprintf("pod-%d", i)))
		caused++
	}
	for i := range 10 {
		alerts = append(alerts, alert("alertname", "TargetDown", "severity", "warning", "namespace", "infra", "job", fmt.Sprintf("job-%d", i)))
		caused++
	}
	body, _ := json.Marshal(alerts)
	resp, err := http.Post(am+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}

	// The critical route waits 30 s to group; give it time to send.
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) && (len(relay.Messages()) < 2 || (heartbeat && len(snapshot(&mu, &pings)) == 0)) {
		time.Sleep(time.Second)
	}
	// A little longer: nothing else may arrive.
	time.Sleep(5 * time.Second)

	var subjects []string
	for _, m := range relay.Messages() {
		subjects = append(subjects, header(m.Data, "Subject"))
		if !slices.Equal(m.To, []string{testAlertEmail}) || !strings.HasPrefix(m.From, "alertmanager@") {
			t.Errorf("mail from %s to %v, want from alertmanager@<root_domain> to %s", m.From, m.To, testAlertEmail)
		}
	}
	t.Logf("mails through the relay: %d %q; refused at the relay: %q", len(subjects), subjects, relay.Refused())
	if len(subjects) != 2 || !anyContains(subjects, "KubeNodeNotReady") || !anyContains(subjects, "VeleroBackupFailed") {
		t.Errorf("want two mails, the dead node and the failed backup, got %d: %q", len(subjects), subjects)
	}
	if len(relay.Refused()) > 0 {
		t.Errorf("the relay refused Alertmanager: %q", relay.Refused())
	}

	var states []struct {
		Labels map[string]string
		Status struct {
			State       string
			InhibitedBy []string `json:"inhibitedBy"`
		}
	}
	getJSON(t, am+"/api/v2/alerts", &states)
	inhibited := 0
	for _, a := range states {
		if (a.Labels["alertname"] == "KubePodNotReady" || a.Labels["alertname"] == "TargetDown") && a.Status.State == "suppressed" && len(a.Status.InhibitedBy) > 0 {
			inhibited++
		}
	}
	t.Logf("alerts held back by the dead node: %d of %d", inhibited, caused)
	if inhibited != caused {
		t.Errorf("%d of the %d warnings a dead node causes are inhibited, want all", inhibited, caused)
	}

	pinged := snapshot(&mu, &pings)
	switch {
	case heartbeat && (len(pinged) == 0 || !strings.Contains(pinged[0], `"Watchdog"`)):
		t.Errorf("the heartbeat got no Watchdog call: %q", pinged)
	case !heartbeat && len(pinged) > 0:
		t.Errorf("the heartbeat is off but was called: %q", pinged)
	}
}

// startAlertmanager runs the real Alertmanager on loopback, alone (no
// cluster gossip), and returns its URL once it is ready.
func startAlertmanager(t *testing.T, cfgFile, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, testenv.Tool(t, "alertmanager"),
		"--config.file="+cfgFile, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	for range 100 {
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("alertmanager did not become ready on %s", addr)
	return ""
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func snapshot(mu *sync.Mutex, s *[]string) []string {
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), *s...)
}

// header is the value of a mail header (the first line of it).
func header(data, name string) string {
	for line := range strings.SplitSeq(data, "\n") {
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
		if strings.TrimSpace(line) == "" {
			break
		}
	}
	return ""
}

func anyContains(ss []string, sub string) bool {
	return slices.ContainsFunc(ss, func(s string) bool { return strings.Contains(s, sub) })
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
