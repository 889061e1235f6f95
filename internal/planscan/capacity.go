package planscan

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Workload is one set of identical pods the platform runs, as the objects of
// the plan make them: kubectl manifests and the releases rendered from their
// real charts (Plan.Rendered), plus the pods the Prometheus operator makes of
// its custom resources.
type Workload struct {
	Address string // kubectl_manifest address, or "<helm_release> <template>"
	Object  string // "Deployment mailu/mailu-front"
	// CPU and Memory are what one pod requests of its node, as the
	// scheduler sums them: every container (sidecars included), or the
	// largest init container when it asks for more.
	CPU, Memory int64
	// LimitMemory is the sum of the containers' memory limits, 0 when a
	// container has none (the pod is then unbounded).
	LimitMemory int64
	Containers  []Container
	Replicas    int
	PerNode     bool // a DaemonSet: one pod per node
	// Schedule is a CronJob's schedule; "" for pods that run all the time.
	Schedule string
	// Once marks a Job: it runs when it is applied, then never again.
	Once bool
}

// Container is one container of a workload's pod (sidecars and init
// containers included) with what it requests.
type Container struct {
	Name                     string
	Init                     bool // an init container that runs before the others
	CPU, Memory, LimitMemory int64
}

// Steady says whether the workload's pods run all the time.
func (w Workload) Steady() bool { return w.Schedule == "" && !w.Once }

// Volume is one persistent volume claim the platform makes.
type Volume struct {
	Address string
	Path    string
	Bytes   int64
}

// objects are the known objects of the plan, our manifests and the rendered
// releases, without Helm hooks: those run at install or upgrade (or never,
// as test pods), not in the platform's day.
func (p *Plan) objects() []Manifest {
	var out []Manifest
	for _, m := range append(append([]Manifest(nil), p.Manifests...), p.Rendered...) {
		if m.Unknown {
			continue
		}
		if _, hook := lookupOr(lookupOr(m.Object, "metadata"), "annotations")["helm.sh/hook"]; hook {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Uncounted lists what the capacity figures cannot see: manifests whose body
// is unknown at plan and releases with an unknown input (not rendered).
func (p *Plan) Uncounted() []string {
	var out []string
	for _, m := range p.Manifests {
		if m.Unknown {
			out = append(out, m.Address+" (yaml_body unknown at plan)")
		}
	}
	for _, r := range p.Releases {
		if len(r.Unknown) > 0 {
			out = append(out, r.Address+" (unknown at plan: "+strings.Join(r.Unknown, ", ")+")")
		}
	}
	return out
}

// Workloads lists the pods of the plan's objects with what they request.
// Pods the Prometheus operator makes of a Prometheus or Alertmanager
// resource carry its config-reloader sidecar, sized by the operator's flags;
// Velero's repository maintenance Jobs are one workload, with a replica per
// backup repository.
func Workloads(p *Plan) ([]Workload, error) {
	objs := p.objects()
	reloader, err := configReloader(objs)
	if err != nil {
		return nil, err
	}
	var out []Workload
	for _, m := range objs {
		w, ok, err := workloadOf(m, reloader)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", m.Address, m.Ref(), err)
		}
		if ok {
			out = append(out, w)
		}
	}
	maint, found, err := veleroMaintenance(objs)
	if err != nil {
		return nil, err
	}
	if found {
		out = append(out, maint)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Object < out[j].Object })
	return out, nil
}

// podRequest is what one pod asks of its node.
type podRequest struct {
	cpu, mem, limitMem int64
	unbounded          bool // a container without a memory limit
	containers         []Container
}

func (r *podRequest) add(name string, res any) error {
	c, err := containerRequest(res)
	if err != nil {
		return fmt.Errorf("container %s: %w", name, err)
	}
	r.cpu += c.cpu
	r.mem += c.mem
	r.limitMem += c.limitMem
	r.unbounded = r.unbounded || c.limitMem == 0
	r.containers = append(r.containers, Container{Name: name, CPU: c.cpu, Memory: c.mem, LimitMemory: c.limitMem})
	return nil
}

func containerRequest(res any) (podRequest, error) {
	rm, _ := res.(map[string]any)
	req, _ := rm["requests"].(map[string]any)
	lim, _ := rm["limits"].(map[string]any)
	cpu, err := ParseCPU(req["cpu"])
	if err != nil {
		return podRequest{}, err
	}
	mem, err := ParseBytes(req["memory"])
	if err != nil {
		return podRequest{}, err
	}
	limMem, err := ParseBytes(lim["memory"])
	if err != nil {
		return podRequest{}, err
	}
	// Kubernetes takes the limit as the request when only the limit is set.
	if req["memory"] == nil {
		mem = limMem
	}
	if req["cpu"] == nil {
		if cpu, err = ParseCPU(lim["cpu"]); err != nil {
			return podRequest{}, err
		}
	}
	return podRequest{cpu: cpu, mem: mem, limitMem: limMem}, nil
}

// podOf sums a pod spec as the scheduler does: containers and restartable
// init containers (sidecars) add up; an ordinary init container runs alone
// before them, so it counts only when it asks for more.
func podOf(spec map[string]any) (podRequest, error) {
	var r podRequest
	var initMax podRequest
	inits, _ := spec["initContainers"].([]any)
	for _, c := range inits {
		cm, _ := c.(map[string]any)
		name := str(cm, "name")
		if str(cm, "restartPolicy") == "Always" {
			if err := r.add(name, cm["resources"]); err != nil {
				return r, err
			}
			continue
		}
		one, err := containerRequest(cm["resources"])
		if err != nil {
			return r, fmt.Errorf("init container %s: %w", name, err)
		}
		initMax.cpu = max(initMax.cpu, one.cpu)
		initMax.mem = max(initMax.mem, one.mem)
		initMax.containers = append(initMax.containers, Container{Name: name, Init: true, CPU: one.cpu, Memory: one.mem, LimitMemory: one.limitMem})
	}
	cs, _ := spec["containers"].([]any)
	for _, c := range cs {
		cm, _ := c.(map[string]any)
		if err := r.add(str(cm, "name"), cm["resources"]); err != nil {
			return r, err
		}
	}
	r.cpu, r.mem = max(r.cpu, initMax.cpu), max(r.mem, initMax.mem)
	r.containers = append(initMax.containers, r.containers...)
	return r, nil
}

// workloadOf reads one object; ok is false for objects that run no pod.
func workloadOf(m Manifest, reloader podRequest) (Workload, bool, error) {
	spec := lookupOr(m.Object, "spec")
	w := Workload{Address: m.Address, Object: m.Ref(), Replicas: 1}
	if m.Namespace() == "" && m.ReleaseNamespace != "" {
		w.Object = m.Kind() + " " + m.ReleaseNamespace + "/" + m.Name()
	}
	var pod podRequest
	var err error
	switch m.Kind() {
	case "Deployment", "StatefulSet", "ReplicaSet":
		w.Replicas = toInt(spec["replicas"], 1)
	case "DaemonSet":
		w.PerNode = true
	case "Pod":
	case "Job":
		w.Once = true
	case "CronJob":
		w.Schedule = str(spec, "schedule")
	case "Prometheus", "Alertmanager":
		if !strings.HasPrefix(str(m.Object, "apiVersion"), "monitoring.coreos.com/") {
			return w, false, nil
		}
		w.Replicas = toInt(spec["replicas"], 1)
		if m.Kind() == "Prometheus" {
			w.Replicas *= toInt(spec["shards"], 1)
		}
		if err := pod.add(strings.ToLower(m.Kind()), spec["resources"]); err != nil {
			return w, false, err
		}
		if err := pod.add("config-reloader", reloaderResources(reloader)); err != nil {
			return w, false, err
		}
		return w.with(pod), true, nil
	default:
		return w, false, nil
	}
	ps, _, _ := podSpec(m.Object)
	if pod, err = podOf(ps); err != nil {
		return w, false, err
	}
	return w.with(pod), true, nil
}

func (w Workload) with(p podRequest) Workload {
	w.CPU, w.Memory, w.Containers = p.cpu, p.mem, p.containers
	if !p.unbounded {
		w.LimitMemory = p.limitMem
	}
	return w
}

// reloaderFlags are the Prometheus operator's flags that size the
// config-reloader container it adds to every Prometheus and Alertmanager pod.
var reloaderFlags = []string{"--config-reloader-cpu-request=", "--config-reloader-memory-request=", "--config-reloader-cpu-limit=", "--config-reloader-memory-limit="}

// configReloader reads those flags from the operator's Deployment.
func configReloader(objs []Manifest) (podRequest, error) {
	for _, m := range objs {
		if m.Kind() != "Deployment" {
			continue
		}
		var vals [4]any
		found := false
		forEachContainer(m, func(_ string, c map[string]any) {
			args, _ := c["args"].([]any)
			for _, a := range args {
				s, _ := a.(string)
				for i, f := range reloaderFlags {
					if v, ok := strings.CutPrefix(s, f); ok {
						vals[i], found = v, true
					}
				}
			}
		})
		if !found {
			continue
		}
		return containerRequest(map[string]any{
			"requests": map[string]any{"cpu": vals[0], "memory": vals[1]},
			"limits":   map[string]any{"cpu": vals[2], "memory": vals[3]},
		})
	}
	return podRequest{}, nil
}

func reloaderResources(r podRequest) map[string]any {
	res := map[string]any{"requests": map[string]any{"cpu": fmt.Sprintf("%dm", r.cpu), "memory": strconv.FormatInt(r.mem, 10)}}
	if r.limitMem > 0 {
		res["limits"] = map[string]any{"memory": strconv.FormatInt(r.limitMem, 10)}
	}
	return res
}

// Volumes lists the persistent volume claims of the plan's objects: claims,
// StatefulSet claim templates and the Prometheus operator's storage
// templates, each times the replicas that get one.
func Volumes(p *Plan) ([]Volume, error) {
	var out []Volume
	for _, m := range p.objects() {
		spec := lookupOr(m.Object, "spec")
		var tmpls []any
		var at string
		replicas := toInt(spec["replicas"], 1)
		switch m.Kind() {
		case "PersistentVolumeClaim":
			b, err := claimSize(spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.Address, err)
			}
			out = append(out, Volume{Address: m.Address, Path: m.Ref(), Bytes: b})
			continue
		case "StatefulSet":
			tmpls, _ = spec["volumeClaimTemplates"].([]any)
			at = "spec.volumeClaimTemplates"
		case "Prometheus", "Alertmanager":
			if t, ok := lookup(spec, "storage.volumeClaimTemplate"); ok && t != nil {
				tmpls, at = []any{t}, "spec.storage.volumeClaimTemplate"
			}
			if m.Kind() == "Prometheus" {
				replicas *= toInt(spec["shards"], 1)
			}
		}
		for i, t := range tmpls {
			tm, _ := t.(map[string]any)
			b, err := claimSize(tm["spec"])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.Address, err)
			}
			out = append(out, Volume{Address: m.Address, Path: m.Ref() + " " + indexPath(at, i), Bytes: b * int64(replicas)})
		}
	}
	return out, nil
}

func claimSize(spec any) (int64, error) {
	sm, _ := spec.(map[string]any)
	v, _ := lookup(sm, "resources.requests.storage")
	return ParseBytes(v)
}

// LoadBalancers lists the Services of type LoadBalancer of the plan's
// objects: each one is a billed DigitalOcean load balancer.
func LoadBalancers(p *Plan) []string {
	var out []string
	for _, m := range p.objects() {
		if m.Kind() == "Service" && str(lookupOr(m.Object, "spec"), "type") == "LoadBalancer" {
			out = append(out, m.Ref())
		}
	}
	return out
}

// toInt reads a count as YAML or JSON decoding gives it.
func toInt(v any, def int) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return int(i)
		}
	case string:
		if i, err := strconv.Atoi(n); err == nil {
			return i
		}
	}
	return def
}

// binarySuffixes and decimalSuffixes are Kubernetes quantity suffixes.
var binarySuffixes = map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}
var decimalSuffixes = map[string]int64{"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

// ParseBytes reads a Kubernetes memory or storage quantity ("128Mi",
// "1G", "1073741824"); an absent value is 0.
func ParseBytes(v any) (int64, error) {
	s, ok, err := quantityString(v)
	if err != nil || !ok {
		return 0, err
	}
	mult := int64(1)
	for suf, m := range binarySuffixes {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	if mult == 1 {
		for suf, m := range decimalSuffixes {
			if strings.HasSuffix(s, suf) {
				s, mult = strings.TrimSuffix(s, suf), m
			}
		}
	}
	f, _, err := big.ParseFloat(s, 10, 64, big.ToNearestEven)
	if err != nil {
		return 0, fmt.Errorf("quantity %q: %w", v, err)
	}
	n, _ := new(big.Float).Mul(f, new(big.Float).SetInt64(mult)).Float64()
	return int64(math.Ceil(n)), nil
}

// ParseCPU reads a CPU quantity ("100m", "0.5", "2") in millicores.
func ParseCPU(v any) (int64, error) {
	s, ok, err := quantityString(v)
	if err != nil || !ok {
		return 0, err
	}
	if m, found := strings.CutSuffix(s, "m"); found {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu quantity %q: %w", s, err)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("cpu quantity %q: %w", s, err)
	}
	return int64(math.Ceil(f * 1000)), nil
}

func quantityString(v any) (string, bool, error) {
	switch q := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return strings.TrimSpace(q), q != "", nil
	case float64:
		return strconv.FormatFloat(q, 'f', -1, 64), true, nil
	case int:
		return strconv.Itoa(q), true, nil
	case int64:
		return strconv.FormatInt(q, 10), true, nil
	}
	return "", false, fmt.Errorf("quantity %v is a %T, not a number or string", v, v)
}

// veleroMaintenance is the pod set of Velero's repository maintenance: its
// server starts a Job for every backup repository (one per backed-up
// namespace) every hour, Velero's default maintenance frequency for kopia
// repositories (velero.io/docs/v1.16/repository-maintenance). Their size is
// the global podResources of the chart's velero-repo-maintenance ConfigMap
// (Velero >= 1.15); found is false without one.
func veleroMaintenance(objs []Manifest) (w Workload, found bool, err error) {
	for _, m := range objs {
		if m.Kind() != "ConfigMap" || m.Name() != "velero-repo-maintenance" {
			continue
		}
		global, _ := lookupOr(m.Object, "data")["global"].(string)
		var conf struct {
			PodResources struct {
				CPURequest, MemoryRequest, CPULimit, MemoryLimit string
			}
		}
		if err := json.Unmarshal([]byte(global), &conf); err != nil {
			return w, true, fmt.Errorf("%s: data.global: %w", m.Address, err)
		}
		r := conf.PodResources
		var pod podRequest
		err := pod.add("maintenance", map[string]any{
			"requests": map[string]any{"cpu": nilIfEmpty(r.CPURequest), "memory": nilIfEmpty(r.MemoryRequest)},
			"limits":   map[string]any{"cpu": nilIfEmpty(r.CPULimit), "memory": nilIfEmpty(r.MemoryLimit)},
		})
		if err != nil {
			return w, true, fmt.Errorf("%s: %w", m.Address, err)
		}
		w = Workload{Address: m.Address, Object: "Job infra/velero-repo-maintenance", Replicas: len(backedUpNamespaces(objs)), Schedule: "@hourly"}
		return w.with(pod), true, nil
	}
	return w, false, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// backedUpNamespaces are the namespaces the Velero Schedules back up;
// Velero keeps one backup repository per namespace.
func backedUpNamespaces(objs []Manifest) []string {
	seen := map[string]bool{}
	for _, m := range objs {
		if m.Kind() != "Schedule" || !strings.HasPrefix(str(m.Object, "apiVersion"), "velero.io/") {
			continue
		}
		nss, _ := lookup(m.Object, "spec.template.includedNamespaces")
		list, _ := nss.([]any)
		for _, ns := range list {
			if s, ok := ns.(string); ok {
				seen[s] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
