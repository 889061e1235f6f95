package kubeharness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/testenv"
	"sigs.k8s.io/yaml"
)

func TestSplitDocuments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"single", "a: 1\n", []string{"a: 1\n"}},
		{"leading marker", "---\na: 1\n", []string{"", "a: 1\n"}},
		{"two with comment marker", "a: 1\n--- # next\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"crlf", "a: 1\r\n---\r\nb: 2\r\n", []string{"a: 1\r\n", "b: 2\r\n"}},
		{"content on marker line", "--- {a: 1}\n", []string{"", "{a: 1}\n"}},
		{"dashes inside a value are not markers", "a: |\n  ---\n  x\nb: ----\n", []string{"a: |\n  ---\n  x\nb: ----\n"}},
		{"longer dash run is not a marker", "----\n", []string{"----\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range splitDocuments([]byte(tt.in)) {
				got = append(got, string(d))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitDocuments(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeManifest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // kind/namespace/name of each object
		wantErr string
	}{
		{"empty and comment-only documents are skipped",
			"---\n# only a comment\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n",
			[]string{"ConfigMap//a"}, ""},
		{"namespace is kept",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n",
			[]string{"ConfigMap/x/a"}, ""},
		{"v1 List is expanded",
			"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n",
			[]string{"ConfigMap//a", "Secret//b"}, ""},
		{"name is required",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n",
			nil, "document 1: ConfigMap: metadata.name is required"},
		{"kind is required",
			"a: 1\n---\napiVersion: v1\nmetadata: {name: a}\n",
			nil, "document 1: apiVersion and kind are required"},
		{"a scalar is not an object",
			"just text\n",
			nil, "document 1: not a Kubernetes object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decodeManifest([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.kind+"/"+o.namespace+"/"+o.name)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("objects = %q, want %q", got, tt.want)
			}
		})
	}
}

// mistake is a minimal edit that turns a valid manifest into one the server
// must reject, with the substrings its error must contain.
type mistake struct {
	name     string
	old, new string
	want     []string
}

// Valid manifests for TestCluster; each mistake is checked against them.
const (
	configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
data:
  log-level: info
`
	deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 8080
`
	service = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
`
	schedule = `apiVersion: velero.io/v1
kind: Schedule
metadata:
  name: nightly
  namespace: velero
spec:
  schedule: "0 3 * * *"
  template:
    ttl: 720h0m0s
    includedNamespaces:
      - apps
`
	clusterIssuer = `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: selfsigned
spec:
  selfSigned: {}
`
)

func TestCluster(t *testing.T) {
	shared := testenv.Shared(t)
	c := Start(t)
	ctx := t.Context()

	t.Run("kubeconfig", func(t *testing.T) {
		data, err := os.ReadFile(c.Kubeconfig())
		if err != nil {
			t.Fatal(err)
		}
		var kc struct {
			Clusters []struct {
				Cluster struct {
					Server string `json:"server"`
					CAData []byte `json:"certificate-authority-data"`
				} `json:"cluster"`
			} `json:"clusters"`
			Users []struct {
				User struct {
					Token string `json:"token"`
				} `json:"user"`
			} `json:"users"`
		}
		if err := yaml.Unmarshal(data, &kc); err != nil {
			t.Fatalf("parse kubeconfig: %v", err)
		}
		if len(kc.Clusters) != 1 || kc.Clusters[0].Cluster.Server != c.URL() ||
			!strings.Contains(string(kc.Clusters[0].Cluster.CAData), "BEGIN CERTIFICATE") ||
			len(kc.Users) != 1 || kc.Users[0].User.Token == "" {
			t.Errorf("kubeconfig lacks server %s, CA or token:\n%s", c.URL(), data)
		}
	})
	crdsLoaded := t.Run("crds", func(t *testing.T) {
		for _, d := range []string{"velero-12.1.0", "cert-manager-v1.21.1"} {
			if err := c.ApplyCRDs(ctx, filepath.Join(shared, "crds", d)); err != nil {
				t.Fatalf("load CRDs from %s: %v", d, err)
			}
		}
	})
	for _, ns := range []string{"apps", "velero"} {
		if err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatalf("create namespace %s: %v", ns, err)
		}
	}
	if !crdsLoaded {
		t.FailNow()
	}

	tests := []struct {
		name                  string
		manifest              string
		apiVersion, kind      string
		namespace, objectName string
		mistakes              []mistake
	}{
		{
			name: "configmap", manifest: configMap,
			apiVersion: "v1", kind: "ConfigMap", namespace: "apps", objectName: "settings",
			mistakes: []mistake{{"key with a space", "  log-level: info\n", "  log level: info\n",
				[]string{"ConfigMap apps/settings", "data[log level]", "valid config key"}}},
		},
		{
			name: "deployment", manifest: deployment,
			apiVersion: "apps/v1", kind: "Deployment", namespace: "apps", objectName: "web",
			mistakes: []mistake{{"selector misses template labels", "        app: web\n", "        app: webserver\n",
				[]string{"Deployment apps/web", "spec.template.metadata.labels", "`selector` does not match template `labels`"}}},
		},
		{
			name: "service", manifest: service,
			apiVersion: "v1", kind: "Service", namespace: "apps", objectName: "web",
			mistakes: []mistake{{"port out of range", "      port: 80\n", "      port: 70000\n",
				[]string{"Service apps/web", "spec.ports[0].port", "70000"}}},
		},
		{
			name: "velero schedule", manifest: schedule,
			apiVersion: "velero.io/v1", kind: "Schedule", namespace: "velero", objectName: "nightly",
			mistakes: []mistake{
				{"ttl is a number", "    ttl: 720h0m0s\n", "    ttl: 720\n",
					[]string{"Schedule velero/nightly", "spec.template.ttl", "string"}},
				{"schedule missing", "  schedule: \"0 3 * * *\"\n", "",
					[]string{"Schedule velero/nightly", "spec.schedule", "Required value"}},
			},
		},
		{
			name: "cert-manager clusterissuer", manifest: clusterIssuer,
			apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", objectName: "selfsigned",
			mistakes: []mistake{
				{"misspelt field", "  selfSigned: {}\n", "  selfsigned: {}\n",
					[]string{"ClusterIssuer selfsigned", "spec.selfsigned"}},
				{"wrong type", "  selfSigned: {}\n", "  selfSigned: true\n",
					[]string{"ClusterIssuer selfsigned", "spec.selfSigned"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The valid manifest first: dry-run must accept it without
			// storing it, a real apply must store it.
			if _, err := c.Apply(ctx, []byte(tt.manifest), ApplyOptions{DryRun: true}); err != nil {
				t.Fatalf("dry-run of the valid manifest: %v", err)
			}
			if _, err := c.Get(ctx, tt.apiVersion, tt.kind, tt.namespace, tt.objectName); !IsNotFound(err) {
				t.Fatalf("after dry-run, GET = %v, want not found", err)
			}
			res, err := c.Apply(ctx, []byte(tt.manifest), ApplyOptions{})
			if err != nil {
				t.Fatalf("apply of the valid manifest: %v", err)
			}
			if len(res) != 1 || res[0].Name != tt.objectName || res[0].Namespace != tt.namespace {
				t.Fatalf("results = %+v, want one %s", res, tt.objectName)
			}
			if _, err := c.Get(ctx, tt.apiVersion, tt.kind, tt.namespace, tt.objectName); err != nil {
				t.Fatalf("after apply, GET: %v", err)
			}

			for _, m := range tt.mistakes {
				t.Run(m.name, func(t *testing.T) {
					if n := strings.Count(tt.manifest, m.old); n != 1 {
						t.Fatalf("the mistake must edit exactly one place, %q occurs %d times", m.old, n)
					}
					broken := strings.Replace(tt.manifest, m.old, m.new, 1)
					for _, dryRun := range []bool{true, false} {
						res, err := c.Apply(ctx, []byte(broken), ApplyOptions{DryRun: dryRun})
						if err == nil {
							t.Fatalf("dryRun=%t: accepted %+v, want a rejection", dryRun, res)
						}
						if !rejected(err) {
							t.Fatalf("dryRun=%t: error %v is not a server rejection", dryRun, err)
						}
						for _, w := range m.want {
							if !strings.Contains(err.Error(), w) {
								t.Errorf("dryRun=%t: error %q does not contain %q", dryRun, err, w)
							}
						}
					}
				})
			}
		})
	}

	t.Run("namespace defaulting", func(t *testing.T) {
		manifest := "# two objects, no namespace\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: loose}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n"
		for _, tc := range []struct{ opt, want string }{{"", "default"}, {"apps", "apps"}} {
			res, err := c.Apply(ctx, []byte(manifest), ApplyOptions{Namespace: tc.opt, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 2 || res[0].Namespace != tc.want || res[1].Namespace != "" {
				t.Errorf("Namespace option %q: results %+v, want the ConfigMap in %q and the Namespace cluster-scoped", tc.opt, res, tc.want)
			}
		}
	})

	t.Run("kind without CRD", func(t *testing.T) {
		manifest := "apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata: {name: m, namespace: apps}\n"
		_, err := c.Apply(ctx, []byte(manifest), ApplyOptions{DryRun: true})
		if err == nil || !strings.Contains(err.Error(), "Middleware apps/m") || !strings.Contains(err.Error(), "traefik.io/v1alpha1") {
			t.Errorf("error = %v, want one naming the object and its unserved API", err)
		}
	})
}

// rejected reports whether err is the server refusing an object: a 4xx, or
// the 500 server-side apply gives for a field that does not fit the schema.
func rejected(err error) bool {
	var oe *ObjectError
	if !errors.As(err, &oe) {
		return false
	}
	return oe.Code/100 == 4 ||
		oe.Code == 500 && strings.HasPrefix(oe.Message, "failed to create typed patch object")
}
