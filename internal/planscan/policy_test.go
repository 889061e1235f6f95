package planscan

import (
	"strings"
	"testing"
)

func manifest(t *testing.T, body string) Manifest {
	t.Helper()
	obj, err := parseYAMLMap(body)
	if err != nil {
		t.Fatal(err)
	}
	return Manifest{Address: "kubectl_manifest.m", YAML: body, Object: obj}
}

func plainRelease(t *testing.T, values string) Release {
	t.Helper()
	v, err := parseYAMLMap(values)
	if err != nil {
		t.Fatal(err)
	}
	return Release{Address: "helm_release.plain", Repository: "https://charts.example.org", Chart: "plain", Version: "1.0.0", Values: v}
}

// deployment is a Deployment that passes every manifest policy; each case
// below breaks one thing in it.
const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
        - name: init
          image: docker.io/library/busybox:1.37
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 16Mi}}
      containers:
        - name: web
          image: ghcr.io/example/web:1.2.3
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /, port: 8080}}
          livenessProbe: {httpGet: {path: /, port: 8080}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
`

func TestManifestPolicies(t *testing.T) {
	tests := []struct {
		name      string
		from, to  string // replaced once in deployment; empty: the control
		check     func(Manifest) []Problem
		wantProbs []string
	}{
		{"control: bitnami", "", "", BitnamiInManifest, nil},
		{"bitnami image", "ghcr.io/example/web:1.2.3", "docker.io/bitnami/nginx:1.27", BitnamiInManifest,
			[]string{`spec.template.spec.containers[0].image: Bitnami image "docker.io/bitnami/nginx:1.27" is forbidden`}},
		{"bitnamilegacy image", "docker.io/library/busybox:1.37", "bitnamilegacy/os-shell:12", BitnamiInManifest,
			[]string{"initContainers[0].image: Bitnami image"}},
		{"control: images", "", "", UnpinnedImagesInManifest, nil},
		{"latest tag", "ghcr.io/example/web:1.2.3", "ghcr.io/example/web:latest", UnpinnedImagesInManifest,
			[]string{"containers[0].image: container web: image \"ghcr.io/example/web:latest\" uses the tag latest"}},
		{"no tag", "docker.io/library/busybox:1.37", "registry.example.org:5000/busybox", UnpinnedImagesInManifest,
			[]string{"initContainers[0].image: container init: image \"registry.example.org:5000/busybox\" has no tag"}},
		{"digest pins without a tag", "ghcr.io/example/web:1.2.3", "ghcr.io/example/web@sha256:0123abcd", UnpinnedImagesInManifest, nil},
		{"control: resources", "", "", MissingResourcesInManifest, nil},
		{"no memory limit", "limits: {memory: 256Mi}", "limits: {cpu: 1}", MissingResourcesInManifest,
			[]string{"containers[0].resources: container web lacks limits.memory"}},
		{"no resources on the init container", "resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 16Mi}}", "", MissingResourcesInManifest,
			[]string{"initContainers[0].resources: container init lacks requests.cpu, requests.memory, limits.memory"}},
		{"control: probes", "", "", MissingProbes, nil},
		{"no readiness probe", "readinessProbe: {httpGet: {path: /, port: 8080}}", "", MissingProbes,
			[]string{"containers[0].readinessProbe: container web exposes a port but has no readinessProbe"}},
		{"no port, no probe needed", "ports: [{containerPort: 8080}]\n          readinessProbe: {httpGet: {path: /, port: 8080}}\n          livenessProbe: {httpGet: {path: /, port: 8080}}", "", MissingProbes, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := deployment
			if tt.from != "" || tt.to != "" {
				body = replaceOnce(t, body, tt.from, tt.to)
			}
			wantProblems(t, tt.check(manifest(t, body)), tt.wantProbs...)
		})
	}
}

func replaceOnce(t *testing.T, s, from, to string) string {
	t.Helper()
	if strings.Count(s, from) != 1 {
		t.Fatalf("%q must appear exactly once", from)
	}
	return strings.Replace(s, from, to, 1)
}

func TestWorkloadKinds(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"CronJob pod template", `
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: dump, image: "postgres:17"}]
`, []string{"spec.jobTemplate.spec.template.spec.containers[0].resources: container dump lacks"}},
		{"Pod", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: 'x:1'}]}\n",
			[]string{"spec.containers[0].resources: container c lacks"}},
		{"not a workload", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {image: 'x'}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, MissingResourcesInManifest(manifest(t, tt.body)), tt.want...)
		})
	}
}

func TestBitnamiInRelease(t *testing.T) {
	tests := []struct {
		name   string
		values string
		repo   string
		want   []string
	}{
		{"subchart disabled, no Bitnami image", "redis: {enabled: false}\nimage: {repository: ghcr.io/example/plain}\n", "", nil},
		{"Bitnami subchart enabled by the chart default", "{}", "",
			[]string{"redis.enabled: Bitnami subchart redis (https://charts.bitnami.com/bitnami) is enabled: set redis.enabled to false"}},
		{"Bitnami image in values", "redis: {enabled: false}\nimage: {repository: docker.io/bitnami/plain}\n", "",
			[]string{`image.repository: Bitnami image "docker.io/bitnami/plain" is forbidden`}},
		{"Bitnami image string in a list", "redis: {enabled: false}\ninitContainers: [{name: x, image: 'bitnamilegacy/os-shell:12'}]\n", "",
			[]string{"initContainers[0].image: Bitnami image"}},
		{"script mentioning bitnami is not an image", "redis: {enabled: false}\nextraConfig: {script: 'ls /opt/bitnami/mariadb'}\n", "", nil},
		{"non-Bitnami subchart enabled is fine", "redis: {enabled: false}\nexporter: {enabled: true}\n", "", nil},
		{"Bitnami chart", "redis: {enabled: false}\n", "oci://registry-1.docker.io/bitnamicharts", []string{"Bitnami chart"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plainRelease(t, tt.values)
			if tt.repo != "" {
				r.Repository = tt.repo
			}
			wantProblems(t, BitnamiInRelease(testCharts, r), tt.want...)
		})
	}
}

func TestUnpinnedImagesInRelease(t *testing.T) {
	tests := []struct {
		name, values string
		want         []string
	}{
		{"pinned tag", "image: {repository: ghcr.io/example/plain, tag: v1.2.3}\n", nil},
		{"empty tag means the chart's appVersion", "image: {repository: ghcr.io/example/plain, tag: ''}\n", nil},
		{"latest tag", "image: {registry: docker.io, repository: example/plain, tag: latest}\n", []string{"image.tag: image tag latest is not pinned"}},
		{"latest tag alone", "image: {tag: latest}\n", []string{"image.tag: image tag latest"}},
		{"latest with a digest is pinned", "image: {repository: example/plain, tag: latest, digest: 'sha256:0123'}\n", nil},
		{"{image, tag} form", "helper: {image: busybox, tag: latest}\n", []string{"helper.tag"}},
		{"image string with latest", "initContainers: [{name: a, image: 'velero/plugin:latest'}]\n", []string{`initContainers[0].image: image "velero/plugin:latest" uses the tag latest`}},
		{"image string without tag", "sidecar: {image: velero/plugin}\n", []string{"sidecar.image: image \"velero/plugin\" has no tag"}},
		{"image string pinned", "initContainers: [{name: a, image: 'velero/velero-plugin-for-aws:v1.14.3'}]\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, UnpinnedImagesInRelease(plainRelease(t, tt.values)), tt.want...)
		})
	}
}

func TestMissingResourcesInRelease(t *testing.T) {
	const full = "{requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}"
	tests := []struct {
		name, chart, values string
		want                []string
	}{
		{"complete", "velero", "resources: " + full, nil},
		{"missing", "velero", "{}", []string{"resources: lacks requests.cpu, requests.memory, limits.memory"}},
		{"partial", "velero", "resources: {requests: {cpu: 50m, memory: 64Mi}}", []string{"resources: lacks limits.memory"}},
		{"disabled component is not checked", "velero", "resources: " + full + "\ndeployNodeAgent: false", nil},
		{"enabled component is checked", "velero", "resources: " + full + "\ndeployNodeAgent: true",
			[]string{"nodeAgent.resources: lacks"}},
		{"every init container", "velero", "resources: " + full + "\ninitContainers: [{name: a, resources: " + full + "}, {name: b}]",
			[]string{"initContainers[1].resources: lacks"}},
		{"chart without a rule", "plain", "{}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := plainRelease(t, tt.values)
			// testdata has no velero copy: the rules then run on the values alone.
			r.Chart = tt.chart
			wantProblems(t, MissingResourcesInRelease(testCharts, r), tt.want...)
		})
	}
}

func TestKubernetesProviderResources(t *testing.T) {
	wantProblems(t, KubernetesProviderResources(&Plan{}))
	wantProblems(t, KubernetesProviderResources(&Plan{KubernetesResources: []string{"kubernetes_secret_v1.s"}}),
		"kubernetes_secret_v1.s: written with the kubernetes provider")
}

func TestParseImage(t *testing.T) {
	tests := []struct {
		in   string
		want imageRef
	}{
		{"nginx", imageRef{name: "nginx"}},
		{"nginx:1.27", imageRef{name: "nginx", tag: "1.27"}},
		{"registry:5000/team/app", imageRef{name: "registry:5000/team/app"}},
		{"registry:5000/team/app:v1", imageRef{name: "registry:5000/team/app", tag: "v1"}},
		{"app@sha256:ab", imageRef{name: "app", digest: "sha256:ab"}},
		{"app:v1@sha256:ab", imageRef{name: "app", tag: "v1", digest: "sha256:ab"}},
	}
	for _, tt := range tests {
		if got := parseImage(tt.in); got != tt.want {
			t.Errorf("parseImage(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestNotAtomic(t *testing.T) {
	tests := []struct {
		name string
		r    Release
		want []string
	}{
		{"both set", Release{Address: "helm_release.a", Atomic: true, CleanupOnFail: true}, nil},
		{"atomic only", Release{Address: "helm_release.a", Atomic: true}, []string{"helm_release.a: set atomic = true and cleanup_on_fail = true"}},
		{"neither", Release{Address: "helm_release.a"}, []string{"helm_release.a: set atomic = true and cleanup_on_fail = true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, NotAtomic(tt.r), tt.want...) })
	}
}

// TestMissingProbesOfCharts: a chart container without a probe is flagged
// unless it is one the chart cannot probe, and only for that probe.
func TestMissingProbesOfCharts(t *testing.T) {
	deploy := func(container string) map[string]any {
		return map[string]any{"kind": "Deployment", "spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": container, "ports": []any{map[string]any{"containerPort": 9402}},
				"livenessProbe": map[string]any{"httpGet": map[string]any{"port": 9403}}}}}}}}
	}
	const rel = "module.k.helm_release.cert_manager[0]"
	tests := []struct {
		name string
		m    Manifest
		want []string
	}{
		{"controller: readiness excused", Manifest{Address: rel + " cert-manager/templates/deployment.yaml", Release: rel, Object: deploy("cert-manager-controller")}, nil},
		{"same container, other template", Manifest{Address: rel + " cert-manager/templates/webhook-deployment.yaml", Release: rel, Object: deploy("cert-manager-controller")},
			[]string{"has no readinessProbe"}},
		{"our own object is never excused", Manifest{Address: "kubectl_manifest.x", Object: deploy("cert-manager-controller")},
			[]string{"has no readinessProbe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, MissingProbes(tt.m), tt.want...) })
	}
}

func TestRollingRWO(t *testing.T) {
	deployment := func(strategy, claim string) string {
		s := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n"
		if strategy != "" {
			s += "  strategy: {type: " + strategy + "}\n"
		}
		s += "  template:\n    spec:\n      containers: [{name: app, image: x:1}]\n      volumes:\n        - {name: cfg, configMap: {name: cfg}}\n"
		if claim != "" {
			s += "        - {name: data, persistentVolumeClaim: {claimName: " + claim + "}}\n"
		}
		return s
	}
	claim := func(name, mode string) string {
		return "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: " + name + "}\nspec: {accessModes: [" + mode + "]}\n"
	}
	tests := []struct {
		name string
		objs []string
		want string
	}{
		{"rolling with a ReadWriteOnce claim", []string{deployment("RollingUpdate", "data"), claim("data", "ReadWriteOnce")}, "mounts the ReadWriteOnce claim data but is replaced with RollingUpdate"},
		{"default strategy, claim made elsewhere", []string{deployment("", "data")}, "RollingUpdate (the default)"},
		{"Recreate", []string{deployment("Recreate", "data"), claim("data", "ReadWriteOnce")}, ""},
		{"ReadWriteMany claim", []string{deployment("RollingUpdate", "shared"), claim("shared", "ReadWriteMany")}, ""},
		{"no claim", []string{deployment("RollingUpdate", "")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms []Manifest
			for _, o := range tt.objs {
				ms = append(ms, manifest(t, o))
			}
			got := RollingRWO(ms)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("problems: %v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tt.want) {
				t.Fatalf("problems %v, want one saying %q", got, tt.want)
			}
		})
	}
}
