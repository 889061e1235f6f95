// Package stacks holds the offline checks of the two OpenTofu stacks
// (stacks/cluster, stacks/platform): init, validate, `tofu test`, plans of
// each stack in each of its environments with the test provider, the chart,
// policy and API-server checks over those plans, the bill, and the
// documented way of adding an app.
//
// Every test works in copies of its own (initStack) and runs in parallel
// with the others: this package is the longest of the CI run.
package stacks

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/appcatalog"
	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// secretVars are throwaway values for the variables secrets.tfvars.enc feeds.
var secretVars = []string{
	"TF_VAR_do_token=test-token",
	"TF_VAR_spaces_access_key_id=test-key",
	"TF_VAR_spaces_secret_access_key=test-secret",
	"TF_VAR_state_encryption_passphrase=test-passphrase-0123456789",
	// prod mail refuses to plan without an outbound relay (not a secret
	// itself, but the agency's choice: no default).
	"TF_VAR_mailu_relay_host=[smtp.relay.example]:587",
	"TF_VAR_mailu_relay_username=test-relay-user",
	"TF_VAR_mailu_relay_password=test-relay-password",
	// and without somewhere to send its alerts.
	`TF_VAR_alert_email=["ops@example.com"]`,
}

// stack is one initialised copy of a stack.
type stack struct {
	e   *tofutest.Env
	dir string
}

func initStack(t *testing.T, e *tofutest.Env, name string) stack {
	t.Helper()
	root := e.CopyRepo(t, "stacks", "modules")
	dir := filepath.Join(root, "stacks", name)
	tofutest.LocalBackend(t, dir)
	s := stack{e, dir}
	s.init(t)
	return s
}

// init (re)installs the stack's modules and providers: needed again after a
// module call is added.
func (s stack) init(t *testing.T) {
	t.Helper()
	s.e.MustRun(t, s.dir, secretVars, "init", "-input=false", "-no-color")
}

// root is the copy of the repository the stack lives in.
func (s stack) root() string { return filepath.Dir(filepath.Dir(s.dir)) }

func (s stack) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return s.e.Run(t, s.dir, secretVars, append(args, "-no-color")...)
}

// planJSON plans with the given variables and returns `tofu show -json`.
func (s stack) planJSON(t *testing.T, vars ...string) []byte {
	t.Helper()
	args := []string{"plan", "-input=false", "-out=tfplan"}
	for _, v := range vars {
		args = append(args, "-var", v)
	}
	if code, out := s.run(t, args...); code != 0 {
		t.Fatalf("plan %v: exit %d\n%s", vars, code, out)
	}
	return []byte(s.e.MustRun(t, s.dir, secretVars, "show", "-json", "tfplan"))
}

// planOutputs plans with the given variables and returns the planned outputs.
func (s stack) planOutputs(t *testing.T, vars ...string) map[string]any {
	t.Helper()
	raw := s.planJSON(t, vars...)
	var plan struct {
		PlannedValues struct {
			Outputs map[string]struct {
				Value any `json:"value"`
			} `json:"outputs"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatalf("decode plan JSON: %v", err)
	}
	out := map[string]any{}
	for k, v := range plan.PlannedValues.Outputs {
		out[k] = v.Value
	}
	return out
}

func TestStacksValidateAndPassTheirTests(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	for _, name := range []string{"cluster", "platform"} {
		t.Run(name, func(t *testing.T) {
			s := initStack(t, e, name)
			if code, out := s.run(t, "validate"); code != 0 || !strings.Contains(out, "The configuration is valid") {
				t.Fatalf("validate: exit %d\n%s", code, out)
			}
			code, out := s.run(t, "test")
			if code != 0 || !strings.Contains(out, "Success!") {
				t.Fatalf("tofu test: exit %d\n%s", code, out)
			}
			t.Log(tofutest.LastLine(out))
		})
	}
}

// checkFQDNs: the seed's table is in the catalog with its names, and every
// other app's FQDN derives from root_domain too (a new app needs no change
// here).
func checkFQDNs(t *testing.T, got any, root string) {
	t.Helper()
	m, _ := got.(map[string]any)
	for app, want := range seedFQDNs(root) {
		if m[app] != want {
			t.Errorf("fqdns.%s = %v, want %s (seed)", app, m[app], want)
		}
	}
	for app, v := range m {
		h, _ := v.(string)
		if h != root && !strings.HasSuffix(h, "."+root) {
			t.Errorf("fqdns.%s = %v does not derive from root_domain %s", app, v, root)
		}
	}
	// The CLI (infra hosts) derives the same names from the same catalog.
	repoRoot, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	apps, err := appcatalog.Load(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	goSide := appcatalog.FQDNs(apps, root)
	if len(goSide) != len(m) {
		t.Errorf("infra hosts knows %d FQDNs, the stack %d", len(goSide), len(m))
	}
	for app, h := range goSide {
		if m[app] != h {
			t.Errorf("fqdns.%s: the stack says %v, infra hosts %s", app, m[app], h)
		}
	}
}

// seedFQDNs is the seed's FQDN table ("Organisation des modules").
func seedFQDNs(root string) map[string]any {
	return map[string]any{
		"wordpress":          root,
		"n8n":                "n8n." + root,
		"n8n_webhook":        "webhook." + root,
		"nextcloud":          "cloud." + root,
		"mailu":              "mail." + root,
		"mailu_autoconfig":   "autoconfig." + root,
		"mailu_autodiscover": "autodiscover." + root,
		"analytics":          "insights." + root,
		"registry":           "registry." + root,
		"crm":                "crm." + root,
	}
}

func TestPlansPerEnvironment(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	platform := initStack(t, e, "platform")
	cluster := initStack(t, e, "cluster")
	tests := []struct {
		name     string
		s        stack
		vars     []string
		root     string
		prodOnly bool
	}{
		{"platform prod", platform, []string{"app_env=prod"}, "fullfrontend.be", true},
		{"platform dev", platform, []string{"app_env=dev"}, "fullfrontend.kube", false},
		{"platform prod, other domain", platform, []string{"app_env=prod", "root_domain_prod=example.org"}, "example.org", true},
		{"platform dev, other domain", platform, []string{"app_env=dev", "root_domain_dev=agency.localhost"}, "agency.localhost", false},
		{"cluster prod", cluster, []string{"app_env=prod"}, "fullfrontend.be", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.s.planOutputs(t, tt.vars...)
			if out["root_domain"] != tt.root {
				t.Errorf("root_domain = %v, want %s", out["root_domain"], tt.root)
			}
			if filepath.Base(tt.s.dir) != "platform" {
				return
			}
			checkFQDNs(t, out["fqdns"], tt.root)
			f, _ := out["features"].(map[string]any)
			want := map[string]any{"doks": tt.prodOnly, "cert_manager": tt.prodOnly, "external_dns": tt.prodOnly, "velero": true}
			for k, v := range want {
				if f[k] != v {
					t.Errorf("features.%s = %v, want %v", k, f[k], v)
				}
			}
			// prod: <repo>/.kube/config (doctl); dev: ~/.kube/config.
			repoKube := filepath.Join(filepath.Dir(filepath.Dir(tt.s.dir)), ".kube", "config")
			kube, _ := out["kubeconfig_path"].(string)
			if (kube == repoKube) != tt.prodOnly || !strings.HasSuffix(kube, "/.kube/config") {
				t.Errorf("kubeconfig_path = %s (repo copy's is %s)", kube, repoKube)
			}
		})
	}
}

// TestInvalidInputFailsAtPlan: each case is a valid plan above with one
// value broken, and the error must say what is allowed.
func TestInvalidInputFailsAtPlan(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	platform := initStack(t, e, "platform")
	cluster := initStack(t, e, "cluster")
	tests := []struct {
		name string
		s    stack
		vars []string
		want string
	}{
		{"unknown environment", platform, []string{"app_env=staging"}, `app_env must be "prod" or "dev"`},
		{"upper-case domain", platform, []string{"app_env=prod", "root_domain_prod=FullFrontend.be"}, "root_domain_prod must be a lower-case DNS name"},
		{"domain with trailing dot", platform, []string{"app_env=dev", "root_domain_dev=fullfrontend.kube."}, "root_domain_dev must be a lower-case DNS name"},
		{"prod domain given as its www host", platform, []string{"app_env=prod", "root_domain_prod=www.fullfrontend.be"}, "give the domain itself (fullfrontend.be), not its www host"},
		{"dev domain equal to prod", platform, []string{"app_env=dev", "root_domain_dev=fullfrontend.be"}, "root_domain_dev (fullfrontend.be) must not be the prod domain"},
		{"dev domain equal to prod, cluster stack", cluster, []string{"root_domain_dev=fullfrontend.be"}, "root_domain_dev (fullfrontend.be) must not be the prod domain"},
		{"domain with scheme", cluster, []string{"root_domain_prod=https://fullfrontend.be"}, "root_domain_prod must be a lower-case DNS name"},
		{"cluster in dev", cluster, []string{"app_env=dev"}, "stacks/cluster is prod only"},
		{"WordPress media offload without Spaces keys", platform, []string{"app_env=dev", "wordpress_media_offload=true", "spaces_access_key_id="}, "wordpress media offload is on (wordpress_media_offload.enabled = true) but spaces_access_key_id is empty"},
		{"prod backups without Spaces keys, registry alone", platform, []string{"app_env=prod", `apps=["registry"]`, "spaces_access_key_id=", "spaces_secret_access_key="}, "prod backups need Spaces keys"},
		{"prod mail without relay", platform, []string{"app_env=prod", "mailu_relay_host="}, "prod mail needs an outbound relay: DigitalOcean blocks outbound port 25"},
		{"prod alerts to nobody", platform, []string{"app_env=prod", "alert_email=[]"}, "prod needs somewhere to send alerts: set alert_email"},
		{"alerts without a relay", platform, []string{"app_env=dev", `alert_email=["ops@example.com"]`, "mailu_relay_host="}, "alert_email is set but no outbound relay is"},
		{"alert address with a display name", platform, []string{"app_env=prod", `alert_email=["Ops <ops@example.com>"]`}, "alert_email must hold plain addresses"},
		{"MTA-STS mode misspelt", platform, []string{"app_env=prod", "mail_mta_sts_mode=enforcing"}, "mail_mta_sts_mode must be testing, enforce or none"},
		{"mail alias to an unknown user", platform, []string{"app_env=dev", `mail_aliases={ contact = { destinations = ["nobody"] } }`}, "each a local part that is a key of mail_users or a full address"},
		{"mail alias loop through a full address", platform, []string{"app_env=prod", `mail_users={ alice = {} }`, `mail_aliases={ contact = { destinations = ["contact@fullfrontend.be"] }, postmaster = { destinations = ["alice"] } }`},
			"mail_aliases: contact -> contact@fullfrontend.be: a destination in the platform's own domain is written as its local part"},
		{"mail user with a plus", platform, []string{"app_env=dev", `mail_users={ "a+b" = {} }`}, "mail_users keys must be lower-case local parts"},
		{"mail DMARC reports to nobody", platform, []string{"app_env=dev", `mail_users={ alice = {} }`}, "mail_dmarc.report_to (postmaster) is neither a key of mail_users nor of mail_aliases"},
		{"Nextcloud external storage on the media bucket", platform, []string{"app_env=prod", `nextcloud_external_storage={ enabled = true, bucket = "fullfrontend-media" }`},
			"nextcloud_external_storage.bucket is fullfrontend-media, which holds WordPress's media and the CRM's files"},
		{"Nextcloud external storage on the state bucket", platform, []string{"app_env=prod", `nextcloud_external_storage={ enabled = true, bucket = "fullfrontend-tofu-state" }`},
			"which holds the OpenTofu state"},
		{"Ed25519 DKIM key", platform, []string{"app_env=dev", "mailu_dkim_private_key=" + ed25519PEM(t)}, "mailu_dkim_private_key is not an RSA key"},
		{"second DKIM key at the stack's selector", platform, []string{"app_env=prod", "mailu_dkim_private_key=" + rsaPEM(t, 2048), `dns_extra_records={ old-dkim = { name = "dkim._domainkey", type = "TXT", targets = ["v=DKIM1; k=rsa; p=MIIBIjANBg"] } }`},
			"gets 2 DKIM keys from"},
		{"platform region other than the cluster's", platform, []string{"app_env=prod", "region=ams3"},
			"region is ams3 but the cluster fullfrontend and its Spaces buckets (stacks/cluster) are in fra1"},
		{"unknown app", platform, []string{"app_env=prod", `apps=["registry","wordpres"]`}, "apps: unknown app wordpres; the apps are analytics, crm,"},
		{"credentials of an app outside the catalog", platform, []string{"app_env=dev", `postgres_app_credentials={ blog = { database = "blog", user = "blog", password = "0123456789abcdef" } }`}, "postgres_app_credentials has an entry blog, but blog is not an app of modules/environment/apps.yaml"},
		{"credentials on the wrong engine", platform, []string{"app_env=dev", `mariadb_app_credentials={ n8n = { database = "n8n", user = "n8n", password = "0123456789abcdef", namespace = "n8n" } }`}, "mariadb_app_credentials has an entry n8n, but apps.yaml gives n8n database postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"plan", "-input=false"}
			for _, v := range tt.vars {
				args = append(args, "-var", v)
			}
			code, out := tt.s.run(t, args...)
			if code == 0 {
				t.Fatalf("plan %v succeeded", tt.vars)
			}
			if !strings.Contains(strings.Join(strings.Fields(out), " "), tt.want) {
				t.Fatalf("plan %v: error does not say %q:\n%s", tt.vars, tt.want, out)
			}
		})
	}
}

// TestNegativeTestsCanFail removes the deliberate mistake from each
// expect_failures run of the stacks' test files and checks that `tofu test`
// then fails: a negative test that passes either way proves nothing.
func TestNegativeTestsCanFail(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	tests := []struct {
		stack, from, to string
	}{
		{"platform", `app_env = "staging"`, `app_env = "dev"`},
		{"platform", `root_domain_prod = "https://fullfrontend.be"`, `root_domain_prod = "fullfrontend.be"`},
		{"platform", `root_domain_dev = "FullFrontend.kube"`, `root_domain_dev = "fullfrontend.kube"`},
		{"platform", `root_domain_prod = "localhost"`, `root_domain_prod = "local.host"`},
		{"platform", `state_encryption_passphrase = "short"`, `state_encryption_passphrase = "long-enough-passphrase"`},
		{"cluster", `app_env = "dev"`, `app_env = "prod"`},
		{"cluster", `root_domain_prod = "fullfrontend.be."`, `root_domain_prod = "fullfrontend.be"`},
		{"cluster", `do_token = ""`, `do_token = "x"`},
		{"cluster", `node_pool = { min_nodes = 3, max_nodes = 2 }`, `node_pool = { min_nodes = 2, max_nodes = 3 }`},
		{"cluster", `vpc_cidr = "10.110.0.0/8"`, `vpc_cidr = "10.110.0.0/16"`},
	}
	for _, tt := range tests {
		t.Run(tt.stack+": "+tt.from, func(t *testing.T) {
			s := initStack(t, e, tt.stack)
			file := filepath.Join(s.dir, "tests", "environment.tftest.hcl")
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(src), tt.from) != 1 {
				t.Fatalf("%s must appear exactly once in %s", tt.from, file)
			}
			if err := os.WriteFile(file, []byte(strings.Replace(string(src), tt.from, tt.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out := s.run(t, "test")
			if code == 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "was expected to report an error but did not") {
				t.Fatalf("tofu test still passes without the mistake (exit %d):\n%s", code, out)
			}
		})
	}
}

// pkcs8PEM is key in PKCS #8 PEM, the form `openssl genpkey` writes.
func pkcs8PEM(t *testing.T, key any, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// ed25519PEM is a fresh Ed25519 private key; rsaPEM a fresh RSA one.
func ed25519PEM(t *testing.T) string {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	return pkcs8PEM(t, key, err)
}

func rsaPEM(t *testing.T, bits int) string {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	return pkcs8PEM(t, key, err)
}

// The check of mailu_dkim_private_key (stacks/platform/variables.tf) finds
// RSA's algorithm identifier at a fixed place of a PKCS #8 key's base64:
// true for every RSA size an operator may give, false for Ed25519.
func TestDKIMKeyAlgorithmCheck(t *testing.T) {
	const rsaID = "ADANBgkqhkiG9w0BAQEFAA"
	head := func(p string) string {
		body := strings.ReplaceAll(strings.TrimPrefix(p, "-----BEGIN PRIVATE KEY-----"), "\n", "")
		return body[:40]
	}
	for _, bits := range []int{1024, 2048, 3072, 4096} {
		if h := head(rsaPEM(t, bits)); !strings.Contains(h, rsaID) {
			t.Errorf("RSA %d: %s does not hold %s", bits, h, rsaID)
		}
	}
	if h := head(ed25519PEM(t)); strings.Contains(h, rsaID) {
		t.Errorf("Ed25519: %s holds %s", h, rsaID)
	}
}
