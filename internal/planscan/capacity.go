package planscan

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Workload is one container group the platform runs steadily, with what it
// requests of the nodes.
type Workload struct {
	Address string // resource address in the plan
	Path    string // values path or container path
	CPU     int64  // millicores requested per replica
	Memory  int64  // bytes requested per replica
	// Replicas is the pod count; PerNode marks a DaemonSet (one per node).
	Replicas int
	PerNode  bool
}

// Volume is one persistent volume claim the platform makes.
type Volume struct {
	Address string
	Path    string
	Bytes   int64
}

// replicaRules say how many pods run a chart component's resources; the
// paths are those of releaseResources. Components not listed run once;
// transient ones (hooks, jobs, init containers) are left out of the
// steady-state sum.
var replicaRules = map[string]map[string]struct {
	replicas  string
	perNode   bool
	transient bool
}{
	"traefik":      {"resources": {replicas: "deployment.replicas"}},
	"cert-manager": {"resources": {replicas: "replicaCount"}, "webhook.resources": {replicas: "webhook.replicaCount"}, "cainjector.resources": {replicas: "cainjector.replicaCount"}, "startupapicheck.resources": {transient: true}},
	"external-dns": {"resources": {replicas: "replicaCount"}},
	"velero":       {"nodeAgent.resources": {perNode: true}, "initContainers[*].resources": {transient: true}, "upgradeJobResources": {transient: true}},
	"zot":          {"resources": {replicas: "replicaCount"}},
	"n8n":          {"resources.main": {replicas: "replicaCount"}},
	"nextcloud": {
		"resources":                 {replicas: "replicaCount"},
		"cronjob.sidecar.resources": {replicas: "replicaCount"},
		"nginx.resources":           {replicas: "replicaCount"},
		"nextcloud.extraSidecarContainers[*].resources": {replicas: "replicaCount"},
		"cronjob.cronjob.resources":                     {transient: true},
		"nextcloud.extraInitContainers[*].resources":    {transient: true},
		"nextcloud.mariaDbInitContainer.resources":      {transient: true},
		"nextcloud.postgreSqlInitContainer.resources":   {transient: true},
		"metrics.resources":                             {replicas: "metrics.replicaCount"},
		"imaginary.resources":                           {replicas: "imaginary.replicaCount"},
	},
	"mailu": {
		"front.resources": {replicas: "front.replicaCount"},
	},
	"kube-prometheus-stack": {
		"prometheus.prometheusSpec.resources":     {replicas: "prometheus.prometheusSpec.replicas"},
		"alertmanager.alertmanagerSpec.resources": {replicas: "alertmanager.alertmanagerSpec.replicas"},
		"grafana.resources":                       {replicas: "grafana.replicas"},
		"prometheus-node-exporter.resources":      {perNode: true},
	},
	"victoria-logs-collector": {"resources": {perNode: true}},
	"loki":                    {"singleBinary.resources": {replicas: "singleBinary.replicas"}},
}

// volumeRules are the values paths of the volume sizes each chart claims,
// with the switch that turns the volume on. nextcloud has none: the module
// gives it its own PVC (persistence.existingClaim), counted as a manifest.
var volumeRules = map[string][]struct{ size, when string }{
	"zot":                   {{size: "pvc.storage", when: "pvc.create"}},
	"kube-prometheus-stack": {{size: "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage"}, {size: "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage"}, {size: "grafana.persistence.size", when: "grafana.persistence.enabled"}},
	"victoria-logs-single":  {{size: "server.persistentVolume.size", when: "server.persistentVolume.enabled"}},
	"loki":                  {{size: "singleBinary.persistence.size", when: "singleBinary.persistence.enabled"}},
}

// Workloads lists what every release and manifest of the plan requests,
// from the values helm renders with (user values over chart defaults).
func Workloads(chartsDir string, p *Plan) ([]Workload, error) {
	var out []Workload
	for _, r := range p.Releases {
		name := ChartName(r.Chart)
		values, err := effectiveValues(chartsDir, name, r)
		if err != nil {
			return nil, err
		}
		for _, rule := range releaseResources[name] {
			if rule.when != nil && !rule.when(values) {
				continue
			}
			rr := replicaRules[name][rule.path]
			if rr.transient {
				continue
			}
			replicas := 1
			if rr.replicas != "" {
				if v, ok := lookup(values, rr.replicas); ok && v != nil {
					replicas = toInt(v, 1)
				}
			}
			for path, res := range expandPath(values, rule.path) {
				w, err := workload(r.Address, path, res, replicas, rr.perNode)
				if err != nil {
					return nil, err
				}
				out = append(out, w)
			}
		}
	}
	for _, m := range p.Manifests {
		replicas, perNode, steady := manifestReplicas(m)
		if !steady {
			continue
		}
		spec, at, _ := podSpec(m.Object)
		cs, _ := spec["containers"].([]any)
		for i, c := range cs {
			cm, _ := c.(map[string]any)
			w, err := workload(m.Address, indexPath(joinPath(at, "containers"), i), cm["resources"], replicas, perNode)
			if err != nil {
				return nil, err
			}
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address+out[i].Path < out[j].Address+out[j].Path })
	return out, nil
}

// manifestReplicas: Deployments and StatefulSets run spec.replicas (default
// 1), DaemonSets one pod per node, bare Pods one; Jobs and CronJobs only
// come and go.
func manifestReplicas(m Manifest) (replicas int, perNode, steady bool) {
	switch m.Kind() {
	case "Deployment", "StatefulSet", "ReplicaSet":
		spec, _ := m.Object["spec"].(map[string]any)
		return toInt(spec["replicas"], 1), false, true
	case "DaemonSet":
		return 1, true, true
	case "Pod":
		return 1, false, true
	}
	return 0, false, false
}

func workload(address, path string, res any, replicas int, perNode bool) (Workload, error) {
	rm, _ := res.(map[string]any)
	req, _ := rm["requests"].(map[string]any)
	cpu, err := ParseCPU(req["cpu"])
	if err != nil {
		return Workload{}, fmt.Errorf("%s %s: %w", address, path, err)
	}
	mem, err := ParseBytes(req["memory"])
	if err != nil {
		return Workload{}, fmt.Errorf("%s %s: %w", address, path, err)
	}
	return Workload{Address: address, Path: path, CPU: cpu, Memory: mem, Replicas: replicas, PerNode: perNode}, nil
}

// Volumes lists the persistent volume claims of the plan: PVC manifests,
// StatefulSet volume claim templates (times replicas) and the chart volumes
// of volumeRules.
func Volumes(chartsDir string, p *Plan) ([]Volume, error) {
	var out []Volume
	for _, r := range p.Releases {
		name := ChartName(r.Chart)
		values, err := effectiveValues(chartsDir, name, r)
		if err != nil {
			return nil, err
		}
		for _, rule := range volumeRules[name] {
			if rule.when != "" {
				if on, _ := lookup(values, rule.when); !truthy(on) {
					continue
				}
			}
			v, ok := lookup(values, rule.size)
			if !ok || v == nil {
				continue
			}
			b, err := ParseBytes(v)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", r.Address, rule.size, err)
			}
			out = append(out, Volume{Address: r.Address, Path: rule.size, Bytes: b})
		}
	}
	for _, m := range p.Manifests {
		switch m.Kind() {
		case "PersistentVolumeClaim":
			b, err := claimSize(m.Object["spec"])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.Address, err)
			}
			out = append(out, Volume{Address: m.Address, Path: "spec.resources.requests.storage", Bytes: b})
		case "StatefulSet":
			spec, _ := m.Object["spec"].(map[string]any)
			replicas := toInt(spec["replicas"], 1)
			tmpls, _ := spec["volumeClaimTemplates"].([]any)
			for i, t := range tmpls {
				tm, _ := t.(map[string]any)
				b, err := claimSize(tm["spec"])
				if err != nil {
					return nil, fmt.Errorf("%s: %w", m.Address, err)
				}
				out = append(out, Volume{Address: m.Address, Path: indexPath("spec.volumeClaimTemplates", i), Bytes: b * int64(replicas)})
			}
		}
	}
	return out, nil
}

func claimSize(spec any) (int64, error) {
	sm, _ := spec.(map[string]any)
	v, _ := lookup(sm, "resources.requests.storage")
	return ParseBytes(v)
}

func effectiveValues(chartsDir, name string, r Release) (map[string]any, error) {
	c, err := LoadChart(chartsDir, name, r.Version)
	if errors.Is(err, ErrNoOfflineCopy) {
		return r.Values, nil
	}
	if err != nil {
		return nil, err
	}
	return coalesce(c.Defaults, r.Values), nil
}

func toInt(v any, def int) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
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
	}
	return "", false, fmt.Errorf("quantity %v is a %T, not a number or string", v, v)
}

// loadBalancerRules are the values that make a chart create a Service of
// type LoadBalancer (each one a billed DigitalOcean load balancer).
var loadBalancerRules = map[string]struct{ enabled, typ string }{
	"traefik": {enabled: "service.enabled", typ: "service.spec.type"},
}

// LoadBalancers lists the Services of type LoadBalancer the plan creates,
// from chart values and from Service manifests.
func LoadBalancers(chartsDir string, p *Plan) ([]string, error) {
	var out []string
	for _, r := range p.Releases {
		name := ChartName(r.Chart)
		rule, ok := loadBalancerRules[name]
		if !ok {
			continue
		}
		values, err := effectiveValues(chartsDir, name, r)
		if err != nil {
			return nil, err
		}
		on, _ := lookup(values, rule.enabled)
		typ, _ := lookup(values, rule.typ)
		if truthy(on) && typ == "LoadBalancer" {
			out = append(out, r.Address)
		}
	}
	for _, m := range p.Manifests {
		if m.Kind() != "Service" {
			continue
		}
		if typ, _ := lookup(m.Object, "spec.type"); typ == "LoadBalancer" {
			out = append(out, m.Address)
		}
	}
	return out, nil
}
