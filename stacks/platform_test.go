package stacks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/chartrender"
	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/testsupport/kubeharness"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// expectedReleases is what stacks/platform must install, by chart, in each
// environment: true means the plan has a helm_release of that chart, false
// means it must not (the seed: no cert-manager nor external-dns in dev,
// Velero everywhere). A chart not listed may come and go freely.
var expectedReleases = []struct {
	chart     string
	prod, dev bool
}{
	{"traefik", true, true},
	{"velero", true, true},
	{"zot", true, true},
	{"kube-prometheus-stack", true, true},
	{"cert-manager", true, false},
	{"external-dns", true, false},
}

// platformEnvs are the plans of stacks/platform that the chain checks:
// prod and dev with the secrets left empty (generated, so unknown at the
// first plan), and prod with every secret given as a filled SOPS file gives
// them, where nothing of ours stays unknown: the API server then sees the
// Secrets, the init Jobs and every workload too.
var platformEnvs = []struct {
	name, env string
	vars      []string
	allKnown  bool
}{
	{"prod", "prod", []string{"app_env=prod"}, false},
	{"dev", "dev", []string{"app_env=dev"}, false},
	{"prod with every secret", "prod", append([]string{"app_env=prod"}, sopsVars...), true},
}

// sopsVars are the secrets a filled secrets.tfvars.enc gives the platform.
var sopsVars = []string{
	"postgres_superuser_password=pg-superuser-password-0123",
	"mariadb_root_password=mariadb-root-password-0123",
	"valkey_password=valkey-password-0123456789",
	"grafana_admin_password=grafana-admin-password-0123",
	"nextcloud_admin_password=nextcloud-admin-password-0123",
	`postgres_app_credentials={ n8n = { database = "n8n", user = "n8n", password = "n8n-password-0123" }, crm = { database = "crm", user = "crm", password = "crm-password-0123" }, analytics = { database = "umami", user = "umami", password = "umami-password-0123" }, nextcloud = { database = "nextcloud", user = "nextcloud", password = "nextcloud-password-0123" }, mailu = { database = "mailu", user = "mailu", password = "mailu-password-0123" } }`,
	"mailu_secret_key=mailu-secret-key-0123456789abcdef0123",
	"mailu_dkim_private_key=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAAStest\n-----END PRIVATE KEY-----\n",
	`mariadb_app_credentials={ wordpress = { database = "wordpress", user = "wordpress", password = "wordpress-password-0123" } }`,
	"n8n_encryption_key=n8n-encryption-key-0123456789abcdef0123",
	"alert_heartbeat_url=https://hc-ping.example/0123456789",
	"crm_app_secret=crm-app-secret-0123456789abcdef0123456",
	"analytics_app_secret=analytics-app-secret-0123456789abcdef",
	`wordpress_salts={ AUTH_KEY = "auth-key-0123456789abcdef0123456789", SECURE_AUTH_KEY = "secure-auth-key-0123456789abcdef0123", LOGGED_IN_KEY = "logged-in-key-0123456789abcdef012345", NONCE_KEY = "nonce-key-0123456789abcdef0123456789", AUTH_SALT = "auth-salt-0123456789abcdef0123456789", SECURE_AUTH_SALT = "secure-auth-salt-0123456789abcdef0123", LOGGED_IN_SALT = "logged-in-salt-0123456789abcdef012345", NONCE_SALT = "nonce-salt-0123456789abcdef012345678" }`,
}

// TestPlatformPlanChecks is steps 2 to 4 of DESIGN.md section 4 over the
// real plans of stacks/platform in prod and in dev: the values of every
// helm_release against the chart's offline files, every release rendered
// from its real chart (a template's own failure, a value no template
// reads), the policies over the rendered objects and our own, all of them
// through a real kube-apiserver with ../shared/crds loaded, and the
// releases each environment must (not) have.
func TestPlatformPlanChecks(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	charts := testenv.Shared(t, "charts")
	crds := testenv.Shared(t, "crds")
	repoDir := testenv.Shared(t, "charts", "repo")
	renderer := chartrender.NewRenderer()
	platform := initStack(t, e, "platform")
	for _, pe := range platformEnvs {
		t.Run(pe.name, func(t *testing.T) {
			p, err := planscan.Load(platform.planJSON(t, pe.vars...))
			if err != nil {
				t.Fatal(err)
			}
			logUnknowns(t, p)
			if pe.allKnown {
				for _, m := range p.Manifests {
					if m.Unknown {
						t.Errorf("%s: yaml_body unknown at plan although every secret is given", m.Address)
					}
				}
			}
			t.Run("releases", func(t *testing.T) { checkExpectedReleases(t, pe.env, p) })
			t.Run("values", func(t *testing.T) {
				for _, r := range p.Releases {
					reportProblems(t, planscan.CheckValues(charts, r))
				}
			})
			// One API server per plan, so that a namespace one environment
			// creates cannot hide its absence in the other; its discovery is
			// what the helm provider gives the charts at install.
			ctx, c := crdCluster(t, crds)
			apis, err := c.APIVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("render", func(t *testing.T) { renderReleases(t, renderer, repoDir, apis, p, pe.allKnown) })
			t.Run("policies", func(t *testing.T) { reportProblems(t, planscan.CheckPolicies(charts, p)) })
			// Mailu renders in the plan with every secret (its secret key).
			if pe.allKnown {
				t.Run("mail relay", func(t *testing.T) { checkMailRelay(t, p) })
				t.Run("apache workers", func(t *testing.T) { checkApacheWorkers(t, p) })
			}
			// Alertmanager receives real alerts once, in the plan with
			// every secret (its heartbeat URL among them).
			t.Run("alerts", func(t *testing.T) { checkAlerts(t, p, pe.allKnown, pe.allKnown) })
			t.Run("api-server", func(t *testing.T) { checkManifestsOnAPIServer(ctx, t, c, p) })
		})
	}
}

// renderReleases renders every release whose inputs are known at plan from
// its real chart, as the helm provider will at install, and adds the
// objects to p.Rendered. A chart's own refusal (`fail`, schema) fails the
// test, and so does a value that no template reads (it does nothing: a
// mistake or a key of another chart version). A release with an unknown
// input is rendered in the plan where every secret is given.
func renderReleases(t *testing.T, r *chartrender.Renderer, repoDir string, apis []string, p *planscan.Plan, allKnown bool) {
	for _, rel := range p.Releases {
		if len(rel.Unknown) > 0 {
			if allKnown {
				t.Errorf("%s: unknown at plan although every secret is given: %s", rel.Address, strings.Join(rel.Unknown, ", "))
			}
			continue
		}
		req := planscan.RenderRequest(repoDir, apis, rel)
		objs, err := planscan.RenderRelease(r, req, rel)
		if err != nil {
			t.Error(err)
			continue
		}
		p.Rendered = append(p.Rendered, objs...)
		unread, err := r.UnreadKeys(req)
		if err != nil {
			t.Errorf("%s: %v", rel.Address, err)
		}
		for _, k := range unread {
			t.Errorf("%s: value %s is read by no template of %s: remove it (or fix its path)", rel.Address, k, req)
		}
	}
}

func reportProblems(t *testing.T, ps []planscan.Problem) {
	t.Helper()
	for _, p := range ps {
		t.Error(p)
	}
}

// logUnknowns says what the plan leaves unknown and so escapes the checks:
// the test provider fills computed attributes with unknowns, as a real
// first plan does for anything derived from a resource not yet created.
func logUnknowns(t *testing.T, p *planscan.Plan) {
	t.Helper()
	for _, r := range p.Releases {
		t.Logf("%s: chart %s %s in namespace %s", r.Address, planscan.ChartName(r.Chart), r.Version, r.Namespace)
		if len(r.Unknown) > 0 {
			t.Logf("%s: unknown at plan, not checked: %s", r.Address, strings.Join(r.Unknown, ", "))
		}
	}
	for _, m := range p.Manifests {
		if m.Unknown {
			t.Logf("%s: yaml_body unknown at plan, not checked", m.Address)
		}
	}
	t.Logf("plan: %d helm releases, %d kubectl manifests, %d kubernetes_* resources",
		len(p.Releases), len(p.Manifests), len(p.KubernetesResources))
}

func checkExpectedReleases(t *testing.T, env string, p *planscan.Plan) {
	have := map[string][]string{}
	for _, r := range p.Releases {
		name := planscan.ChartName(r.Chart)
		have[name] = append(have[name], r.Address)
	}
	for _, want := range expectedReleases {
		present := want.prod
		if env == "dev" {
			present = want.dev
		}
		switch got := have[want.chart]; {
		case present && len(got) == 0:
			t.Errorf("%s: no helm_release of chart %s", env, want.chart)
		case !present && len(got) > 0:
			t.Errorf("%s: chart %s must not be installed, but the plan has %s", env, want.chart, strings.Join(got, ", "))
		}
	}
}

// checkManifestsOnAPIServer sends every known kubectl_manifest object and
// every rendered chart object to c, which has ../shared/crds loaded. What
// the plan creates for real first: namespaces from Namespace manifests and
// from helm_release create_namespace, and our own CRDs; everything else is
// a server-side apply dry run.
func checkManifestsOnAPIServer(ctx context.Context, t *testing.T, c *kubeharness.Cluster, p *planscan.Plan) {
	var setup, rest []planscan.Manifest
	// A rendered object naming no namespace goes to its release's, as
	// Helm sends it.
	namespaceOf := map[string]string{}
	for _, r := range p.Releases {
		namespaceOf[r.Address] = r.Namespace
	}
	for _, m := range append(slices.Clone(p.Manifests), p.Rendered...) {
		switch {
		case m.Unknown:
			continue // logged by logUnknowns
		case m.Kind() == "Namespace" || m.Kind() == "CustomResourceDefinition":
			setup = append(setup, m)
		default:
			rest = append(rest, m)
		}
	}
	if len(setup)+len(rest) == 0 {
		t.Fatal("the plan has no kubectl_manifest with a known body: nothing for the API server to check")
	}
	for _, r := range p.Releases {
		if r.CreateNamespace && r.Namespace != "" {
			if err := c.CreateNamespace(ctx, r.Namespace); err != nil {
				t.Fatalf("%s: create namespace %s: %v", r.Address, r.Namespace, err)
			}
		}
	}
	apply := func(m planscan.Manifest, dryRun bool) {
		if _, err := c.Apply(ctx, []byte(m.YAML), kubeharness.ApplyOptions{DryRun: dryRun, Namespace: namespaceOf[m.Release]}); err != nil {
			// A schema mismatch may come back as HTTP 500 "failed to create
			// typed patch object" (see kubeharness.ObjectError): still a
			// refusal, and its message names the field.
			t.Errorf("%s (%s): refused by the API server: %v", m.Address, m.Ref(), err)
		}
	}
	for _, m := range setup {
		apply(m, false)
	}
	for _, m := range rest {
		apply(m, true)
	}
	t.Logf("API server: %d objects created, %d accepted in dry run (%d rendered from charts)", len(setup), len(rest), len(p.Rendered))
}

// crdCluster starts an API server with every CRD of ../shared/crds loaded;
// the context ends with the test.
func crdCluster(t *testing.T, crdsDir string) (context.Context, *kubeharness.Cluster) {
	t.Helper()
	c := kubeharness.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	t.Cleanup(cancel)
	applyCRDFolders(ctx, t, c, crdsDir)
	return ctx, c
}

// applyCRDFolders loads every CRD folder of ../shared/crds.
func applyCRDFolders(ctx context.Context, t *testing.T, c *kubeharness.Cluster, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, e := range entries {
		if e.IsDir() {
			folders = append(folders, e.Name())
		}
	}
	sort.Strings(folders)
	if len(folders) == 0 {
		t.Fatalf("no CRD folder in %s", dir)
	}
	for _, f := range folders {
		if err := c.ApplyCRDs(ctx, filepath.Join(dir, f)); err != nil {
			t.Fatalf("apply CRDs of %s: %v", f, err)
		}
	}
}
