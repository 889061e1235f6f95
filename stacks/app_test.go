package stacks

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// docFile is one fenced code block of a doc whose first line names the file
// it belongs to ("# modules/apps/<app>/main.tf").
type docFile struct {
	path, body string
}

// docFiles reads the file blocks of a doc, in order, with <app> replaced.
func docFiles(t *testing.T, doc, app string) []docFile {
	t.Helper()
	f, err := os.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docFile
	var cur *docFile
	inBlock, first := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !inBlock && strings.HasPrefix(line, "```"):
			inBlock, first = true, true
			continue
		case inBlock && line == "```":
			inBlock = false
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
		case first:
			// Only a block whose first line is "# <path>" is a step.
			if p, ok := strings.CutPrefix(line, "# "); ok && strings.Contains(p, "/") && !strings.Contains(p, " ") {
				cur = &docFile{path: strings.ReplaceAll(p, "<app>", app)}
			}
		case inBlock && cur != nil:
			cur.body += strings.ReplaceAll(line, "<app>", app) + "\n"
		}
		first = false
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAddAnAppThroughTheDocumentedSteps follows docs/add-application.md and
// nothing else: its file blocks, with <app> = demo, go into a copy of the
// repository (new files created, the catalog and apps.tf appended to). The
// plan must then give the app its namespace, ingress, certificate (prod
// only), Velero schedule and database, and pass every check the platform's
// own plans pass.
func TestAddAnAppThroughTheDocumentedSteps(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	files := docFiles(t, filepath.Join(e.Repo, "docs", "add-application.md"), "demo")
	var catalog, module, wiring []docFile
	for _, f := range files {
		switch {
		case f.path == "modules/environment/apps.yaml":
			catalog = append(catalog, f)
		case strings.HasPrefix(f.path, "modules/apps/demo/"):
			module = append(module, f)
		case f.path == "stacks/platform/apps.tf":
			wiring = append(wiring, f)
		default:
			t.Fatalf("docs/add-application.md has a block for %s, which is none of the three places an app touches", f.path)
		}
	}
	if len(catalog) != 1 || len(wiring) != 1 || len(module) < 3 {
		t.Fatalf("docs/add-application.md: want one catalog entry, one stack block and the module's files, got %d, %d, %d", len(catalog), len(wiring), len(module))
	}

	s := initStack(t, e, "platform")
	write := func(f docFile, appendTo bool) {
		t.Helper()
		p := filepath.Join(s.root(), f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		flag := os.O_CREATE | os.O_WRONLY | os.O_EXCL
		if appendTo {
			flag = os.O_WRONLY | os.O_APPEND
		}
		out, err := os.OpenFile(p, flag, 0o644)
		if err != nil {
			t.Fatalf("step %s: %v", f.path, err)
		}
		defer out.Close()
		if _, err := out.WriteString("\n" + f.body); err != nil {
			t.Fatal(err)
		}
	}

	// Step 1 alone: the app is known but cannot run yet, and says why.
	write(catalog[0], true)
	code, out := s.run(t, "plan", "-input=false", "-var", "app_env=prod", "-var", `apps=["registry","demo"]`)
	if code == 0 || !strings.Contains(oneLine(out), "demo has no module yet") {
		t.Fatalf("catalog entry without module: want a plan error naming demo, got exit %d:\n%s", code, out)
	}

	// Steps 2 and 3.
	for _, f := range module {
		write(f, false)
	}
	write(wiring[0], true)
	s.init(t)

	charts := testenv.Shared(t, "charts")
	for _, env := range []string{"prod", "dev"} {
		t.Run(env, func(t *testing.T) {
			raw := s.planJSON(t, "app_env="+env)
			p, err := planscan.Load(raw)
			if err != nil {
				t.Fatal(err)
			}
			root := map[string]string{"prod": "fullfrontend.be", "dev": "fullfrontend.kube"}[env]
			logUnknowns(t, p)
			checkDemoApp(t, env, root, p, addresses(t, raw))
			reportProblems(t, planscan.CheckPolicies(charts, p))
			if env == "prod" {
				ctx, c := crdCluster(t, testenv.Shared(t, "crds"))
				checkManifestsOnAPIServer(ctx, t, c, p)
				ws, err := planscan.Workloads(p)
				if err != nil {
					t.Fatal(err)
				}
				if !hasWorkload(ws, "module.demo[0].kubectl_manifest.deployment") {
					t.Errorf("infra cost does not count the demo app's Deployment")
				}
			}
		})
	}
}

func checkDemoApp(t *testing.T, env, root string, p *planscan.Plan, addrs map[string]bool) {
	t.Helper()
	byRef := map[string]planscan.Manifest{}
	for _, m := range p.Manifests {
		if !m.Unknown {
			byRef[m.Kind()+" "+m.Namespace()+"/"+m.Name()] = m
		}
	}
	ns, ok := byRef["Namespace /demo"]
	if !ok {
		t.Fatalf("%s: no Namespace demo in the plan", env)
	}
	if got := dig(ns.Object, "metadata", "labels", "fullfrontend.be/tier"); got != "apps" {
		t.Errorf("%s: namespace demo has tier %v, want apps", env, got)
	}
	ing, ok := byRef["Ingress demo/demo"]
	if !ok {
		t.Fatalf("%s: no Ingress demo/demo", env)
	}
	if got := dig(ing.Object, "spec", "rules", 0, "host"); got != "demo."+root {
		t.Errorf("%s: ingress host %v, want demo.%s", env, got, root)
	}
	issuer := dig(ing.Object, "metadata", "annotations", "cert-manager.io/cluster-issuer")
	tls := dig(ing.Object, "spec", "tls", 0, "secretName")
	if env == "prod" && (issuer != "letsencrypt-prod" || tls != "demo-tls") {
		t.Errorf("prod: ingress issuer %v and TLS secret %v, want letsencrypt-prod and demo-tls (the certificate)", issuer, tls)
	}
	if env == "dev" && (issuer != nil || tls != nil) {
		t.Errorf("dev: ingress must have no certificate, has issuer %v and TLS %v", issuer, tls)
	}
	sch, ok := byRef["Schedule infra/demo-daily"]
	if !ok {
		t.Fatalf("%s: no Velero Schedule infra/demo-daily", env)
	}
	if got := dig(sch.Object, "spec", "template", "includedNamespaces"); !reflect.DeepEqual(got, []any{"demo"}) || dig(sch.Object, "spec", "schedule") != "0 3 * * *" {
		t.Errorf("%s: demo-daily covers %v at %v, want [demo] at 0 3 * * *", env, got, dig(sch.Object, "spec", "schedule"))
	}
	// The database entry: a generated password, the credentials Secret in
	// the app's namespace, and the init Job that creates database and user.
	for _, a := range []string{
		`random_password.app_database["demo"]`,
		`module.demo[0].module.common.kubectl_manifest.database[0]`,
		`module.database["postgres"].kubectl_manifest.init_apps`,
	} {
		if !addrs[a] {
			t.Errorf("%s: the plan has no %s", env, a)
		}
	}
}

// addresses lists every resource address the plan creates or keeps.
func addresses(t *testing.T, raw []byte) map[string]bool {
	t.Helper()
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range plan.ResourceChanges {
		out[r.Address] = true
	}
	return out
}

func hasWorkload(ws []planscan.Workload, address string) bool {
	for _, w := range ws {
		if w.Address == address {
			return true
		}
	}
	return false
}

// dig walks maps by key and lists by index; nil when a step is missing.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestEveryAppModuleIsWired: a folder in modules/apps is an app the stack
// runs by default (modules/environment enables every catalog app that has
// a module), so it must have its catalog entry and its block in
// stacks/platform/apps.tf; otherwise the stack would create its database
// and nothing else.
func TestEveryAppModuleIsWired(t *testing.T) {
	t.Parallel()
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "modules", "apps"))
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := os.ReadFile(filepath.Join(root, "modules", "environment", "apps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wiring, err := os.ReadFile(filepath.Join(root, "stacks", "platform", "apps.tf"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name()
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s*$`).Match(catalog) {
			t.Errorf("modules/apps/%s has no entry in modules/environment/apps.yaml", name)
		}
		if !regexp.MustCompile(`(?m)^\s*source\s*=\s*"\.\./\.\./modules/apps/` + regexp.QuoteMeta(name) + `"`).Match(wiring) {
			t.Errorf("modules/apps/%s has no module block in stacks/platform/apps.tf (docs/add-application.md, step 3)", name)
		}
	}
	if n == 0 {
		t.Fatal("no app module found: the walk is broken")
	}
}
