package cost

import (
	"strings"
	"testing"
)

const clusterPlan = `{"format_version":"1.2","planned_values":{"root_module":{"resources":[
 {"address":"digitalocean_kubernetes_cluster.main","mode":"managed","type":"digitalocean_kubernetes_cluster","name":"main",
  "values":{"ha":%s,"node_pool":[{"size":"%s","auto_scale":true,"min_nodes":2,"max_nodes":3}]}},
 {"address":"digitalocean_spaces_bucket.backups","mode":"managed","type":"digitalocean_spaces_bucket","name":"backups","values":{}},
 {"address":"digitalocean_spaces_bucket.media","mode":"managed","type":"digitalocean_spaces_bucket","name":"media","values":{}}]}}}`

const platformPlan = `{"format_version":"1.2","planned_values":{"root_module":{"child_modules":[{"address":"module.x","resources":[
 {"address":"module.x.kubectl_manifest.svc","mode":"managed","type":"kubectl_manifest","name":"svc",
  "values":{"yaml_body":"apiVersion: v1\nkind: Service\nmetadata:\n  name: mail\nspec:\n  type: LoadBalancer\n"}},
 {"address":"module.x.kubectl_manifest.db","mode":"managed","type":"kubectl_manifest","name":"db",
  "values":{"yaml_body":"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: db\n        image: postgres:17.2\n        resources:\n          requests: {cpu: 500m, memory: 1Gi}\n  volumeClaimTemplates:\n  - spec:\n      resources:\n        requests: {storage: 20Gi}\n"}},
 {"address":"module.x.kubectl_manifest.agent","mode":"managed","type":"kubectl_manifest","name":"agent",
  "values":{"yaml_body":"apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:1\n        resources:\n          requests: {cpu: 100m, memory: 100Mi}\n"}},
 {"address":"module.x.kubectl_manifest.dump","mode":"managed","type":"kubectl_manifest","name":"dump",
  "values":{"yaml_body":"apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: dump\nspec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: d\n            image: d:1\n            resources:\n              requests: {cpu: 200m, memory: 256Mi}\n"}},
 {"address":"module.x.kubectl_manifest.poll","mode":"managed","type":"kubectl_manifest","name":"poll",
  "values":{"yaml_body":"apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: poll\nspec:\n  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: p\n            image: p:1\n            resources:\n              requests: {cpu: 10m, memory: 16Mi}\n"}}
]}]}}}`

// testPrices: "tiny" cannot hold the 1Gi database beside the DaemonSets,
// "cpu-poor" needs a third node for CPU, "mid" and "big" fit on two.
func testPrices() Prices {
	node := func(monthly float64, cpu, memMi int64) NodeSize {
		return NodeSize{Monthly: monthly, AllocCPU: cpu, AllocMemory: memMi * mib}
	}
	return Prices{
		Nodes:        map[string]NodeSize{"tiny": node(10, 1000, 1024), "cpu-poor": node(15, 700, 2048), "mid": node(20, 2000, 2048), "big": node(50, 4000, 8192), StarterSize: node(48, 3600, 6144)},
		System:       System{PerNode: Demand{100, 100 * mib}, Fixed: Demand{200, 200 * mib}},
		LoadBalancer: 12, HAControlPlane: 40, BlockStoragePerGiB: 0.10, Spaces: 5,
	}
}

func build(t *testing.T, ha, size string) Report {
	t.Helper()
	cluster := strings.Replace(strings.Replace(clusterPlan, "%s", ha, 1), "%s", size, 1)
	rep, err := Build([]byte(cluster), []byte(platformPlan), t.TempDir(), testPrices())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestBill(t *testing.T) {
	tests := []struct {
		name     string
		ha       string
		min, max float64
	}{
		// 2..3 × $20 nodes, 1 LB $12, 20 GiB × $0.10, Spaces $5.
		{"no HA", "false", 40 + 12 + 2 + 5, 60 + 12 + 2 + 5},
		{"HA control plane", "true", 40 + 40 + 12 + 2 + 5, 60 + 40 + 12 + 2 + 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := build(t, tt.ha, "mid")
			if min, max := rep.Total(); min != tt.min || max != tt.max {
				t.Errorf("total %.2f..%.2f, want %.2f..%.2f", min, max, tt.min, tt.max)
			}
		})
	}
}

func TestCapacity(t *testing.T) {
	rep := build(t, "false", "mid")
	// Steady at 2 nodes: db 500m/1Gi, DOKS 200m/200Mi once, agent and
	// DOKS 200m/200Mi per node.
	p := rep.Pool
	if p.Steady != (Demand{1100, (1024 + 200 + 400) * mib}) {
		t.Errorf("steady %+v", p.Steady)
	}
	// Both CronJobs start in the 03:00 hour; the dump only then.
	if rep.Peak.Demand != (Demand{210, 272 * mib}) || !strings.HasPrefix(rep.Peak.Hour, "Mon 03:00-04:00") || len(rep.Peak.Jobs) != 2 {
		t.Errorf("peak %+v", rep.Peak)
	}
	if !p.OK || p.Peak != p.Steady.plus(rep.Peak.Demand) {
		t.Errorf("pool %+v", p)
	}
	// mid fits on two nodes (the least tried: 1624 Mi of 4096 steady);
	// cpu-poor needs three (1100 m of 1400 is over 75 %, 1300 m of 2100
	// is not); big fits at a higher price; tiny never: the database does
	// not fit on one node.
	want := []struct {
		size  string
		nodes int
		ok    bool
	}{{"mid", 2, true}, {"cpu-poor", 3, true}, {StarterSize, 2, true}, {"big", 2, true}, {"tiny", MaxNodes, false}}
	if len(rep.Ranking) != len(want) {
		t.Fatalf("ranking %+v", rep.Ranking)
	}
	for i, w := range want {
		f := rep.Ranking[i]
		if f.Size != w.size || f.Nodes != w.nodes || f.OK != w.ok {
			t.Errorf("ranking[%d] = %s × %d ok=%v (%s), want %s × %d ok=%v", i, f.Size, f.Nodes, f.OK, f.Why, w.size, w.nodes, w.ok)
		}
	}
	if c, ok := rep.Cheapest(); !ok || c.Size != "mid" || c.Total != 40+12+2+5 {
		t.Errorf("cheapest %+v", c)
	}
	if !strings.Contains(rep.Ranking[4].Why, "StatefulSet db") {
		t.Errorf("tiny fails for %q, want the database named", rep.Ranking[4].Why)
	}
	var out strings.Builder
	rep.Print(&out)
	for _, want := range []string{"Nodes mid", "2 to 3", "Load balancers", "20 GiB in 1 claims", "nightly peak", "Mon 03:00-04:00 UTC", "<- this pool's size", "does not fit with 10 nodes", "StatefulSet db", "*/5 * * * *"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPoolThatDoesNotFit(t *testing.T) {
	rep := build(t, "false", "tiny")
	if rep.Pool.OK || !strings.Contains(rep.Pool.Why, "StatefulSet db") {
		t.Errorf("pool %+v, want it refused for the database", rep.Pool)
	}
	var out strings.Builder
	rep.Print(&out)
	if !strings.Contains(out.String(), "THE POOL DOES NOT FIT") {
		t.Errorf("report does not say the pool does not fit:\n%s", out.String())
	}
}

func TestNightlyPeak(t *testing.T) {
	tests := []struct {
		name string
		jobs []job
		want Demand
		hour string
	}{
		{"hourly and daily meet at 03:00", []job{{"a", "@hourly", Demand{10, 10}}, {"b", "30 3 * * *", Demand{100, 100}}}, Demand{110, 110}, "Mon 03:00-04:00 UTC"},
		{"weekly on Sunday adds to the daily", []job{{"d", "0 2 * * *", Demand{1, 100}}, {"w", "15 2 * * 0", Demand{1, 50}}}, Demand{2, 150}, "Sun 02:00-03:00 UTC"},
		{"several starts in an hour count once", []job{{"p", "*/5 * * * *", Demand{5, 5}}}, Demand{5, 5}, "Mon 00:00-01:00 UTC"},
		{"no job", nil, Demand{}, "Mon 00:00-01:00 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := nightlyPeak(tt.jobs)
			if err != nil {
				t.Fatal(err)
			}
			if p.Demand != tt.want || p.Hour != tt.hour {
				t.Errorf("peak %+v at %s, want %+v at %s", p.Demand, p.Hour, tt.want, tt.hour)
			}
		})
	}
	if _, err := nightlyPeak([]job{{"bad", "61 * * * *", Demand{}}}); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("a bad schedule gave %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name, cluster, platform, want string
	}{
		{"not JSON", "nope", platformPlan, "read cluster plan"},
		{"no cluster", `{"format_version":"1.2","planned_values":{"root_module":{}}}`, platformPlan, "want 1"},
		{"unknown size", strings.Replace(strings.Replace(clusterPlan, "%s", "false", 1), "%s", "g-64vcpu-256gb", 1), platformPlan, `no price for node size "g-64vcpu-256gb"`},
		{"unknown object", strings.Replace(strings.Replace(clusterPlan, "%s", "false", 1), "%s", "mid", 1),
			`{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"kubectl_manifest.x","mode":"managed","type":"kubectl_manifest","name":"x","values":{}}]}},
			"resource_changes":[{"address":"kubectl_manifest.x","change":{"after_unknown":{"yaml_body":true}}}]}`, "kubectl_manifest.x (yaml_body unknown at plan)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build([]byte(tt.cluster), []byte(tt.platform), t.TempDir(), testPrices())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
