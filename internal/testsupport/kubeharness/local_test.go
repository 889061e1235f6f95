package kubeharness

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLocalClusterSchedules: what fits runs, what does not stays Pending
// with the scheduler's reason, claims bind, Jobs complete, LoadBalancer
// Services get an address.
func TestLocalClusterSchedules(t *testing.T) {
	pool := NodePool{Name: "pool", Size: "s-2vcpu-4gb", Count: 2, CPU: "2", Memory: "4Gi",
		AllocCPU: "1800m", AllocMemory: "2560Mi", Pods: 110}
	c := Start(t, WithNodes(pool))
	ctx := t.Context()
	const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: demo}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: fits, namespace: demo}
spec:
  replicas: 2
  selector: {matchLabels: {app: fits}}
  template:
    metadata: {labels: {app: fits}}
    spec:
      containers:
      - name: c
        image: registry.example/fits:1.0
        resources: {requests: {cpu: 500m, memory: 1Gi}}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: v1
kind: Pod
metadata: {name: too-big, namespace: demo}
spec:
  containers:
  - name: c
    image: registry.example/big:1.0
    resources: {requests: {memory: 3Gi}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: demo}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: registry.example/once:1.0}]
---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: demo}
spec:
  type: LoadBalancer
  selector: {app: fits}
  ports: [{port: 80}]
`
	// The namespace's default ServiceAccount comes from the
	// controller-manager; pods are refused until it exists.
	var err error
	for range 60 {
		if _, err = c.Apply(ctx, []byte(manifest), ApplyOptions{}); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The scheduler's own words, then its preemption notes.
	const want = "pod demo/too-big: not scheduled: 0/2 nodes are available: 2 Insufficient memory."
	settled := func(got []string) bool { return len(got) == 1 && strings.HasPrefix(got[0], want) }
	var got []string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if got, err = c.NotReady(ctx); err != nil {
			t.Fatal(err)
		}
		if settled(got) && lbAddress(ctx, c) == "127.0.0.1" {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !settled(got) {
		t.Errorf("not ready:\n%s\nwant only:\n%s", strings.Join(got, "\n"), want)
	}
	if ip := lbAddress(ctx, c); ip != "127.0.0.1" {
		t.Errorf("LoadBalancer address %q, want 127.0.0.1", ip)
	}
	claim, err := c.Get(ctx, "v1", "PersistentVolumeClaim", "demo", "data")
	if err != nil || !strings.Contains(string(claim), `"phase":"Bound"`) {
		t.Errorf("claim not bound: %v\n%s", err, claim)
	}
	req, err := c.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cpu int64
	for _, r := range req {
		cpu += r[0]
	}
	if cpu != 1000 {
		t.Errorf("requested CPU over the nodes = %dm, want 1000m (two replicas of 500m): %v", cpu, req)
	}
}

func lbAddress(ctx context.Context, c *Cluster) string {
	svcs, err := c.List(ctx, "/api/v1/namespaces/demo/services")
	if err != nil || len(svcs) == 0 {
		return ""
	}
	ing, _ := lookupPath(svcs[0], "status", "loadBalancer", "ingress").([]any)
	if len(ing) == 0 {
		return ""
	}
	ip, _ := ing[0].(map[string]any)["ip"].(string)
	return ip
}
