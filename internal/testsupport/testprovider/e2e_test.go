package testprovider_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

const requiredProviders = `
terraform {
  required_providers {
    random = {
      source  = "hashicorp/random"
      version = "3.9.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.14.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "3.2.1"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
  }
}
`

// validConfig uses top-level computed attributes (random, time), a nested
// block with min_items (kubernetes), nested attributes of protocol 6 in the
// provider configuration and a resource (helm), and a data source.
const validConfig = requiredProviders + `
provider "kubernetes" {
  config_path = "/nonexistent/kubeconfig"
}

provider "helm" {
  kubernetes = {
    config_path = "/nonexistent/kubeconfig"
  }
}

resource "random_string" "suffix" {
  length  = 8
  special = false
}

resource "time_static" "created" {
  triggers = {
    suffix = random_string.suffix.result
  }
}

resource "kubernetes_namespace" "app" {
  metadata {
    name   = "app-${random_string.suffix.result}"
    labels = { team = "web" }
  }
}

data "kubernetes_namespace" "app" {
  metadata {
    name = kubernetes_namespace.app.metadata[0].name
  }
}

resource "helm_release" "app" {
  name      = "app"
  chart     = "oci://example.invalid/chart"
  namespace = kubernetes_namespace.app.metadata[0].name
  set = [{
    name  = "replicas"
    value = "2"
  }]
}

output "suffix" {
  value = random_string.suffix.result
}

output "created_id" {
  value = time_static.created.id
}

output "namespace_uid" {
  value = kubernetes_namespace.app.metadata[0].uid
}

output "release_status" {
  value = helm_release.app.status
}

output "data_namespace_id" {
  value = data.kubernetes_namespace.app.id
}
`

func TestEndToEnd(t *testing.T) {
	e := tofutest.Setup(t)

	tests := []struct {
		name    string
		config  string
		wantErr []string // nil: validate must pass; else all must be in its output
	}{
		{"valid", validConfig, nil},
		{"misspelled attribute", requiredProviders + `
resource "random_string" "s" {
  length = 8
  lenght = 9
}
`, []string{"Unsupported argument", `"lenght"`}},
		{"wrong type", requiredProviders + `
resource "random_string" "s" {
  length = [1, 2]
}
`, []string{"Incorrect attribute value type", "number required"}},
		{"missing required argument", requiredProviders + `
resource "random_string" "s" {
}
`, []string{"Missing required argument", `"length"`}},
		{"missing required block", requiredProviders + `
resource "kubernetes_namespace" "n" {
}
`, []string{"Insufficient metadata blocks"}},
		{"misspelled block argument", requiredProviders + `
resource "kubernetes_namespace" "n" {
  metadata {
    nmae = "x"
  }
}
`, []string{"Unsupported argument", `"nmae"`}},
		// A nested attribute (protocol 6 only) missing a required field.
		// Note that core silently drops unknown keys of such object
		// literals, as it would with the real provider.
		{"nested attribute missing required field", requiredProviders + `
resource "helm_release" "r" {
  name  = "r"
  chart = "c"
  set = [{
    value = "2"
  }]
}
`, []string{"Incorrect attribute value type", `attribute "name" is required`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			e.MustRun(t, dir, nil, "init", "-input=false", "-no-color")
			code, out := e.Run(t, dir, nil, "validate", "-no-color")
			if tt.wantErr == nil {
				if code != 0 {
					t.Fatalf("validate failed (exit %d):\n%s", code, out)
				}
				return
			}
			if code == 0 {
				t.Fatalf("validate passed, want %q:\n%s", tt.wantErr, out)
			}
			// tofu wraps long lines; compare with single spaces.
			flat := strings.Join(strings.Fields(out), " ")
			for _, want := range tt.wantErr {
				if !strings.Contains(flat, want) {
					t.Errorf("validate output lacks %q:\n%s", want, out)
				}
			}
		})
	}

	t.Run("plan and apply", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(validConfig), 0o644); err != nil {
			t.Fatal(err)
		}
		e.MustRun(t, dir, nil, "init", "-input=false", "-no-color")
		e.MustRun(t, dir, nil, "plan", "-input=false", "-no-color", "-out=tfplan")
		e.MustRun(t, dir, nil, "apply", "-input=false", "-no-color", "-auto-approve", "tfplan")

		var outputs map[string]struct {
			Value any `json:"value"`
		}
		raw := e.MustRun(t, dir, nil, "output", "-json", "-no-color")
		if err := json.Unmarshal([]byte(raw), &outputs); err != nil {
			t.Fatalf("decode outputs: %v\n%s", err, raw)
		}
		want := map[string]func(string) bool{
			"suffix":            func(s string) bool { return s == "computed-result" },
			"created_id":        func(s string) bool { return strings.HasPrefix(s, "time_static-") },
			"namespace_uid":     func(s string) bool { return s == "computed-metadata.0.uid" },
			"release_status":    func(s string) bool { return s == "computed-status" },
			"data_namespace_id": func(s string) bool { return strings.HasPrefix(s, "kubernetes_namespace-") },
		}
		for name, ok := range want {
			got, _ := outputs[name].Value.(string)
			if !ok(got) {
				t.Errorf("output %s = %q", name, got)
			}
		}

		code, out := e.Run(t, dir, nil, "plan", "-input=false", "-no-color", "-detailed-exitcode")
		if code != 0 {
			t.Errorf("second plan: exit %d, want 0 (no changes):\n%s", code, out)
		}
	})
}
