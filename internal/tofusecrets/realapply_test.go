package tofusecrets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"fullfrontend.be/infra/internal/cost"
	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/kubeharness"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// TestDevApplyOnALocalCluster runs the README's dev command for real: the
// six real providers built from ../shared/providers, a control plane that
// schedules (controller-manager, scheduler, kwok nodes shaped like the prod
// pool), the real charts served on loopback through chart_sources. The
// apply must exit 0 with every release deployed, every pod scheduled and
// Ready, every Job complete; the next plan must be empty; destroy must leave
// nothing but the charts' CRDs.
func TestDevApplyOnALocalCluster(t *testing.T) {
	tofu := testenv.Tool(t, "tofu")
	sopsBin := testenv.Tool(t, "sops")
	cliConfig := testenv.RealProviders(t)
	src, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	pool := prodPool(t, src)
	c := kubeharness.Start(t, kubeharness.WithNodes(pool), kubeharness.WithStartTimeout(3*time.Minute))
	charts := serveCharts(t, testenv.Shared(t, "charts", "repo"))

	root := freshClone(t, src)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), []byte(readFile(t, c.Kubeconfig())), 0o600); err != nil {
		t.Fatal(err)
	}
	_, toolsEnv := wrapperTools(t, tofu, sopsBin)
	env := append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + os.TempDir(), "APP_ENV=dev",
		"TF_CLI_CONFIG_FILE=" + cliConfig, "TF_IN_AUTOMATION=1",
		"TF_VAR_chart_sources=" + chartSources(t, root, charts),
	}, toolsEnv...)
	run := func(args ...string) (int, string, time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "tofu-secrets.sh"), args...)
		cmd.Dir, cmd.Env = root, env
		began := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(began).Round(time.Second)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out), took
		}
		if err != nil {
			t.Fatalf("run %v: %v\n%s", args, err, out)
		}
		return 0, string(out), took
	}
	ctx := t.Context()

	code, out, took := run("apply", "-auto-approve", "-no-color")
	t.Logf("apply: exit %d in %s: %s", code, took, summary(out, "Apply complete!"))
	if code != 0 {
		t.Fatalf("dev apply on the local cluster: exit %d\n%s", code, out)
	}
	checkReleasesDeployed(t, ctx, c)
	checkEverythingRuns(t, ctx, c, pool)

	code, out, took = run("plan", "-no-color", "-detailed-exitcode")
	t.Logf("plan after apply: exit %d in %s", code, took)
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("the plan right after the apply is not empty (exit %d):\n%s", code, out)
	}

	code, out, took = run("destroy", "-auto-approve", "-no-color")
	t.Logf("destroy: exit %d in %s: %s", code, took, summary(out, "Destroy complete!"))
	if code != 0 {
		t.Fatalf("dev destroy: exit %d\n%s", code, out)
	}
	checkOnlyCRDsLeft(t, ctx, c)
}

// summary is OpenTofu's line that starts with prefix.
func summary(out, prefix string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return "(no " + prefix + " line)"
}

// prodPool is the default node pool of stacks/cluster (size and minimum
// count from its variables), each node with what the platform can request
// on it: DigitalOcean's allocatable (internal/cost's table) less the
// requests of DOKS's own kube-system pods, which the local cluster does not
// run. The platform must fit there as it must on DOKS.
func prodPool(t *testing.T, root string) kubeharness.NodePool {
	t.Helper()
	defaults := variableDefaults(t, filepath.Join(root, "stacks", "cluster", "variables.tf"))
	size := defaults["node_size"].AsString()
	minNodes, _ := defaults["node_pool"].GetAttr("min_nodes").AsBigFloat().Int64()
	prices := cost.DefaultPrices()
	n, ok := prices.Nodes[size]
	if !ok {
		t.Fatalf("node size %s of stacks/cluster is not in the cost table", size)
	}
	sys := prices.System
	cpu := n.AllocCPU - sys.PerNode.CPU - sys.Fixed.CPU/minNodes
	mem := n.AllocMemory - sys.PerNode.Memory - sys.Fixed.Memory/minNodes
	return kubeharness.NodePool{
		Name: "pool", Size: size, Count: int(minNodes),
		CPU: fmt.Sprint(n.VCPU), Memory: fmt.Sprintf("%dMi", n.Memory>>20),
		AllocCPU: fmt.Sprintf("%dm", cpu), AllocMemory: fmt.Sprintf("%dMi", mem>>20),
		// DOKS runs at most 110 pods per node, the Kubernetes default.
		Pods: 110,
	}
}

// variableDefaults evaluates the literal defaults of a variables.tf.
func variableDefaults(t *testing.T, path string) map[string]cty.Value {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(readFile(t, path)), path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	out := map[string]cty.Value{}
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		if a, ok := b.Body.Attributes["default"]; ok && b.Type == "variable" {
			if v, diags := a.Expr.Value(nil); !diags.HasErrors() {
				out[b.Labels[0]] = v
			}
		}
	}
	return out
}

// serveCharts serves the chart repository on loopback and returns its URL.
func serveCharts(t *testing.T, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String()
}

// chartSources points every chart of modules/chart-sources at url, as an
// operator with a mirror would, through the stack's chart_sources variable.
func chartSources(t *testing.T, root, url string) string {
	t.Helper()
	src := readFile(t, filepath.Join(root, "modules", "chart-sources", "main.tf"))
	var names []string
	for line := range strings.SplitSeq(src, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.Contains(rest, "repository =") {
			names = append(names, strings.TrimSpace(name))
		}
	}
	if len(names) == 0 {
		t.Fatal("no chart found in modules/chart-sources/main.tf")
	}
	var entries []string
	for _, n := range names {
		entries = append(entries, fmt.Sprintf("%q = { repository = %q }", n, url))
	}
	return "{ " + strings.Join(entries, ", ") + " }"
}

// checkReleasesDeployed: the newest revision of every Helm release is
// deployed.
func checkReleasesDeployed(t *testing.T, ctx context.Context, c *kubeharness.Cluster) {
	t.Helper()
	secrets, err := c.List(ctx, "/api/v1/secrets?labelSelector=owner%3Dhelm")
	if err != nil {
		t.Fatal(err)
	}
	type rev struct {
		version int
		status  string
	}
	newest := map[string]rev{}
	for _, s := range secrets {
		md, _ := s["metadata"].(map[string]any)
		labels, _ := md["labels"].(map[string]any)
		key := fmt.Sprintf("%s/%s", md["namespace"], labels["name"])
		var v int
		fmt.Sscan(fmt.Sprint(labels["version"]), &v)
		if v > newest[key].version {
			newest[key] = rev{v, fmt.Sprint(labels["status"])}
		}
	}
	if len(newest) == 0 {
		t.Fatal("no Helm release in the cluster after the apply")
	}
	var names []string
	for k, r := range newest {
		names = append(names, k)
		if r.status != "deployed" {
			t.Errorf("release %s: revision %d is %s, not deployed", k, r.version, r.status)
		}
	}
	sort.Strings(names)
	t.Logf("%d releases deployed: %s", len(names), strings.Join(names, ", "))
}

// checkEverythingRuns waits for the cluster to settle, then fails with each
// pod that is not Ready (the scheduler's message for a pod that does not
// fit) and each Job that has not completed, and logs the requests per node.
func checkEverythingRuns(t *testing.T, ctx context.Context, c *kubeharness.Cluster, pool kubeharness.NodePool) {
	t.Helper()
	var notReady []string
	var err error
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if notReady, err = c.NotReady(ctx); err != nil {
			t.Fatal(err)
		}
		if len(notReady) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	for _, n := range notReady {
		t.Error(n)
	}
	req, err := c.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nodes := slices.Sorted(func(yield func(string) bool) {
		for n := range req {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range nodes {
		t.Logf("requests on %s: cpu %dm of %s, memory %dMi of %s", n, req[n][0], pool.AllocCPU, req[n][1]>>20, pool.AllocMemory)
	}
}

// checkOnlyCRDsLeft: after destroy, no namespace of ours, no cluster-wide
// object of a chart (roles, bindings, IngressClass, webhooks, volumes) is
// left; CustomResourceDefinitions may stay (Helm never deletes them).
func checkOnlyCRDsLeft(t *testing.T, ctx context.Context, c *kubeharness.Cluster) {
	t.Helper()
	builtinNS := map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}
	builtinRoles := map[string]bool{"admin": true, "edit": true, "view": true, "cluster-admin": true}
	var left []string
	for deadline := time.Now().Add(3 * time.Minute); ; {
		left = nil
		for _, q := range []struct {
			path string
			keep func(name string) bool
		}{
			{"/api/v1/namespaces", func(n string) bool { return builtinNS[n] }},
			{"/apis/rbac.authorization.k8s.io/v1/clusterroles", func(n string) bool { return builtinRoles[n] || strings.HasPrefix(n, "system:") }},
			{"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", func(n string) bool { return n == "cluster-admin" || strings.HasPrefix(n, "system:") }},
			{"/apis/networking.k8s.io/v1/ingressclasses", nil},
			{"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", nil},
			{"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", nil},
			{"/apis/scheduling.k8s.io/v1/priorityclasses", func(n string) bool { return strings.HasPrefix(n, "system-") }},
			{"/api/v1/persistentvolumes", nil},
			{"/apis/storage.k8s.io/v1/storageclasses", func(n string) bool { return n == kubeharness.StorageClassName }},
		} {
			items, err := c.List(ctx, q.path)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				md, _ := it["metadata"].(map[string]any)
				name, _ := md["name"].(string)
				if q.keep == nil || !q.keep(name) {
					left = append(left, q.path[strings.LastIndex(q.path, "/")+1:]+"/"+name)
				}
			}
		}
		// Namespaces take a moment to empty; anything else left is final.
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	for _, l := range left {
		t.Errorf("left after destroy: %s", l)
	}
}
