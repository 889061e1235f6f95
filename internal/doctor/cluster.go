package doctor

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// PVC fill levels: a warning leaves time to grow the volume, an error means
// the app is about to fail writes.
const (
	pvcWarnPercent  = 80
	pvcErrorPercent = 95
)

// Kubernetes objects, only the fields the checks read.
type objectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	Labels            map[string]string `json:"labels"`
	CreationTimestamp time.Time         `json:"creationTimestamp"`
	OwnerReferences   []ownerRef        `json:"ownerReferences"`
}

type ownerRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type nodeObject struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Unschedulable bool `json:"unschedulable"`
	} `json:"spec"`
	Status struct {
		Conditions []condition `json:"conditions"`
	} `json:"status"`
}

type podObject struct {
	Metadata objectMeta `json:"metadata"`
	Status   struct {
		Phase             string      `json:"phase"`
		Reason            string      `json:"reason"`
		Conditions        []condition `json:"conditions"`
		ContainerStatuses []struct {
			Name  string `json:"name"`
			Ready bool   `json:"ready"`
			State struct {
				Waiting *struct {
					Reason string `json:"reason"`
				} `json:"waiting"`
				Terminated *struct {
					Reason   string `json:"reason"`
					ExitCode int    `json:"exitCode"`
				} `json:"terminated"`
			} `json:"state"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

type pvcObject struct {
	Metadata objectMeta `json:"metadata"`
	Status   struct {
		Phase    string            `json:"phase"`
		Capacity map[string]string `json:"capacity"`
	} `json:"status"`
}

func findCondition(conds []condition, typ string) (condition, bool) {
	i := slices.IndexFunc(conds, func(c condition) bool { return c.Type == typ })
	if i < 0 {
		return condition{}, false
	}
	return conds[i], true
}

// checkCluster checks nodes, the pods of the apps' and databases'
// namespaces, and how full the volumes are.
func (r *runner) checkCluster(ctx context.Context) []Check {
	c := &checks{group: GroupCluster}
	k, err := r.kubeClient(ctx)
	if err != nil {
		c.fail("API server", err.Error(), "give --kubeconfig (prod: <repo>/.kube/config, written by doctl) and --context")
		return c.list
	}
	nodes := r.checkNodes(ctx, c, k)
	for _, ns := range r.o.Expect.namespaces() {
		r.checkPods(ctx, c, k, ns)
	}
	r.checkVolumes(ctx, c, k, nodes)
	return c.list
}

// checkNodes checks that every node is Ready and returns the Ready ones.
func (r *runner) checkNodes(ctx context.Context, c *checks, k *kubeClient) []string {
	nodes, err := list[nodeObject](ctx, k, "/api/v1/nodes", nil)
	if err != nil {
		c.fail("nodes", "could not list: "+err.Error(), "check the kubeconfig's credentials: kubectl get nodes")
		return nil
	}
	if len(nodes) == 0 {
		c.fail("nodes", "the cluster has no node", "check the node pool: doctl kubernetes cluster node-pool list <cluster>")
		return nil
	}
	var ready []string
	for _, n := range nodes {
		name := "node " + n.Metadata.Name
		cond, ok := findCondition(n.Status.Conditions, "Ready")
		if !ok || cond.Status != "True" {
			why := "no Ready condition (the kubelet never reported)"
			if ok {
				why = strings.TrimSpace(fmt.Sprintf("Ready=%s %s %s", cond.Status, cond.Reason, cond.Message))
			}
			c.fail(name, "not Ready: "+why, fmt.Sprintf("kubectl describe node %s; DOKS replaces a node that stays NotReady, or recycle it: doctl kubernetes cluster node-pool delete-node", n.Metadata.Name))
			continue
		}
		ready = append(ready, n.Metadata.Name)
		var pressure []string
		for _, t := range []string{"MemoryPressure", "DiskPressure", "PIDPressure"} {
			if p, ok := findCondition(n.Status.Conditions, t); ok && p.Status == "True" {
				pressure = append(pressure, t)
			}
		}
		switch {
		case len(pressure) > 0:
			c.warn(name, "Ready, under "+strings.Join(pressure, ", "), "kubectl describe node "+n.Metadata.Name+" and kubectl top pods -A: move or limit the heaviest pods, or add a node")
		case n.Spec.Unschedulable:
			c.warn(name, "Ready but cordoned: no new pod lands on it", "kubectl uncordon "+n.Metadata.Name+" once its maintenance is over")
		default:
			c.ok(name, "Ready")
		}
	}
	return ready
}

// checkPods checks that the pods of one namespace are Ready. Finished Job
// pods (backups, restore checks, cron runs) are left out: their Jobs and
// CronJobs say how they went.
func (r *runner) checkPods(ctx context.Context, c *checks, k *kubeClient, ns string) {
	name := "pods " + ns
	var nsObj struct{}
	if err := k.get(ctx, "/api/v1/namespaces/"+url.PathEscape(ns), nil, &nsObj); err != nil {
		if isNotFound(err) {
			c.fail(name, "namespace "+ns+" does not exist", "apply the platform stack: APP_ENV=prod ./scripts/tofu-secrets.sh apply")
		} else {
			c.fail(name, "could not read the namespace: "+err.Error(), "check the kubeconfig's credentials: kubectl get ns "+ns)
		}
		return
	}
	pods, err := list[podObject](ctx, k, "/api/v1/namespaces/"+url.PathEscape(ns)+"/pods", nil)
	if err != nil {
		c.fail(name, "could not list: "+err.Error(), "kubectl -n "+ns+" get pods")
		return
	}
	total := 0
	var bad []string
	for _, p := range pods {
		if p.Status.Phase == "Succeeded" || (p.Status.Phase == "Failed" && ownedBy(p.Metadata, "Job")) {
			continue
		}
		total++
		if cond, ok := findCondition(p.Status.Conditions, "Ready"); ok && cond.Status == "True" {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s (%s)", p.Metadata.Name, podTrouble(p)))
	}
	switch {
	case total == 0:
		c.warn(name, "no pod runs in "+ns, "kubectl -n "+ns+" get deploy,sts,cronjob: scaled to zero, or never deployed?")
	case len(bad) > 0:
		first := strings.Fields(bad[0])[0]
		c.fail(name, fmt.Sprintf("%d of %d not ready: %s", len(bad), total, strings.Join(bad, ", ")),
			fmt.Sprintf("kubectl -n %s describe pod %s; kubectl -n %s logs %s --previous", ns, first, ns, first))
	default:
		c.ok(name, "%d/%d ready", total, total)
	}
}

func ownedBy(m objectMeta, kind string) bool {
	return slices.ContainsFunc(m.OwnerReferences, func(o ownerRef) bool { return o.Kind == kind })
}

// podTrouble names why a pod is not ready, in kubectl's words.
func podTrouble(p podObject) string {
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			return cs.State.Waiting.Reason
		case cs.State.Terminated != nil:
			return fmt.Sprintf("%s, exit %d", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
		case !cs.Ready:
			return cs.Name + " not ready"
		}
	}
	if cond, ok := findCondition(p.Status.Conditions, "PodScheduled"); ok && cond.Status == "False" {
		return cond.Reason
	}
	return strings.TrimSpace(p.Status.Phase + " " + p.Status.Reason)
}

// volumeStats is one PVC's use as a kubelet measures it.
type volumeStats struct {
	used, available, capacity int64
}

// statsSummary is the part of the kubelet's /stats/summary read here.
type statsSummary struct {
	Pods []struct {
		Volume []struct {
			UsedBytes      *int64 `json:"usedBytes"`
			AvailableBytes *int64 `json:"availableBytes"`
			CapacityBytes  *int64 `json:"capacityBytes"`
			PVCRef         *struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"pvcRef"`
		} `json:"volume"`
	} `json:"pods"`
}

// checkVolumes checks that every PVC is bound and how full it is.
//
// Usage is not in the API objects. It comes from each kubelet's stats
// summary, read through the API server's node proxy
// (/api/v1/nodes/<node>/proxy/stats/summary), rather than from Prometheus'
// kubelet_volume_stats_* series through a service proxy to
// metrics/kube-prometheus-stack-prometheus: it is the same kubelet
// measurement without depending on the monitoring stack being up, which is
// exactly when a doctor is needed. A PVC that no running pod mounts has no
// measurement; it is reported as bound, usage unknown.
func (r *runner) checkVolumes(ctx context.Context, c *checks, k *kubeClient, nodes []string) {
	pvcs, err := list[pvcObject](ctx, k, "/api/v1/persistentvolumeclaims", nil)
	if err != nil {
		c.fail("volumes", "could not list PVCs: "+err.Error(), "kubectl get pvc -A")
		return
	}
	usage := map[string]volumeStats{}
	for _, n := range nodes {
		var sum statsSummary
		if err := k.get(ctx, "/api/v1/nodes/"+url.PathEscape(n)+"/proxy/stats/summary", nil, &sum); err != nil {
			c.warn("volume usage on "+n, "could not read the kubelet's stats: "+err.Error(), "kubectl get --raw /api/v1/nodes/"+n+"/proxy/stats/summary (needs the nodes/proxy permission)")
			continue
		}
		for _, p := range sum.Pods {
			for _, v := range p.Volume {
				if v.PVCRef == nil || v.CapacityBytes == nil || *v.CapacityBytes <= 0 {
					continue
				}
				s := volumeStats{capacity: *v.CapacityBytes, available: -1}
				if v.UsedBytes != nil {
					s.used = *v.UsedBytes
				}
				if v.AvailableBytes != nil {
					s.available = *v.AvailableBytes
				}
				usage[v.PVCRef.Namespace+"/"+v.PVCRef.Name] = s
			}
		}
	}
	slices.SortFunc(pvcs, func(a, b pvcObject) int {
		return strings.Compare(a.Metadata.Namespace+"/"+a.Metadata.Name, b.Metadata.Namespace+"/"+b.Metadata.Name)
	})
	for _, p := range pvcs {
		id := p.Metadata.Namespace + "/" + p.Metadata.Name
		name := "pvc " + id
		if p.Status.Phase != "Bound" {
			c.fail(name, "not bound (phase "+orDash(p.Status.Phase)+")", fmt.Sprintf("kubectl -n %s describe pvc %s (storage class, quota, zone)", p.Metadata.Namespace, p.Metadata.Name))
			continue
		}
		s, ok := usage[id]
		if !ok {
			c.ok(name, "bound, %s; not mounted by a running pod, usage unknown", orDash(p.Status.Capacity["storage"]))
			continue
		}
		// Full means no space left for the app: reserved blocks make
		// used+available smaller than the capacity, so count from what is
		// still available when the kubelet says.
		pct := float64(s.used) / float64(s.capacity) * 100
		if s.available >= 0 {
			pct = float64(s.capacity-s.available) / float64(s.capacity) * 100
		}
		detail := fmt.Sprintf("%.0f %% full (%s used of %s)", pct, bytesIEC(s.used), bytesIEC(s.capacity))
		fix := fmt.Sprintf("grow it (raise the volume size of its module and apply: DigitalOcean volumes grow online) or free space in %s", p.Metadata.Namespace)
		switch {
		case pct >= pvcErrorPercent:
			c.fail(name, detail, fix)
		case pct >= pvcWarnPercent:
			c.warn(name, detail, fix)
		default:
			c.ok(name, "%s", detail)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// bytesIEC renders a size in GiB or MiB.
func bytesIEC(n int64) string {
	const mi, gi = 1 << 20, 1 << 30
	if n >= gi {
		return fmt.Sprintf("%.1f GiB", float64(n)/gi)
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/mi)
}
