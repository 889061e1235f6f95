package stacks

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

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

// platformEnvs are the plans of stacks/platform that the chain checks.
var platformEnvs = []string{"prod", "dev"}

// TestPlatformPlanChecks is steps 2 to 4 of DESIGN.md section 4 over the
// real plans of stacks/platform in prod and in dev: the values of every
// helm_release against the chart's offline files, the policies over values
// and own objects, every kubectl_manifest object through a real
// kube-apiserver with all of ../shared/crds loaded, and the releases each
// environment must (not) have.
func TestPlatformPlanChecks(t *testing.T) {
	e := tofutest.Setup(t)
	charts := testenv.Shared(t, "charts")
	crds := testenv.Shared(t, "crds")
	platform := initStack(t, e, "platform")
	for _, env := range platformEnvs {
		t.Run(env, func(t *testing.T) {
			p, err := planscan.Load(platform.planJSON(t, "app_env="+env))
			if err != nil {
				t.Fatal(err)
			}
			logUnknowns(t, p)
			t.Run("releases", func(t *testing.T) { checkExpectedReleases(t, env, p) })
			t.Run("values", func(t *testing.T) {
				for _, r := range p.Releases {
					reportProblems(t, planscan.CheckValues(charts, r))
				}
			})
			t.Run("policies", func(t *testing.T) { reportProblems(t, planscan.CheckPolicies(charts, p)) })
			t.Run("api-server", func(t *testing.T) { checkManifestsOnAPIServer(t, crds, p) })
		})
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

// checkManifestsOnAPIServer sends every known kubectl_manifest object to a
// fresh API server (one per plan, so that a namespace one environment
// creates cannot hide its absence in the other). What the plan creates for
// real first: CRDs of ../shared/crds, namespaces from Namespace manifests
// and from helm_release create_namespace, and our own CRDs; everything else
// is a server-side apply dry run.
func checkManifestsOnAPIServer(t *testing.T, crdsDir string, p *planscan.Plan) {
	var setup, rest []planscan.Manifest
	for _, m := range p.Manifests {
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
	c := kubeharness.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	applyCRDFolders(ctx, t, c, crdsDir)
	for _, r := range p.Releases {
		if r.CreateNamespace && r.Namespace != "" {
			if err := c.CreateNamespace(ctx, r.Namespace); err != nil {
				t.Fatalf("%s: create namespace %s: %v", r.Address, r.Namespace, err)
			}
		}
	}
	apply := func(m planscan.Manifest, dryRun bool) {
		if _, err := c.Apply(ctx, []byte(m.YAML), kubeharness.ApplyOptions{DryRun: dryRun}); err != nil {
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
	t.Logf("API server: %d objects created, %d accepted in dry run", len(setup), len(rest))
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
