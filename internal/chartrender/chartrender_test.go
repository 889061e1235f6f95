package chartrender

import (
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/testenv"
	"sigs.k8s.io/yaml"
)

// Helm's value coalescing warns through the standard logger; UnreadKeys
// makes it warn for every subchart table it nulls.
func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	os.Exit(m.Run())
}

func repoDir(t *testing.T) string {
	t.Helper()
	return testenv.Shared(t, "charts", "repo")
}

// vals decodes YAML, or reads testdata/<name> when it ends in .yaml.
func vals(t *testing.T, src string) map[string]any {
	t.Helper()
	if strings.HasSuffix(src, ".yaml") {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		src = string(b)
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// want is an object that must be rendered.
type want struct {
	kind     string
	template string // a substring of Object.Template
	hook     bool
}

func find(objs []Object, w want) *Object {
	for i, o := range objs {
		if o.Object["kind"] == w.kind && o.Hook == w.hook && strings.Contains(o.Template, w.template) {
			return &objs[i]
		}
	}
	return nil
}

func TestRender(t *testing.T) {
	tests := []struct {
		name, chart string
		version     string
		values      string
		want        []want
		check       func(t *testing.T, objs []Object)
	}{
		{name: "defaults", chart: "traefik", version: "41.3.0", values: `{}`,
			want: []want{{kind: "Deployment", template: "traefik/templates/deployment.yaml"}}},
		{name: "platform", chart: "traefik", version: "41.3.0", values: "traefik.yaml",
			want: []want{{kind: "Deployment", template: "deployment"}, {kind: "IngressClass", template: "ingressclass"}},
			check: func(t *testing.T, objs []Object) {
				d := find(objs, want{kind: "Deployment", template: "deployment"})
				if r := d.Object["spec"].(map[string]any)["replicas"]; r != float64(2) {
					t.Errorf("replicas = %v, want 2", r)
				}
			}},
		// Rendered only when the cluster serves monitoring.coreos.com/v1.
		{name: "servicemonitor", chart: "traefik", version: "41.3.0", values: `{metrics: {prometheus: {serviceMonitor: {enabled: true}}}}`,
			want: []want{{kind: "ServiceMonitor", template: "traefik/templates/servicemonitor.yaml"}}},
		{name: "crds", chart: "cert-manager", version: "v1.21.1", values: `{crds: {enabled: true}}`,
			want: []want{
				{kind: "Deployment", template: "cert-manager/templates/webhook-deployment.yaml"},
				{kind: "CustomResourceDefinition", template: "cert-manager/templates/crd-"},
				{kind: "Job", template: "cert-manager/templates/startupapicheck-job.yaml", hook: true},
			}},
		{name: "digitalocean", chart: "external-dns", version: "1.21.1", values: `{provider: {name: digitalocean}}`,
			want: []want{{kind: "Deployment", template: "external-dns/templates/deployment.yaml"}}},
		{name: "platform", chart: "velero", version: "12.1.0", values: "velero.yaml",
			want: []want{
				{kind: "Deployment", template: "velero/templates/deployment.yaml"},
				{kind: "DaemonSet", template: "velero/templates/node-agent-daemonset.yaml"},
				{kind: "BackupStorageLocation", template: "velero/templates/backupstoragelocation.yaml"},
				{kind: "Job", template: "velero/templates/upgrade-crds/upgrade-crds.yaml", hook: true},
			},
			check: func(t *testing.T, objs []Object) {
				var hooks []string
				for _, o := range objs {
					if o.Hook {
						hooks = append(hooks, o.Template)
					}
				}
				slices.Sort(hooks)
				want := []string{
					"velero/templates/upgrade-crds/clusterrole-upgrade.yaml",
					"velero/templates/upgrade-crds/clusterrolebinding-upgrade.yaml",
					"velero/templates/upgrade-crds/serviceaccount-upgrade.yaml",
					"velero/templates/upgrade-crds/upgrade-crds.yaml",
				}
				if !slices.Equal(hooks, want) {
					t.Errorf("hooks from %q, want %q", hooks, want)
				}
			}},
		{name: "defaults", chart: "zot", version: "0.1.122", values: `{}`,
			want: []want{{kind: "Deployment", template: "zot/templates/deployment.yaml"}}},
		{name: "platform", chart: "mailu", version: "2.7.1", values: "mailu.yaml",
			want: []want{{kind: "Deployment", template: "mailu/templates/front/deployment.yaml"}},
			check: func(t *testing.T, objs []Object) {
				cm := find(objs, want{kind: "ConfigMap", template: "mailu/templates/envvars-configmap.yaml"})
				if cm == nil {
					t.Fatal("no envvars ConfigMap")
				}
				// Ports in the chart's order: imaps, smtp, smtps, submission.
				if got := cm.Object["data"].(map[string]any)["PROXY_PROTOCOL"]; got != "993,25,465,587" {
					t.Errorf("PROXY_PROTOCOL = %v", got)
				}
			}},
		{name: "platform", chart: "nextcloud", version: "9.2.4", values: "nextcloud.yaml",
			want: []want{{kind: "Deployment", template: "nextcloud/templates/deployment.yaml"}}},
		{name: "existing secret", chart: "n8n", version: "1.11.0", values: `{secretRefs: {existingSecret: n8n, env: {N8N_ENCRYPTION_KEY: ""}}}`,
			want: []want{{kind: "Deployment", template: "n8n/templates/deployment-main.yaml"}}},
		{name: "platform", chart: "kube-prometheus-stack", version: "88.5.3", values: "kube-prometheus-stack.yaml",
			want: []want{
				{kind: "Prometheus", template: "kube-prometheus-stack/templates/prometheus/prometheus.yaml"},
				{kind: "Deployment", template: "kube-prometheus-stack/charts/grafana/templates/deployment.yaml"},
				{kind: "DaemonSet", template: "kube-prometheus-stack/charts/prometheus-node-exporter/"},
				{kind: "Job", template: "kube-prometheus-stack/templates/prometheus-operator/admission-webhooks/job-patch/job-createSecret.yaml", hook: true},
			}},
		{name: "retention", chart: "victoria-logs-single", version: "0.13.9", values: `{server: {retentionPeriod: 30d}}`,
			want: []want{{kind: "StatefulSet", template: "victoria-logs-single/templates/server.yaml"}}},
		{name: "remote write", chart: "victoria-logs-collector", version: "0.3.7", values: `{remoteWrite: [{url: "http://victoria-logs.infra.svc:9428"}]}`,
			want: []want{{kind: "DaemonSet", template: "victoria-logs-collector/templates/server.yaml"}}},
		{name: "single binary", chart: "loki", version: "18.11.0", values: `{loki: {useTestSchema: true, storage: {type: filesystem}, commonConfig: {replication_factor: 1}}, singleBinary: {replicas: 1}, backend: {replicas: 0}, read: {replicas: 0}, write: {replicas: 0}}`,
			want: []want{{kind: "StatefulSet", template: "loki/templates/monolithic/"}}},
	}
	dir := repoDir(t)
	for _, tt := range tests {
		t.Run(tt.chart+"/"+tt.name, func(t *testing.T) {
			req := Request{RepoDir: dir, Chart: tt.chart, Version: tt.version, Name: tt.chart, Namespace: "test", Values: vals(t, tt.values)}
			r := NewRenderer()
			start := time.Now()
			objs, err := r.Render(req) // reads the archive
			cold := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			if _, err := r.Render(req); err != nil {
				t.Fatal(err)
			}
			hooks := 0
			for _, o := range objs {
				if o.Hook {
					hooks++
				}
			}
			t.Logf("%s %s: %d objects (%d hooks), first render %v, cached %v", tt.chart, tt.version, len(objs), hooks, cold.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
			for _, w := range tt.want {
				if find(objs, w) == nil {
					t.Errorf("no %s (hook %v) from a template matching %q", w.kind, w.hook, w.template)
				}
			}
			for _, o := range objs {
				meta, _ := o.Object["metadata"].(map[string]any)
				ann, _ := meta["annotations"].(map[string]any)
				_, annotated := ann["helm.sh/hook"]
				if o.Hook != annotated {
					t.Errorf("%s %s: Hook = %v, annotation helm.sh/hook present = %v", o.Template, o.Object["kind"], o.Hook, annotated)
				}
				if o.Template == "" || len(o.Object) == 0 {
					t.Errorf("incomplete object %+v", o)
				}
			}
			if tt.check != nil {
				tt.check(t, objs)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	dir := repoDir(t)
	mailu := func(ingress string) map[string]any {
		v := vals(t, "mailu.yaml")
		for k, x := range vals(t, ingress) {
			v["ingress"].(map[string]any)[k] = x
		}
		return v
	}
	tests := []struct {
		name                string
		chart, version, dir string
		values              map[string]any
		want                []string // substrings of the error
	}{
		{name: "mailu PROXY protocol with realIpHeader", chart: "mailu", version: "2.7.1",
			values: mailu(`{realIpHeader: X-Forwarded-For}`),
			want:   []string{"chart mailu 2.7.1", "mailu/templates/", "PROXY protocol is enabled for some ports, but ingress.realIpHeader is set"}},
		{name: "mailu PROXY protocol without realIpFrom", chart: "mailu", version: "2.7.1",
			values: mailu(`{realIpFrom: ""}`),
			want:   []string{"PROXY protocol is enabled for some ports, but ingress.realIpFrom is not set"}},
		{name: "n8n placeholder encryption key", chart: "n8n", version: "1.11.0",
			values: map[string]any{},
			want:   []string{"chart n8n 1.11.0", "n8n/templates/deployment-main.yaml", "N8N_ENCRYPTION_KEY must be changed"}},
		{name: "schema", chart: "traefik", version: "41.3.0",
			values: vals(t, `{deployment: {replicas: two}}`),
			want:   []string{"chart traefik 41.3.0", "values don't meet the specifications of the schema", "replicas"}},
		{name: "schema, unknown key", chart: "traefik", version: "41.3.0",
			values: vals(t, `{kubectl: {image: {tag: x}}}`),
			want:   []string{"additional properties 'kubectl' not allowed"}},
		{name: "unknown chart", chart: "nosuchchart", version: "1.0.0",
			want: []string{"chart nosuchchart 1.0.0 in repository " + dir, "no such chart in index.yaml"}},
		{name: "unknown version", chart: "mailu", version: "2.7.0",
			want: []string{"chart mailu 2.7.0 in repository " + dir, "no such version in index.yaml (it has 2.7.1)"}},
		{name: "no repository", chart: "mailu", version: "2.7.1", dir: "/nonexistent",
			want: []string{"chart mailu 2.7.1 in repository /nonexistent", "index.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dir
			if tt.dir != "" {
				d = tt.dir
			}
			_, err := Render(Request{RepoDir: d, Chart: tt.chart, Version: tt.version, Name: "rel", Namespace: "test", Values: tt.values})
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Install disables subcharts by editing the chart it is given: a Renderer
// must not carry that over from one render to the next, nor touch the
// caller's values.
func TestRenderReusesNothing(t *testing.T) {
	r := NewRenderer()
	in := vals(t, `{grafana: {enabled: false}}`)
	req := Request{RepoDir: repoDir(t), Chart: "kube-prometheus-stack", Version: "88.5.3", Name: "kps", Namespace: "test", Values: in}
	grafana := want{kind: "Deployment", template: "charts/grafana/"}
	for _, tt := range []struct {
		values map[string]any
		want   bool
	}{{in, false}, {nil, true}, {in, false}} {
		req.Values = tt.values
		objs, err := r.Render(req)
		if err != nil {
			t.Fatal(err)
		}
		if got := find(objs, grafana) != nil; got != tt.want {
			t.Errorf("values %v: Grafana rendered = %v, want %v", tt.values, got, tt.want)
		}
	}
	if want := vals(t, `{grafana: {enabled: false}}`); !equalYAML(t, in, want) {
		t.Errorf("values changed to %v", in)
	}
}

func equalYAML(t *testing.T, a, b any) bool {
	t.Helper()
	x, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(x) == string(y)
}

func TestUnreadKeys(t *testing.T) {
	tests := []struct {
		name, chart, version string
		values               string
		want                 []string
	}{
		// kubectl.image is only read by the label-namespace and cleanup-crds
		// jobs (both off); the schema requires kubectl.image.repository.
		// snapshotsEnabled only gates the VolumeSnapshotLocations, of which
		// there are none. uploaderType (kopia) equals what the template
		// does without it, but another value changes the release: read.
		{name: "velero, platform values", chart: "velero", version: "12.1.0", values: "velero.yaml",
			want: []string{"kubectl.image.tag", "kubectl.resources", "snapshotsEnabled"}},
		// With the chart's default volumeSnapshotLocation, snapshotsEnabled
		// renders one.
		{name: "velero, snapshots", chart: "velero", version: "12.1.0",
			values: `{kubectl: {image: {tag: v1.34.2}}, snapshotsEnabled: true}`,
			want:   []string{"kubectl.image.tag"}},
		// An image tag makes the flavor unused; existing secrets make the
		// password and externalDatabase.enabled (it gates only the chart's
		// own database Secret) unused. mail.enabled equals its default, and
		// is read.
		{name: "nextcloud, platform values", chart: "nextcloud", version: "9.2.4", values: "nextcloud.yaml",
			want: []string{"externalDatabase.enabled", "image.flavor", "nextcloud.password"}},
		// A secret name equal to the one the chart derives from the release
		// name makes no difference either.
		{name: "nextcloud, default secret name", chart: "nextcloud", version: "9.2.4",
			values: `{externalDatabase: {enabled: true, existingSecret: {enabled: true, secretName: nextcloud-db}}, image: {repository: library/nextcloud}}`,
			want:   []string{"externalDatabase.enabled", "externalDatabase.existingSecret.secretName"}},
		// An empty password makes the chart generate one (randAlphaNum) at
		// every render: only the generated line is set aside.
		{name: "nextcloud, generated password", chart: "nextcloud", version: "9.2.4",
			values: `{nextcloud: {password: "", mail: {enabled: false}}, image: {flavor: fpm}}`,
			want:   nil},
		// The PDB is off, so its maxUnavailable is never read; the other
		// keys equal the chart's defaults, and are read.
		{name: "traefik, platform values", chart: "traefik", version: "41.3.0", values: "traefik.yaml",
			want: []string{"podDisruptionBudget.maxUnavailable"}},
		{name: "traefik, replicas", chart: "traefik", version: "41.3.0", values: `{deployment: {replicas: 1}}`,
			want: nil},
		// The rules of disabled components are off with them (Grafana's admin
		// keys and persistence equal its defaults, and are read).
		{name: "kube-prometheus-stack, platform values", chart: "kube-prometheus-stack", version: "88.5.3", values: "kube-prometheus-stack.yaml",
			want: []string{
				"defaultRules.rules.etcd", "defaultRules.rules.kubeControllerManager", "defaultRules.rules.kubeProxy",
				"defaultRules.rules.kubeSchedulerAlerting", "defaultRules.rules.kubeSchedulerRecording", "defaultRules.rules.windows",
			}},
	}
	dir := repoDir(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRenderer()
			start := time.Now()
			got, err := r.UnreadKeys(Request{RepoDir: dir, Chart: tt.chart, Version: tt.version, Name: tt.chart, Namespace: "test", Values: vals(t, tt.values)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s %s: %d renders in %v", tt.chart, tt.version, r.renders.Load(), time.Since(start).Round(time.Millisecond))
			if !slices.Equal(got, tt.want) {
				t.Errorf("UnreadKeys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnreadKeysRenderError(t *testing.T) {
	_, err := UnreadKeys(Request{RepoDir: repoDir(t), Chart: "n8n", Version: "1.11.0", Name: "n8n", Namespace: "test", Values: map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), "N8N_ENCRYPTION_KEY") {
		t.Errorf("err = %v, want the template failure", err)
	}
}

func TestFormatPath(t *testing.T) {
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"kubectl", "image"}, "kubectl.image"},
		{[]string{"kube-state-metrics", "resources"}, "kube-state-metrics.resources"},
		{[]string{"podAnnotations", "prometheus.io/scrape"}, `podAnnotations["prometheus.io/scrape"]`},
		{[]string{"configs", "redis.config.php", "x"}, `configs["redis.config.php"].x`},
		{[]string{"a b", `q"`}, `["a b"]["q\""]`},
		{[]string{"", "_x"}, `[""]._x`},
	}
	for _, tt := range tests {
		if got := FormatPath(tt.path); got != tt.want {
			t.Errorf("FormatPath(%q) = %s, want %s", tt.path, got, tt.want)
		}
	}
}

// A chart that generates a secret renders differently each time: the lines
// that change between two renders must still be random, of the same length,
// in a render without a key; every other line must be equal.
func TestBaselineVolatileLines(t *testing.T) {
	base := &baseline{
		docs:     []doc{{template: "a", text: "x: 1\npw: r1\ny: 2"}},
		lines:    [][]string{{"x: 1", "pw: r1", "y: 2"}},
		volatile: []map[int]int{{1: 6}},
		whole:    []bool{false},
		random:   true,
	}
	one := func(text string) []doc { return []doc{{template: "a", text: text}} }
	tests := []struct {
		name        string
		docs, again []doc
		want        bool
	}{
		{"same", one("x: 1\npw: r1\ny: 2"), one("x: 1\npw: r2\ny: 2"), true},
		{"other secrets", one("x: 1\npw: r3\ny: 2"), one("x: 1\npw: r4\ny: 2"), true},
		{"fixed secret", one("x: 1\npw: r0\ny: 2"), one("x: 1\npw: r0\ny: 2"), false},
		{"longer secret", one("x: 1\npw: r10\ny: 2"), one("x: 1\npw: r11\ny: 2"), false},
		{"other value", one("x: 1\npw: r3\ny: 3"), one("x: 1\npw: r4\ny: 3"), false},
		{"extra line", one("x: 1\npw: r3\ny: 2\nz: 3"), one("x: 1\npw: r4\ny: 2\nz: 3"), false},
		{"other template", []doc{{template: "b", text: "x: 1\npw: r1\ny: 2"}}, one("x: 1\npw: r2\ny: 2"), false},
		{"hook", []doc{{template: "a", hook: true, text: "x: 1\npw: r1\ny: 2"}}, one("x: 1\npw: r2\ny: 2"), false},
		{"no document", nil, nil, false},
		{"no second render", one("x: 1\npw: r1\ny: 2"), nil, false},
	}
	for _, tt := range tests {
		if got := base.same(tt.docs, tt.again); got != tt.want {
			t.Errorf("%s: same = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestUnreadKeysOncePerRelease: the same release asked again is answered
// without rendering (two environments often plan identical values).
func TestUnreadKeysOncePerRelease(t *testing.T) {
	r := NewRenderer()
	req := Request{RepoDir: repoDir(t), Chart: "traefik", Version: "41.3.0", Name: "traefik", Namespace: "infra",
		Values: map[string]any{"deployment": map[string]any{"replicas": 2}}}
	first, err := r.UnreadKeys(req)
	if err != nil {
		t.Fatal(err)
	}
	n := r.renders.Load()
	again, err := r.UnreadKeys(req)
	if err != nil || !slices.Equal(first, again) || r.renders.Load() != n {
		t.Fatalf("second call: %v %v, %d renders after %d", again, err, r.renders.Load(), n)
	}
}
