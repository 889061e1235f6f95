package dbtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/testsupport/kubeharness"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// moduleRoot is a root configuration that calls the three data modules the
// way stacks/platform/data.tf does, with test inputs.
const moduleRoot = `
terraform {
  required_providers {
    kubectl = {
      source  = "alekc/kubectl"
      version = "2.4.1"
    }
  }
}

provider "kubectl" {}

variable "pg_apps" {
  type      = map(object({ database = string, user = string, password = string }))
  sensitive = true
  default = {
    n8n = { database = "n8n", user = "n8n", password = "it's a \"quote\" $HOME \\ ü", namespace = "n8n" }
    crm = { database = "twenty", user = "twenty", password = "0123456789abcdef" }
  }
}

variable "mariadb_apps" {
  type      = map(object({ database = string, user = string, password = string }))
  sensitive = true
  default = {
    wordpress = { database = "wordpress", user = "wordpress", password = "0123456789abcdef" }
  }
}

variable "storage_class" {
  type    = string
  default = null
}

locals {
  s3 = {
    endpoint          = "https://fra1.digitaloceanspaces.com"
    bucket            = "fullfrontend-backups"
    region            = "fra1"
    access_key_id     = "AKIATEST"
    secret_access_key = "secret"
    force_path_style  = false
  }
}

module "postgres" {
  source                        = "./modules/database"
  engine                        = "postgres"
  superuser_password            = "superuser-password-0123"
  app_credentials               = var.pg_apps
  backup_s3                     = local.s3
  storage_class                 = var.storage_class
  restore_check_expected_tables = { n8n = ["workflow_entity"] }
}

module "mariadb" {
  source             = "./modules/database"
  engine             = "mariadb"
  superuser_password = "superuser-password-0123"
  app_credentials    = var.mariadb_apps
  backup_s3          = local.s3
  storage_class      = var.storage_class
}

module "valkey" {
  source        = "./modules/valkey"
  password      = "valkey \"password\" \\ 0123"
  storage_class = var.storage_class
}

output "pg_init_job" {
  value = module.postgres.init_job_name
}
`

// planManifests plans the root and returns every kubectl_manifest's
// yaml_body, keyed by resource address.
func planManifests(t *testing.T, e *tofutest.Env, dir string, vars ...string) (map[string]string, string) {
	t.Helper()
	args := []string{"plan", "-input=false", "-no-color", "-out=tfplan"}
	for _, v := range vars {
		args = append(args, "-var", v)
	}
	e.MustRun(t, dir, nil, args...)
	raw := e.MustRun(t, dir, nil, "show", "-json", "tfplan")
	// planscan walks every nested module.
	p, err := planscan.Load([]byte(raw))
	if err != nil {
		t.Fatalf("load plan: %v", err)
	}
	out := map[string]string{}
	for _, m := range p.Manifests {
		out[m.Address] = m.YAML
	}
	var plan struct {
		PlannedValues struct {
			Outputs map[string]struct{ Value any } `json:"outputs"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal([]byte(raw), &plan); err != nil {
		t.Fatalf("decode plan: %v", err)
	}
	job, _ := plan.PlannedValues.Outputs["pg_init_job"].Value.(string)
	return out, job
}

func setupModules(t *testing.T) (*tofutest.Env, string) {
	t.Helper()
	e := tofutest.Setup(t)
	root := e.CopyRepo(t, "modules")
	if err := os.WriteFile(filepath.Join(root, "main.tf"), []byte(moduleRoot), 0o644); err != nil {
		t.Fatal(err)
	}
	e.MustRun(t, root, nil, "init", "-input=false", "-no-color")
	return e, root
}

// TestDataModulesAcceptedByAPIServer plans the three modules and sends each
// object to a real kube-apiserver (server-side dry run).
func TestDataModulesAcceptedByAPIServer(t *testing.T) {
	e, root := setupModules(t)
	manifests, job := planManifests(t, e, root, "storage_class=do-block-storage")
	if len(manifests) < 25 {
		t.Fatalf("only %d kubectl_manifest planned: %v", len(manifests), manifests)
	}
	for addr, body := range manifests {
		if body == "" {
			t.Errorf("%s: yaml_body unknown at plan", addr)
		}
		for _, bad := range []string{"bitnami", ":latest"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s mentions %s", addr, bad)
			}
		}
	}
	if !strings.HasPrefix(job, "postgres-init-") || len(job) != len("postgres-init-")+10 {
		t.Errorf("init job name %q", job)
	}

	c := kubeharness.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, ns := range []string{"data", "n8n", "crm", "wordpress"} {
		if err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	for addr, body := range manifests {
		if _, err := c.Apply(ctx, []byte(body), kubeharness.ApplyOptions{DryRun: true}); err != nil {
			t.Errorf("%s refused by kube-apiserver: %v\n%s", addr, err, body)
		}
	}

	// The scripts in the ConfigMap are the files the tests run.
	cm := manifests[`module.postgres.kubectl_manifest.scripts`]
	if !strings.Contains(cm, "restore-check.sh") || !strings.Contains(cm, "\\getenv app_password APP_PASSWORD") {
		t.Errorf("postgres scripts ConfigMap lacks the files:\n%.400s", cm)
	}

	t.Run("init job name follows the credentials", func(t *testing.T) {
		again, job2 := planManifests(t, e, root, "storage_class=do-block-storage")
		_ = again
		if job2 != job {
			t.Errorf("same inputs, new init job name: %s -> %s", job, job2)
		}
		more := `pg_apps={ n8n = { database = "n8n", user = "n8n", password = "it's a \"quote\" $HOME \\ ü", namespace = "n8n" }, crm = { database = "twenty", user = "twenty", password = "0123456789abcdef" }, umami = { database = "umami", user = "umami", password = "0123456789abcdef" } }`
		_, job3 := planManifests(t, e, root, more)
		if job3 == job {
			t.Errorf("adding an app kept the init job name %s", job)
		}
	})
	t.Run("dev uses the default storage class", func(t *testing.T) {
		dev, _ := planManifests(t, e, root)
		if strings.Contains(dev["module.postgres.kubectl_manifest.statefulset"], "storageClassName") {
			t.Errorf("storage_class = null still sets storageClassName")
		}
		if !strings.Contains(manifests["module.postgres.kubectl_manifest.statefulset"], "do-block-storage") {
			t.Errorf("prod StatefulSet lacks storageClassName: do-block-storage")
		}
	})
}

// TestDataModulesRejectBadCredentialsAtPlan: hostile or broken entries fail
// the plan with a clear message.
func TestDataModulesRejectBadCredentialsAtPlan(t *testing.T) {
	e, root := setupModules(t)
	entry := func(db, user, pw string) string {
		return `pg_apps={ a = { database = "` + db + `", user = "` + user + `", password = "` + pw + `" } }`
	}
	two := `pg_apps={ a = { database = "same", user = "a", password = "0123456789abcdef" }, b = { database = "same", user = "b", password = "0123456789abcdef" } }`
	twoUsers := `pg_apps={ a = { database = "a", user = "same", password = "0123456789abcdef" }, b = { database = "b", user = "same", password = "0123456789abcdef" } }`
	cases := []struct{ name, v, want string }{
		{"quote in database", entry(`x\"; DROP DATABASE n8n; --`, "u", "0123456789abcdef"), "names that SQL never needs to quote"},
		{"hyphen in user", entry("db", "my-user", "0123456789abcdef"), "names that SQL never needs to quote"},
		{"upper case", entry("Blog", "u", "0123456789abcdef"), "names that SQL never needs to quote"},
		{"empty database", entry("", "u", "0123456789abcdef"), "names that SQL never needs to quote"},
		{"superuser", entry("db", "postgres", "0123456789abcdef"), "reserved by postgres"},
		{"pg_ role", entry("db", "pg_monitor", "0123456789abcdef"), "reserved by postgres"},
		{"mariadb root", `mariadb_apps={ a = { database = "db", user = "root", password = "0123456789abcdef" } }`, "reserved by mariadb"},
		{"mariadb system database", `mariadb_apps={ a = { database = "mysql", user = "u", password = "0123456789abcdef" } }`, "reserved by mariadb"},
		{"missing password", entry("db", "u", ""), "needs a password"},
		{"newline in password", entry("db", "u", `0123456789abcdef\n`), "needs a password"},
		{"duplicate database", two, "share a database or a user"},
		{"duplicate user", twoUsers, "share a database or a user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := e.Run(t, root, nil, "plan", "-input=false", "-no-color", "-var", c.v)
			if code == 0 {
				t.Fatalf("plan accepted %s", c.v)
			}
			if !strings.Contains(strings.Join(strings.Fields(out), " "), c.want) {
				t.Fatalf("plan error does not say %q:\n%s", c.want, out)
			}
		})
	}
}
