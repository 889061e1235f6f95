package stacks

import (
	"encoding/json"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// TestSecretsStableAcrossApplies applies stacks/platform (with the test
// provider, which stores what it is given) and plans again: nothing may
// change, above all no generated secret (a regenerated n8n encryption key
// or WordPress salt silently breaks the app) and no Secret object.
func TestSecretsStableAcrossApplies(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	s := initStack(t, e, "platform")
	for _, env := range []string{"dev", "prod"} {
		t.Run(env, func(t *testing.T) {
			if code, out := s.run(t, "apply", "-input=false", "-auto-approve", "-var", "app_env="+env); code != 0 {
				t.Fatalf("apply: exit %d\n%s", code, out)
			}
			// The DKIM record as applied, and as the next plan would publish it.
			applied := strings.TrimSpace(s.e.MustRun(t, s.dir, secretVars, "output", "-raw", "mail_dkim_txt"))
			raw := s.planJSON(t, "app_env="+env)
			if !strings.HasPrefix(applied, "v=DKIM1; k=rsa; p=") || !strings.Contains(string(raw), applied) {
				t.Errorf("the DKIM record %q is not the one the next plan publishes", applied)
			}
			changes := plannedChanges(t, raw)
			var secrets int
			for addr := range changes {
				if strings.HasPrefix(addr, "random_password.") || strings.Contains(addr, ".random_password.") {
					secrets++
				}
			}
			if len(changes) > 0 {
				t.Errorf("a second plan changes %d resources (%d generated secrets): %v", len(changes), secrets, changes)
			}
		})
	}
}

// plannedChanges lists every resource a plan would change, with its actions.
func plannedChanges(t *testing.T, raw []byte) map[string][]string {
	t.Helper()
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range plan.ResourceChanges {
		if len(r.Change.Actions) != 1 || r.Change.Actions[0] != "no-op" {
			out[r.Address] = r.Change.Actions
		}
	}
	return out
}
