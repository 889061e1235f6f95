package planscan

import (
	"testing"
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

func TestWorkloadsAndVolumes(t *testing.T) {
	container := func(cpu, mem string) map[string]any {
		return map[string]any{"name": "c", "image": "x:1", "resources": map[string]any{"requests": map[string]any{"cpu": cpu, "memory": mem}}}
	}
	p := &Plan{
		Releases: []Release{{
			Address: "helm_release.traefik", Chart: "traefik", Version: "0.0.0-no-offline-copy",
			Values: map[string]any{
				"deployment": map[string]any{"replicas": float64(2)},
				"resources":  map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}},
			},
		}},
		Manifests: []Manifest{
			{Address: "kubectl_manifest.db", Object: map[string]any{"kind": "StatefulSet", "spec": map[string]any{
				"replicas":             float64(1),
				"template":             map[string]any{"spec": map[string]any{"containers": []any{container("250m", "512Mi")}}},
				"volumeClaimTemplates": []any{map[string]any{"spec": map[string]any{"resources": map[string]any{"requests": map[string]any{"storage": "20Gi"}}}}},
			}}},
			{Address: "kubectl_manifest.agent", Object: map[string]any{"kind": "DaemonSet", "spec": map[string]any{
				"template": map[string]any{"spec": map[string]any{"containers": []any{container("10m", "32Mi")}}},
			}}},
			{Address: "kubectl_manifest.backup", Object: map[string]any{"kind": "CronJob", "spec": map[string]any{
				"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{container("1", "1Gi")}}}}},
			}}},
			{Address: "kubectl_manifest.pvc", Object: map[string]any{"kind": "PersistentVolumeClaim", "spec": map[string]any{"resources": map[string]any{"requests": map[string]any{"storage": "5Gi"}}}}},
		},
	}
	ws, err := Workloads(t.TempDir(), p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Workload{}
	for _, w := range ws {
		got[w.Address] = w
	}
	want := map[string]Workload{
		"helm_release.traefik":   {CPU: 100, Memory: 128 << 20, Replicas: 2},
		"kubectl_manifest.db":    {CPU: 250, Memory: 512 << 20, Replicas: 1},
		"kubectl_manifest.agent": {CPU: 10, Memory: 32 << 20, Replicas: 1, PerNode: true},
	}
	if len(got) != len(want) {
		t.Fatalf("workloads %v, want the steady ones of %v (CronJobs excluded)", ws, want)
	}
	for addr, w := range want {
		g := got[addr]
		if g.CPU != w.CPU || g.Memory != w.Memory || g.Replicas != w.Replicas || g.PerNode != w.PerNode {
			t.Errorf("%s = %+v, want %+v", addr, g, w)
		}
	}
	vs, err := Volumes(t.TempDir(), p)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, v := range vs {
		total += v.Bytes
	}
	if len(vs) != 2 || total != 25<<30 {
		t.Errorf("volumes %v, want the StatefulSet's 20Gi and the PVC's 5Gi", vs)
	}
}
