package kubeharness

// A cluster that schedules: beside etcd and kube-apiserver, the real
// kube-controller-manager and kube-scheduler, and kwok simulating nodes
// shaped like the production pool. kwok runs no container: a scheduled pod is
// marked Running and Ready, a Job's pod Succeeded. Two small loops stand in
// for what a cloud gives: a provisioner that binds every claim of the default
// StorageClass to a hostPath volume, and an address for every Service of
// type LoadBalancer (127.0.0.1, as docker-desktop gives localhost).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/toolchain"
)

// NodePool is the shape of the simulated nodes.
type NodePool struct {
	Name   string // node name prefix and pool label
	Size   string // instance type label, e.g. s-2vcpu-4gb
	Count  int
	CPU    string // capacity, e.g. "2"
	Memory string // capacity, e.g. "4Gi"
	// AllocCPU and AllocMemory are what pods may request on one node.
	AllocCPU, AllocMemory string
	Pods                  int // pods per node
}

// StorageClassName is the default StorageClass of a local cluster, named
// like DigitalOcean's so that claims that name it bind as they would there.
const StorageClassName = "do-block-storage"

// provisionerName is the StorageClass provisioner the binder serves.
const provisionerName = "kubeharness.local/hostpath"

// kwokNodeAnnotation selects the nodes kwok manages.
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// WithNodes makes Start run a cluster that schedules (see the top of this
// file), with pool's nodes; LoadBalancer Services get an address.
func WithNodes(pool NodePool) Option {
	return func(c *config) { c.nodes, c.loadBalancers = &pool, true }
}

// WithLoadBalancers gives every Service of type LoadBalancer an address,
// also on a cluster without nodes.
func WithLoadBalancers() Option {
	return func(c *config) { c.loadBalancers = true }
}

// startScheduling starts the controllers, kwok and the cloud stand-ins, and
// registers the nodes and the default StorageClass.
func (c *Cluster) startScheduling(t testing.TB, ctx context.Context, dir string, f apiServerFiles, pool NodePool) {
	t.Helper()
	kcm := testenv.Tool(t, "kube-controller-manager")
	sched := testenv.Tool(t, "kube-scheduler")
	kwok := testenv.Tool(t, "kwok")
	share, err := toolchain.ShareDir()
	if err != nil {
		t.Fatal(err)
	}
	kwokConfig, err := writeKwokConfig(dir, filepath.Join(share, "kwok"))
	if err != nil {
		t.Fatalf("kubeharness: %v (run `make tools`)", err)
	}
	caFile := filepath.Join(f.certDir, servingCertName)
	procs := []struct {
		name, bin string
		args      []string
	}{
		{"kube-controller-manager", kcm, []string{
			"--kubeconfig=" + c.kubeconfig,
			"--leader-elect=false",
			"--secure-port=0",
			"--root-ca-file=" + caFile,
			"--service-account-private-key-file=" + f.saKey,
			"--use-service-account-credentials=false",
			// Without a cloud there is no route nor service controller.
			"--controllers=*,-cloud-node-lifecycle,-route,-service",
		}},
		{"kube-scheduler", sched, []string{
			"--kubeconfig=" + c.kubeconfig,
			"--leader-elect=false",
			"--secure-port=0",
		}},
		{"kwok", kwok, []string{
			"--kubeconfig=" + c.kubeconfig,
			"--config=" + kwokConfig,
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
			"--cidr=10.244.0.0/16",
			"--node-ip=127.0.0.1",
			"--server-address=",
		}},
	}
	for _, p := range procs {
		proc, err := startProcess(p.name, p.bin, p.args, filepath.Join(dir, p.name+".log"))
		if err != nil {
			t.Fatalf("kubeharness: %v", err)
		}
		registerStop(t, proc)
	}
	if err := c.register(ctx, pool); err != nil {
		t.Fatalf("kubeharness: %v", err)
	}
	if err := c.waitNodesReady(ctx, pool.Count); err != nil {
		t.Fatalf("kubeharness: %v", err)
	}
}

// writeKwokConfig puts kwok's stages into one configuration file.
func writeKwokConfig(dir, stagesDir string) (string, error) {
	entries, err := os.ReadDir(stagesDir)
	if err != nil {
		return "", fmt.Errorf("kwok stages: %w", err)
	}
	var docs []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			data, err := os.ReadFile(filepath.Join(stagesDir, e.Name()))
			if err != nil {
				return "", fmt.Errorf("kwok stages: %w", err)
			}
			docs = append(docs, string(data))
		}
	}
	if len(docs) == 0 {
		return "", fmt.Errorf("kwok stages: none in %s", stagesDir)
	}
	path := filepath.Join(dir, "kwok.yaml")
	return path, os.WriteFile(path, []byte(strings.Join(docs, "\n---\n")), 0o600)
}

// register creates the nodes and the default StorageClass.
func (c *Cluster) register(ctx context.Context, pool NodePool) error {
	sc := fmt.Sprintf(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: %s
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: %s
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
`, StorageClassName, provisionerName)
	if _, err := c.Apply(ctx, []byte(sc), ApplyOptions{}); err != nil {
		return fmt.Errorf("default StorageClass: %w", err)
	}
	for i := 1; i <= pool.Count; i++ {
		name := fmt.Sprintf("%s-%d", pool.Name, i)
		node := map[string]any{
			"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{
				"name":        name,
				"annotations": map[string]any{kwokNodeAnnotation: "fake"},
				"labels": map[string]any{
					"kubernetes.io/hostname":           name,
					"kubernetes.io/os":                 "linux",
					"kubernetes.io/arch":               "amd64",
					"node.kubernetes.io/instance-type": pool.Size,
					"doks.digitalocean.com/node-pool":  pool.Name,
					"type":                             "kwok",
				},
			},
			"status": map[string]any{
				"capacity":    map[string]any{"cpu": pool.CPU, "memory": pool.Memory, "pods": fmt.Sprint(pool.Pods)},
				"allocatable": map[string]any{"cpu": pool.AllocCPU, "memory": pool.AllocMemory, "pods": fmt.Sprint(pool.Pods)},
			},
		}
		body, _ := json.Marshal(node)
		if _, _, err := c.request(ctx, http.MethodPost, "/api/v1/nodes", nil, "application/json", body); err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
	}
	return nil
}

func (c *Cluster) waitNodesReady(ctx context.Context, want int) error {
	var last string
	for {
		nodes, err := c.List(ctx, "/api/v1/nodes")
		if err == nil {
			ready := 0
			for _, n := range nodes {
				if condition(n, "Ready") == "True" {
					ready++
				}
			}
			if ready == want {
				return nil
			}
			last = fmt.Sprintf("%d of %d nodes Ready", ready, want)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nodes not Ready: %s", last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// List returns the items of a collection path, such as /api/v1/pods.
func (c *Cluster) List(ctx context.Context, path string) ([]map[string]any, error) {
	body, _, err := c.request(ctx, http.MethodGet, path, nil, "", nil)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", path, err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("list %s: %w", path, err)
	}
	return list.Items, nil
}

// startCloud runs the stand-ins of a cloud until the test ends: the claim
// binder (volumes != "") and LoadBalancer addresses (lbs).
func (c *Cluster) startCloud(t testing.TB, volumes string, lbs bool) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.cloudLoop(ctx, volumes, lbs)
	}()
	t.Cleanup(func() { stop(); <-done })
}

// cloudLoop does startCloud's work every half second. Errors are retried at
// the next turn: the API server may be busy.
func (c *Cluster) cloudLoop(ctx context.Context, volumes string, lbs bool) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if volumes != "" {
			c.provisionClaims(ctx, volumes)
		}
		if lbs {
			c.assignLoadBalancers(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// provisionClaims creates a PersistentVolume for each pending claim of the
// default StorageClass, pre-bound to it; the controller-manager's binder
// then binds the pair as it does for a CSI driver's volume.
func (c *Cluster) provisionClaims(ctx context.Context, volumes string) {
	claims, err := c.List(ctx, "/api/v1/persistentvolumeclaims")
	if err != nil {
		return
	}
	for _, pvc := range claims {
		spec, _ := pvc["spec"].(map[string]any)
		status, _ := pvc["status"].(map[string]any)
		class, _ := spec["storageClassName"].(string)
		if status["phase"] != "Pending" || class != StorageClassName {
			continue
		}
		if vn, _ := spec["volumeName"].(string); vn != "" {
			continue
		}
		md, _ := pvc["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		name, _ := md["name"].(string)
		uid, _ := md["uid"].(string)
		size := "1Gi"
		if req, ok := lookupPath(spec, "resources", "requests", "storage").(string); ok {
			size = req
		}
		pvName := "pvc-" + uid
		pv := map[string]any{
			"apiVersion": "v1", "kind": "PersistentVolume",
			"metadata": map[string]any{"name": pvName, "annotations": map[string]any{"pv.kubernetes.io/provisioned-by": provisionerName}},
			"spec": map[string]any{
				"capacity":                      map[string]any{"storage": size},
				"accessModes":                   spec["accessModes"],
				"storageClassName":              StorageClassName,
				"persistentVolumeReclaimPolicy": "Delete",
				"claimRef":                      map[string]any{"namespace": ns, "name": name, "uid": uid},
				"hostPath":                      map[string]any{"path": filepath.Join(volumes, pvName)},
			},
		}
		body, _ := json.Marshal(pv)
		_, _, _ = c.request(ctx, http.MethodPost, "/api/v1/persistentvolumes", nil, "application/json", body)
	}
	// A released volume of the Delete policy goes, as a CSI driver's would;
	// the controller-manager cannot delete a hostPath volume itself.
	pvs, err := c.List(ctx, "/api/v1/persistentvolumes")
	if err != nil {
		return
	}
	for _, pv := range pvs {
		md, _ := pv["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		phase, _ := lookupPath(pv, "status", "phase").(string)
		if ann["pv.kubernetes.io/provisioned-by"] != provisionerName || (phase != "Released" && phase != "Failed") {
			continue
		}
		if lookupPath(pv, "spec", "persistentVolumeReclaimPolicy") != "Delete" {
			continue
		}
		name, _ := md["name"].(string)
		_, _, _ = c.request(ctx, http.MethodDelete, "/api/v1/persistentvolumes/"+url.PathEscape(name), nil, "", nil)
	}
}

// assignLoadBalancers writes 127.0.0.1 into the status of every Service of
// type LoadBalancer that has no address yet.
func (c *Cluster) assignLoadBalancers(ctx context.Context) {
	svcs, err := c.List(ctx, "/api/v1/services")
	if err != nil {
		return
	}
	for _, svc := range svcs {
		if lookupPath(svc, "spec", "type") != "LoadBalancer" {
			continue
		}
		if ing, _ := lookupPath(svc, "status", "loadBalancer", "ingress").([]any); len(ing) > 0 {
			continue
		}
		md, _ := svc["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		name, _ := md["name"].(string)
		patch := []byte(`{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1","ipMode":"VIP"}]}}}`)
		path := "/api/v1/namespaces/" + url.PathEscape(ns) + "/services/" + url.PathEscape(name) + "/status"
		_, _, _ = c.request(ctx, http.MethodPatch, path, nil, "application/merge-patch+json", patch)
	}
}

// NotReady describes every pod that is not Ready (nor Succeeded), with the
// scheduler's message for a pod that did not fit, and every Job that has not
// completed: empty means the cluster runs everything it was given.
func (c *Cluster) NotReady(ctx context.Context) ([]string, error) {
	pods, err := c.List(ctx, "/api/v1/pods")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pods {
		md, _ := p["metadata"].(map[string]any)
		ref := fmt.Sprintf("pod %s/%s", md["namespace"], md["name"])
		phase, _ := lookupPath(p, "status", "phase").(string)
		if phase == "Succeeded" || condition(p, "Ready") == "True" {
			continue
		}
		// Even a Job's pod, so that the scheduler's reason is given.
		if msg := conditionMessage(p, "PodScheduled"); condition(p, "PodScheduled") != "True" {
			out = append(out, fmt.Sprintf("%s: not scheduled: %s", ref, msg))
			continue
		}
		if isJobPod(md) && phase != "Failed" {
			continue // judged through its Job
		}
		out = append(out, fmt.Sprintf("%s: %s, not Ready", ref, phase))
	}
	jobs, err := c.List(ctx, "/apis/batch/v1/jobs")
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		md, _ := j["metadata"].(map[string]any)
		if condition(j, "Complete") != "True" {
			out = append(out, fmt.Sprintf("job %s/%s: not complete (failed: %s)", md["namespace"], md["name"], condition(j, "Failed")))
		}
	}
	sort.Strings(out)
	return out, nil
}

// isJobPod: a Job's pod is judged through its Job.
func isJobPod(md map[string]any) bool {
	owners, _ := md["ownerReferences"].([]any)
	for _, o := range owners {
		if om, _ := o.(map[string]any); om["kind"] == "Job" {
			return true
		}
	}
	return false
}

// condition is the status of a condition of an object ("" when absent).
func condition(obj map[string]any, typ string) string {
	s, _ := findCondition(obj, typ)["status"].(string)
	return s
}

func conditionMessage(obj map[string]any, typ string) string {
	m, _ := findCondition(obj, typ)["message"].(string)
	return m
}

func findCondition(obj map[string]any, typ string) map[string]any {
	conds, _ := lookupPath(obj, "status", "conditions").([]any)
	for _, c := range conds {
		if cm, _ := c.(map[string]any); cm["type"] == typ {
			return cm
		}
	}
	return nil
}

func lookupPath(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// Requests sums, per node, the CPU (millicores) and memory (bytes) requested
// by the pods bound to it that still run.
func (c *Cluster) Requests(ctx context.Context) (map[string][2]int64, error) {
	pods, err := c.List(ctx, "/api/v1/pods")
	if err != nil {
		return nil, err
	}
	out := map[string][2]int64{}
	for _, p := range pods {
		node, _ := lookupPath(p, "spec", "nodeName").(string)
		phase, _ := lookupPath(p, "status", "phase").(string)
		if node == "" || phase == "Succeeded" || phase == "Failed" {
			continue
		}
		cs, _ := lookupPath(p, "spec", "containers").([]any)
		sum := out[node]
		for _, ctr := range cs {
			cm, _ := ctr.(map[string]any)
			if cpu, ok := lookupPath(cm, "resources", "requests", "cpu").(string); ok {
				v, _ := planscan.ParseCPU(cpu)
				sum[0] += v
			}
			if mem, ok := lookupPath(cm, "resources", "requests", "memory").(string); ok {
				v, _ := planscan.ParseBytes(mem)
				sum[1] += v
			}
		}
		out[node] = sum
	}
	return out, nil
}
