package planscan

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestParseQuantities(t *testing.T) {
	bytes := []struct {
		in   any
		want int64
	}{
		{"128Mi", 128 << 20}, {"1Gi", 1 << 30}, {"1.5Gi", 3 << 29}, {"1G", 1e9}, {"500k", 5e5}, {"1024", 1024}, {float64(2048), 2048}, {nil, 0},
	}
	for _, tt := range bytes {
		got, err := ParseBytes(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseBytes(%v) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	cpus := []struct {
		in   any
		want int64
	}{
		{"100m", 100}, {"0.5", 500}, {"2", 2000}, {float64(1), 1000}, {nil, 0},
	}
	for _, tt := range cpus {
		got, err := ParseCPU(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCPU(%v) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{"12Qi", "abc", true} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%v) accepted", bad)
		}
	}
	if _, err := ParseCPU("1x"); err == nil {
		t.Error(`ParseCPU("1x") accepted`)
	}
}

// Replica counts come as float64 from YAML, json.Number from a decoder
// with UseNumber: both are counts (a json.Number once counted as 1).
func TestToInt(t *testing.T) {
	for _, tt := range []struct {
		in   any
		want int
	}{{float64(2), 2}, {json.Number("3"), 3}, {"4", 4}, {int64(5), 5}, {nil, 1}, {json.Number("x"), 1}} {
		if got := toInt(tt.in, 1); got != tt.want {
			t.Errorf("toInt(%#v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// objectsPlan is a plan whose objects exercise every counting rule.
const objectsPlan = `
- address: kubectl_manifest.web
  object:
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: apps}
    spec:
      replicas: 2
      template:
        spec:
          initContainers:
          - name: migrate
            resources: {requests: {cpu: 50m, memory: 64Mi}}
          - name: proxy
            restartPolicy: Always
            resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
          containers:
          - name: web
            resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
- address: kubectl_manifest.big-init
  object:
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db, namespace: data}
    spec:
      replicas: 2
      template:
        spec:
          initContainers:
          - name: restore
            resources: {requests: {cpu: "1", memory: 1Gi}}
          containers:
          - name: db
            resources: {requests: {cpu: 250m, memory: 512Mi}}
      volumeClaimTemplates:
      - spec: {resources: {requests: {storage: 10Gi}}}
- address: kubectl_manifest.agent
  object:
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent, namespace: infra}
    spec:
      template:
        spec:
          containers:
          - name: a
            resources: {limits: {cpu: 20m, memory: 32Mi}}
- address: kubectl_manifest.dump
  object:
    apiVersion: batch/v1
    kind: CronJob
    metadata: {name: dump, namespace: data}
    spec:
      schedule: "0 3 * * *"
      jobTemplate:
        spec:
          template:
            spec:
              containers:
              - name: dump
                resources: {requests: {cpu: 100m, memory: 256Mi}}
- address: kubectl_manifest.init
  object:
    apiVersion: batch/v1
    kind: Job
    metadata: {name: init, namespace: data}
    spec:
      template:
        spec:
          containers:
          - name: init
            resources: {requests: {cpu: 10m, memory: 32Mi}}
- address: kubectl_manifest.pvc
  object:
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: files, namespace: apps}
    spec: {resources: {requests: {storage: 5Gi}}}
- address: kubectl_manifest.lb
  object:
    apiVersion: v1
    kind: Service
    metadata: {name: edge, namespace: infra}
    spec: {type: LoadBalancer}
- address: kubectl_manifest.secret
  unknown: true
`

const renderedObjects = `
- address: helm_release.mon prometheus-operator/deployment.yaml
  object:
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: operator, namespace: infra}
    spec:
      template:
        spec:
          containers:
          - name: operator
            args: [--config-reloader-cpu-request=10m, --config-reloader-memory-request=32Mi, --config-reloader-cpu-limit=0, --config-reloader-memory-limit=64Mi]
            resources: {requests: {cpu: 10m, memory: 64Mi}, limits: {memory: 128Mi}}
- address: helm_release.mon prometheus/prometheus.yaml
  object:
    apiVersion: monitoring.coreos.com/v1
    kind: Prometheus
    metadata: {name: prom, namespace: infra}
    spec:
      replicas: 1
      shards: 2
      resources: {requests: {cpu: 200m, memory: 1Gi}, limits: {memory: 2Gi}}
      storage: {volumeClaimTemplate: {spec: {resources: {requests: {storage: 20Gi}}}}}
- address: helm_release.mon tests/test.yaml
  object:
    apiVersion: v1
    kind: Pod
    metadata: {name: test, namespace: infra, annotations: {helm.sh/hook: test}}
    spec:
      containers:
      - name: t
        resources: {requests: {cpu: "4", memory: 8Gi}}
`

func objectsFixture(t *testing.T) *Plan {
	t.Helper()
	var p Plan
	for _, src := range []struct {
		yaml string
		into *[]Manifest
	}{{objectsPlan, &p.Manifests}, {renderedObjects, &p.Rendered}} {
		var ms []struct {
			Address string
			Object  map[string]any
			Unknown bool
		}
		if err := yaml.Unmarshal([]byte(src.yaml), &ms); err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			*src.into = append(*src.into, Manifest{Address: m.Address, Object: m.Object, Unknown: m.Unknown})
		}
	}
	return &p
}

func TestWorkloads(t *testing.T) {
	p := objectsFixture(t)
	ws, err := Workloads(p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Workload{}
	for _, w := range ws {
		got[w.Object] = w
	}
	want := map[string]Workload{
		// The sidecar adds up; the ordinary init container is smaller.
		"Deployment apps/web": {CPU: 110, Memory: 144 << 20, LimitMemory: 288 << 20, Replicas: 2},
		// The init container asks more than the containers: it counts.
		"StatefulSet data/db": {CPU: 1000, Memory: 1 << 30, Replicas: 2},
		// A limit alone is the request.
		"DaemonSet infra/agent":     {CPU: 20, Memory: 32 << 20, LimitMemory: 32 << 20, Replicas: 1, PerNode: true},
		"CronJob data/dump":         {CPU: 100, Memory: 256 << 20, Replicas: 1, Schedule: "0 3 * * *"},
		"Job data/init":             {CPU: 10, Memory: 32 << 20, Replicas: 1, Once: true},
		"Deployment infra/operator": {CPU: 10, Memory: 64 << 20, LimitMemory: 128 << 20, Replicas: 1},
		// The operator's pod: prometheus plus its config-reloader, per shard.
		"Prometheus infra/prom": {CPU: 210, Memory: (1 << 30) + 32<<20, LimitMemory: (2 << 30) + 64<<20, Replicas: 2},
	}
	if len(got) != len(want) {
		t.Errorf("workloads %v, want %d (no hook, no unknown manifest)", ws, len(want))
	}
	for obj, w := range want {
		g, ok := got[obj]
		if !ok {
			t.Errorf("%s not counted", obj)
			continue
		}
		if g.CPU != w.CPU || g.Memory != w.Memory || g.LimitMemory != w.LimitMemory || g.Replicas != w.Replicas || g.PerNode != w.PerNode || g.Schedule != w.Schedule || g.Once != w.Once || g.Steady() != w.Steady() {
			t.Errorf("%s = %+v, want %+v", obj, g, w)
		}
	}
	if u := p.Uncounted(); len(u) != 1 {
		t.Errorf("Uncounted() = %v, want the unknown manifest", u)
	}
}

func TestVolumesAndLoadBalancers(t *testing.T) {
	p := objectsFixture(t)
	vs, err := Volumes(p)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, v := range vs {
		total += v.Bytes
	}
	// 2 × 10Gi claim templates, 5Gi claim, 2 shards × 20Gi.
	if len(vs) != 3 || total != 65<<30 {
		t.Errorf("volumes %v (%d GiB), want 3 claims of 65 GiB in all", vs, total>>30)
	}
	if lbs := LoadBalancers(p); len(lbs) != 1 || lbs[0] != "Service infra/edge" {
		t.Errorf("load balancers %v", lbs)
	}
}

func TestVeleroMaintenance(t *testing.T) {
	p := &Plan{Rendered: []Manifest{
		{Address: "helm_release.velero", Object: map[string]any{"kind": "ConfigMap", "metadata": map[string]any{"name": "velero-repo-maintenance"},
			"data": map[string]any{"global": `{"podResources": {"cpuRequest": "50m", "memoryRequest": "128Mi", "memoryLimit": "512Mi"}}`}}},
		{Address: "kubectl_manifest.a", Object: map[string]any{"apiVersion": "velero.io/v1", "kind": "Schedule",
			"spec": map[string]any{"template": map[string]any{"includedNamespaces": []any{"mail", "apps"}}}}},
		{Address: "kubectl_manifest.b", Object: map[string]any{"apiVersion": "velero.io/v1", "kind": "Schedule",
			"spec": map[string]any{"template": map[string]any{"includedNamespaces": []any{"apps"}}}}},
	}}
	ws, err := Workloads(p)
	if err != nil {
		t.Fatal(err)
	}
	// One Job per repository (mail, apps), every hour.
	if len(ws) != 1 || ws[0].CPU != 50 || ws[0].Memory != 128<<20 || ws[0].LimitMemory != 512<<20 || ws[0].Replicas != 2 || ws[0].Schedule != "@hourly" {
		t.Errorf("workloads %+v, want the maintenance Jobs of 2 repositories", ws)
	}
	p.Rendered[0].Object["data"] = map[string]any{"global": "{"}
	if _, err := Workloads(p); err == nil {
		t.Error("a broken maintenance ConfigMap was accepted")
	}
}
