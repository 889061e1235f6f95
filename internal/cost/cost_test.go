package cost

import (
	"strings"
	"testing"
)

const clusterPlan = `{"format_version":"1.2","planned_values":{"root_module":{"resources":[
 {"address":"digitalocean_kubernetes_cluster.main","mode":"managed","type":"digitalocean_kubernetes_cluster","name":"main",
  "values":{"ha":%s,"node_pool":[{"size":"s-4vcpu-8gb","auto_scale":true,"min_nodes":2,"max_nodes":3}]}},
 {"address":"digitalocean_spaces_bucket.backups","mode":"managed","type":"digitalocean_spaces_bucket","name":"backups","values":{}},
 {"address":"digitalocean_spaces_bucket.media","mode":"managed","type":"digitalocean_spaces_bucket","name":"media","values":{}}]}}}`

const platformPlan = `{"format_version":"1.2","planned_values":{"root_module":{"child_modules":[{"address":"module.x","resources":[
 {"address":"module.x.kubectl_manifest.svc","mode":"managed","type":"kubectl_manifest","name":"svc",
  "values":{"yaml_body":"apiVersion: v1\nkind: Service\nmetadata:\n  name: mail\nspec:\n  type: LoadBalancer\n"}},
 {"address":"module.x.kubectl_manifest.db","mode":"managed","type":"kubectl_manifest","name":"db",
  "values":{"yaml_body":"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: db\n        image: postgres:17.2\n        resources:\n          requests: {cpu: 500m, memory: 1Gi}\n  volumeClaimTemplates:\n  - spec:\n      resources:\n        requests: {storage: 20Gi}\n"}},
 {"address":"module.x.kubectl_manifest.agent","mode":"managed","type":"kubectl_manifest","name":"agent",
  "values":{"yaml_body":"apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:1\n        resources:\n          requests: {cpu: 100m, memory: 100Mi}\n"}}
]}]}}}`

func TestBuild(t *testing.T) {
	tests := []struct {
		name     string
		ha       string
		min, max float64
	}{
		// 2..3 × $48 nodes, 1 LB $12, 20 GiB × $0.10, Spaces $5.
		{"no HA", "false", 96 + 12 + 2 + 5, 144 + 12 + 2 + 5},
		{"HA control plane", "true", 96 + 40 + 12 + 2 + 5, 144 + 40 + 12 + 2 + 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Build([]byte(strings.Replace(clusterPlan, "%s", tt.ha, 1)), []byte(platformPlan), t.TempDir(), DefaultPrices())
			if err != nil {
				t.Fatal(err)
			}
			min, max := rep.Total()
			if min != tt.min || max != tt.max {
				t.Errorf("total %.2f..%.2f, want %.2f..%.2f", min, max, tt.min, tt.max)
			}
			// 500m + 2 nodes × 100m; 1Gi + 2 × 100Mi.
			if rep.RequestCPU != 700 || rep.RequestMemory != (1<<30)+200<<20 {
				t.Errorf("requests %d m / %d B", rep.RequestCPU, rep.RequestMemory)
			}
			if rep.AllocCPU != 2*3600 || rep.AllocMemory != 12<<30 {
				t.Errorf("allocatable %d m / %d B", rep.AllocCPU, rep.AllocMemory)
			}
			var out strings.Builder
			rep.Print(&out)
			for _, want := range []string{"Nodes s-4vcpu-8gb", "2 to 3", "Load balancers", "20 GiB in 1 claims", "total", "% free"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name, cluster, want string
	}{
		{"not JSON", "nope", "read cluster plan"},
		{"no cluster", `{"format_version":"1.2","planned_values":{"root_module":{}}}`, "want 1"},
		{"unknown size", strings.Replace(strings.Replace(clusterPlan, "%s", "false", 1), "s-4vcpu-8gb", "g-64vcpu-256gb", 1), `no price for node size "g-64vcpu-256gb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build([]byte(tt.cluster), []byte(platformPlan), t.TempDir(), DefaultPrices())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
