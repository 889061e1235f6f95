package stacks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/kubeharness"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// TestFailedInstallRecovers checks, with the real helm provider and a real
// API server, why every release is atomic (docs/CONVENTIONS.md): a first
// install that fails its wait leaves nothing behind, cluster-wide objects
// included, so the same apply succeeds once the cause is gone. Without
// atomic, the failed release stays in the cluster but not in the state and
// the second apply fails: the case that shows the test can fail.
func TestFailedInstallRecovers(t *testing.T) {
	t.Parallel()
	tofu := testenv.Tool(t, "tofu")
	cliConfig := testenv.RealProviders(t)
	tests := []struct {
		name       string
		atomic     bool
		wantSecond string // "" means the second apply succeeds
	}{
		{"atomic", true, ""},
		{"not atomic", false, "cannot re-use a name that is still in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := kubeharness.Start(t)
			dir := recoveryConfig(t)
			home := t.TempDir()
			run := func(args ...string) (int, string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, tofu, append(args, "-no-color")...)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TF_CLI_CONFIG_FILE=" + cliConfig,
					"TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_VAR_kubeconfig=" + c.Kubeconfig(), fmt.Sprintf("TF_VAR_atomic=%t", tt.atomic)}
				out, err := cmd.CombinedOutput()
				if ee, ok := err.(*exec.ExitError); ok {
					return ee.ExitCode(), string(out)
				}
				if err != nil {
					t.Fatalf("tofu %v: %v\n%s", args, err, out)
				}
				return 0, string(out)
			}
			if code, out := run("init", "-input=false"); code != 0 {
				t.Fatalf("init: exit %d\n%s", code, out)
			}
			// No LoadBalancer controller: the Service never gets an address
			// and the release fails its wait.
			code, out := run("apply", "-auto-approve", "-var=service_type=LoadBalancer")
			if code == 0 {
				t.Fatalf("the first apply succeeded although its Service gets no address:\n%s", out)
			}
			left := leftovers(t, c)
			if tt.atomic && left != "" {
				t.Errorf("a failed atomic install left %s", left)
			}
			// The cause is gone (a Service type that needs no controller):
			// the same apply again.
			code, out = run("apply", "-auto-approve", "-var=service_type=ClusterIP")
			switch {
			case tt.wantSecond == "" && code != 0:
				t.Fatalf("the second apply failed:\n%s", out)
			case tt.wantSecond != "" && (code == 0 || !strings.Contains(out, tt.wantSecond)):
				t.Fatalf("the second apply: exit %d, want a failure saying %q:\n%s", code, tt.wantSecond, out)
			case tt.wantSecond != "":
				return
			}
			if code, out := run("destroy", "-auto-approve", "-var=service_type=ClusterIP"); code != 0 {
				t.Fatalf("destroy: exit %d\n%s", code, out)
			}
			if left := leftovers(t, c); left != "" {
				t.Errorf("destroy left %s", left)
			}
		})
	}
}

// recoveryConfig writes a root module with one helm_release of a local
// chart that has a cluster-wide object, as Traefik's ClusterRole.
func recoveryConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"main.tf": `terraform {
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
  }
}

variable "kubeconfig" { type = string }
variable "atomic" { type = bool }
variable "service_type" { type = string }

provider "helm" {
  kubernetes = { config_path = var.kubeconfig }
}

resource "helm_release" "demo" {
  name            = "demo"
  namespace       = "default"
  chart           = "${path.module}/chart"
  atomic          = var.atomic
  cleanup_on_fail = var.atomic
  timeout         = 5
  set             = [{ name = "serviceType", value = var.service_type }]
}
`,
		"chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"chart/templates/service.yaml": `apiVersion: v1
kind: Service
metadata: {name: demo}
spec:
  type: {{ .Values.serviceType }}
  ports: [{port: 80}]
`,
		"chart/templates/clusterrole.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: demo-reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// leftovers names what of the demo release is in the cluster.
func leftovers(t *testing.T, c *kubeharness.Cluster) string {
	t.Helper()
	var left []string
	for _, q := range []struct{ path, what string }{
		{"/api/v1/namespaces/default/secrets?labelSelector=owner%3Dhelm", "Helm release record"},
		{"/apis/rbac.authorization.k8s.io/v1/clusterroles?fieldSelector=metadata.name%3Ddemo-reader", "ClusterRole"},
		{"/api/v1/namespaces/default/services?fieldSelector=metadata.name%3Ddemo", "Service"},
	} {
		items, err := c.List(t.Context(), q.path)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 0 {
			left = append(left, fmt.Sprintf("%d %s", len(items), q.what))
		}
	}
	return strings.Join(left, ", ")
}
