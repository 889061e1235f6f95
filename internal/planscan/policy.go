package planscan

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// CheckPolicies runs every policy over a plan: releases (with their
// charts' offline copies in chartsDir), manifests, and resources written
// with the kubernetes provider. Unknown values are skipped (see Load).
func CheckPolicies(chartsDir string, p *Plan) []Problem {
	var out []Problem
	for _, r := range p.Releases {
		out = append(out, BitnamiInRelease(chartsDir, r)...)
		out = append(out, UnpinnedImagesInRelease(r)...)
		out = append(out, MissingResourcesInRelease(chartsDir, r)...)
	}
	for _, m := range p.Manifests {
		out = append(out, BitnamiInManifest(m)...)
		out = append(out, UnpinnedImagesInManifest(m)...)
		out = append(out, MissingResourcesInManifest(m)...)
		out = append(out, MissingProbes(m)...)
	}
	return append(out, KubernetesProviderResources(p)...)
}

// KubernetesProviderResources flags every kubernetes_* resource:
// CONVENTIONS.md wants the objects we write in kubectl_manifest, which the
// offline chain validates against a real API server.
func KubernetesProviderResources(p *Plan) []Problem {
	var out []Problem
	for _, a := range p.KubernetesResources {
		out = append(out, Problem{Address: a, Message: "written with the kubernetes provider: use kubectl_manifest " +
			"(docs/CONVENTIONS.md), so that the offline tests can send the object to a real API server"})
	}
	return out
}

// --- (a) no Bitnami ---

// bitnamiImageRef matches a whole string that is an image or chart
// reference in a Bitnami namespace: bitnami/redis:7, docker.io/bitnami/x,
// bitnamilegacy/os-shell, registry-1.docker.io/bitnamicharts/redis.
var bitnamiImageRef = regexp.MustCompile(`(?i)^(oci://)?([a-z0-9.-]+(:[0-9]+)?/)?bitnami(legacy|charts|secure)?/[a-z0-9._/-]+(:[\w.-]+)?(@sha256:[a-f0-9]+)?$`)

// imageKeys are value keys that hold an image or where to pull it from.
var imageKeys = map[string]bool{"image": true, "repository": true, "registry": true, "imageRegistry": true}

// isBitnamiString reports whether s, found under key, names a Bitnami
// image or chart. Only image-like keys are matched loosely (any mention of
// bitnami); elsewhere the whole string must be an image reference, so that
// prose or paths such as /opt/bitnami in a script are not flagged.
func isBitnamiString(key, s string) bool {
	if imageKeys[key] || strings.HasSuffix(strings.ToLower(key), "image") {
		return strings.Contains(strings.ToLower(s), "bitnami")
	}
	return bitnamiImageRef.MatchString(s)
}

// BitnamiInRelease flags a Bitnami chart, a Bitnami image anywhere in the
// release's values, and a Bitnami subchart left enabled (by the values or by
// the chart's defaults: mailu enables its Bitnami redis by default).
func BitnamiInRelease(chartsDir string, r Release) []Problem {
	var out []Problem
	if strings.Contains(strings.ToLower(r.Repository+" "+r.Chart), "bitnami") {
		out = append(out, Problem{Address: r.Address, Message: fmt.Sprintf("Bitnami chart (%s %s) is forbidden", r.Repository, r.Chart)})
	}
	walkStrings("", "", r.Values, func(p, key, s string) {
		if isBitnamiString(key, s) {
			out = append(out, Problem{Address: r.Address, Path: p, Message: fmt.Sprintf("Bitnami image %q is forbidden", s)})
		}
	})
	c, err := LoadChart(chartsDir, ChartName(r.Chart), r.Version)
	if err != nil {
		return out // CheckValues reports the missing offline copy
	}
	effective := coalesce(c.Defaults, r.Values)
	for _, d := range c.Dependencies {
		if strings.Contains(strings.ToLower(d.Repository), "bitnami") && d.Enabled(effective) {
			out = append(out, Problem{Address: r.Address, Path: d.Condition, Message: fmt.Sprintf(
				"Bitnami subchart %s (%s) is enabled: set %s to false and use our own service", d.Name, d.Repository, conditionPath(d))})
		}
	}
	return out
}

func conditionPath(d Dependency) string {
	if d.Condition == "" {
		return d.Key() + ".enabled (the chart has no condition: it cannot be turned off)"
	}
	return strings.TrimSpace(strings.Split(d.Condition, ",")[0])
}

// BitnamiInManifest flags Bitnami images anywhere in an object we write.
func BitnamiInManifest(m Manifest) []Problem {
	var out []Problem
	walkStrings("", "", m.Object, func(p, key, s string) {
		if isBitnamiString(key, s) {
			out = append(out, Problem{Address: m.Address, Path: p, Message: fmt.Sprintf("Bitnami image %q is forbidden", s)})
		}
	})
	return out
}

// walkStrings calls fn for every string in v with its path and map key
// (for list elements, the key of the list).
func walkStrings(at, key string, v any, fn func(path, key, s string)) {
	switch t := v.(type) {
	case string:
		fn(at, key, t)
	case map[string]any:
		for _, k := range sortedKeys(t) {
			walkStrings(joinPath(at, k), k, t[k], fn)
		}
	case []any:
		for i, x := range t {
			walkStrings(indexPath(at, i), key, x, fn)
		}
	}
}

// --- (b) pinned images ---

// imageRef is a parsed image reference.
type imageRef struct{ name, tag, digest string }

// parseImage splits [registry[:port]/]path[:tag][@digest].
func parseImage(s string) imageRef {
	var r imageRef
	if i := strings.Index(s, "@"); i >= 0 {
		s, r.digest = s[:i], s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s, r.tag = s[:i], s[i+1:]
	}
	r.name = s
	return r
}

// unpinnedReason says why an image is not pinned, or "" when it is.
func (r imageRef) unpinnedReason() string {
	switch {
	case r.digest != "":
		return ""
	case r.tag == "":
		return "has no tag (it means latest)"
	case strings.EqualFold(r.tag, "latest"):
		return "uses the tag latest"
	}
	return ""
}

// UnpinnedImagesInRelease flags images in the release's values that are not
// pinned: an image object ({repository, tag}, {registry, repository, tag},
// {image, tag}) whose tag is latest, or an image string with tag latest or
// no tag at all. An empty or absent tag in an image object is allowed: the
// chart then uses its appVersion, which the pinned chart version fixes.
func UnpinnedImagesInRelease(r Release) []Problem {
	var out []Problem
	walkMaps("", r.Values, func(p string, m map[string]any) bool {
		if tag, ok := m["tag"]; ok && isTagValue(tag) {
			out = append(out, imageObjectProblems(r.Address, p, m, tag)...)
			return false
		}
		if s, ok := m["image"].(string); ok && s != "" {
			if why := parseImage(s).unpinnedReason(); why != "" {
				out = append(out, Problem{Address: r.Address, Path: joinPath(p, "image"), Message: fmt.Sprintf("image %q %s", s, why)})
			}
		}
		return true
	})
	return out
}

// isTagValue reports whether a `tag` key holds what an image tag can be
// (a string, or null for "the chart's appVersion"), which makes its map an
// image object.
func isTagValue(v any) bool {
	switch v.(type) {
	case nil, string:
		return true
	}
	return false
}

func imageObjectProblems(address, at string, m map[string]any, tag any) []Problem {
	if d, _ := m["digest"].(string); d != "" {
		return nil
	}
	if d, _ := m["sha"].(string); d != "" { // kube-prometheus-stack's name for the digest
		return nil
	}
	t, _ := tag.(string)
	if strings.EqualFold(t, "latest") {
		return []Problem{{Address: address, Path: joinPath(at, "tag"), Message: "image tag latest is not pinned"}}
	}
	if repo, _ := m["repository"].(string); t == "" && strings.EqualFold(parseImage(repo).tag, "latest") {
		return []Problem{{Address: address, Path: joinPath(at, "repository"), Message: fmt.Sprintf("image %q uses the tag latest", repo)}}
	}
	return nil
}

// walkMaps calls fn for every map in v (v itself included) with its path;
// fn returns false to skip what is below that map.
func walkMaps(at string, v any, fn func(path string, m map[string]any) bool) {
	switch t := v.(type) {
	case map[string]any:
		if !fn(at, t) {
			return
		}
		for _, k := range sortedKeys(t) {
			walkMaps(joinPath(at, k), t[k], fn)
		}
	case []any:
		for i, x := range t {
			walkMaps(indexPath(at, i), x, fn)
		}
	}
}

// UnpinnedImagesInManifest flags every container and init container whose
// image has no tag, the tag latest, and no digest.
func UnpinnedImagesInManifest(m Manifest) []Problem {
	var out []Problem
	forEachContainer(m, func(p string, c map[string]any) {
		img, _ := c["image"].(string)
		if img == "" {
			out = append(out, Problem{Address: m.Address, Path: joinPath(p, "image"), Message: fmt.Sprintf("container %s has no image", str(c, "name"))})
			return
		}
		if why := parseImage(img).unpinnedReason(); why != "" {
			out = append(out, Problem{Address: m.Address, Path: joinPath(p, "image"),
				Message: fmt.Sprintf("container %s: image %q %s", str(c, "name"), img, why)})
		}
	})
	return out
}

// --- pod templates ---

// podSpecPaths says where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// podSpec returns the object's pod spec and its path, if it has one.
func podSpec(obj map[string]any) (map[string]any, string, bool) {
	kind, _ := obj["kind"].(string)
	keys, ok := podSpecPaths[kind]
	if !ok {
		return nil, "", false
	}
	cur := obj
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, "", false
		}
		cur = next
	}
	return cur, strings.Join(keys, "."), true
}

// forEachContainer calls fn for every container and init container of the
// manifest's pod template, with the container's path.
func forEachContainer(m Manifest, fn func(path string, c map[string]any)) {
	spec, at, ok := podSpec(m.Object)
	if !ok {
		return
	}
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := spec[list].([]any)
		for i, c := range cs {
			if cm, ok := c.(map[string]any); ok {
				fn(indexPath(joinPath(at, list), i), cm)
			}
		}
	}
}

// --- (c) requests and limits ---

// requiredResources are the fields every container must set: CPU and memory
// requests for scheduling and the cost report, and a memory limit so one
// leaking pod cannot take a node down. A CPU limit is deliberately not
// required (it throttles without protecting anything).
var requiredResources = []string{"requests.cpu", "requests.memory", "limits.memory"}

// missingResources lists the required fields a resources object lacks.
func missingResources(res any) []string {
	var missing []string
	m, _ := res.(map[string]any)
	for _, f := range requiredResources {
		if v, ok := lookup(m, f); !ok || v == nil || v == "" {
			missing = append(missing, f)
		}
	}
	return missing
}

// MissingResourcesInManifest flags containers of pod templates without
// requests.cpu, requests.memory and limits.memory.
func MissingResourcesInManifest(m Manifest) []Problem {
	var out []Problem
	forEachContainer(m, func(p string, c map[string]any) {
		if miss := missingResources(c["resources"]); len(miss) > 0 {
			out = append(out, Problem{Address: m.Address, Path: joinPath(p, "resources"),
				Message: fmt.Sprintf("container %s lacks %s", str(c, "name"), strings.Join(miss, ", "))})
		}
	})
	return out
}

// resourceRule is a values path that must hold a complete resources object
// when the component it sizes is deployed.
type resourceRule struct {
	path string // dotted; "[*]" after a key means every element of that list
	// when says whether the component is deployed, from the values helm
	// renders with (defaults included); nil means always.
	when func(values map[string]any) bool
}

func enabled(dotted string) func(map[string]any) bool {
	return func(v map[string]any) bool { x, _ := lookup(v, dotted); return truthy(x) }
}

func equals(dotted string, want ...string) func(map[string]any) bool {
	return func(v map[string]any) bool {
		x, _ := lookup(v, dotted)
		s, _ := x.(string)
		for _, w := range want {
			if s == w {
				return true
			}
		}
		return false
	}
}

// releaseResources lists, per chart, the values that size a container the
// chart deploys (paths read from each chart's values.yaml at the pinned
// version; subchart paths such as grafana.resources are the subchart's).
// Only releases present in the plan are checked.
var releaseResources = map[string][]resourceRule{
	"traefik": {{path: "resources"}},
	"cert-manager": {
		{path: "resources"},
		{path: "webhook.resources"},
		{path: "cainjector.resources", when: enabled("cainjector.enabled")},
		{path: "startupapicheck.resources", when: enabled("startupapicheck.enabled")},
	},
	"external-dns": {
		{path: "resources"},
		// The webhook provider runs as a sidecar of external-dns.
		{path: "provider.webhook.resources", when: equals("provider.name", "webhook")},
	},
	"velero": {
		{path: "resources"},
		{path: "nodeAgent.resources", when: enabled("deployNodeAgent")},
		{path: "initContainers[*].resources"},
		// The CRD upgrade hook Job runs the kubectl image.
		{path: "kubectl.resources", when: enabled("upgradeCRDs")},
	},
	"zot": {{path: "resources"}},
	"kube-prometheus-stack": {
		{path: "prometheus.prometheusSpec.resources", when: enabled("prometheus.enabled")},
		{path: "alertmanager.alertmanagerSpec.resources", when: enabled("alertmanager.enabled")},
		{path: "prometheusOperator.resources", when: enabled("prometheusOperator.enabled")},
		{path: "grafana.resources", when: enabled("grafana.enabled")},
		{path: "kube-state-metrics.resources", when: enabled("kubeStateMetrics.enabled")},
		{path: "prometheus-node-exporter.resources", when: enabled("nodeExporter.enabled")},
	},
	"victoria-logs-single":    {{path: "server.resources", when: enabled("server.enabled")}},
	"victoria-logs-collector": {{path: "resources"}},
	"loki": {
		{path: "singleBinary.resources", when: equals("deploymentMode", "Monolithic", "SingleBinary")},
		{path: "gateway.resources", when: enabled("gateway.enabled")},
	},
}

// MissingResourcesInRelease checks the chart's entries of releaseResources
// against the values helm renders with (user values over the chart
// defaults, read from chartsDir). Charts without an entry are not checked;
// without an offline copy only the user values are used.
func MissingResourcesInRelease(chartsDir string, r Release) []Problem {
	name := ChartName(r.Chart)
	rules, ok := releaseResources[name]
	if !ok {
		return nil
	}
	values := r.Values
	if c, err := LoadChart(chartsDir, name, r.Version); err == nil {
		values = coalesce(c.Defaults, r.Values)
	} else if !errors.Is(err, ErrNoOfflineCopy) {
		return []Problem{{Address: r.Address, Message: err.Error()}}
	}
	var out []Problem
	for _, rule := range rules {
		if rule.when != nil && !rule.when(values) {
			continue
		}
		for p, res := range expandPath(values, rule.path) {
			if miss := missingResources(res); len(miss) > 0 {
				out = append(out, Problem{Address: r.Address, Path: p, Message: "lacks " + strings.Join(miss, ", ")})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// expandPath resolves a rule path to the concrete paths it names and their
// values (nil when absent): "a.b" names one path, "a[*].b" one per element.
func expandPath(values map[string]any, rulePath string) map[string]any {
	before, after, wild := strings.Cut(rulePath, "[*].")
	if !wild {
		v, _ := lookup(values, rulePath)
		return map[string]any{rulePath: v}
	}
	out := map[string]any{}
	list, _ := lookupList(values, before)
	for i, el := range list {
		m, _ := el.(map[string]any)
		v, _ := lookup(m, after)
		out[indexPath(before, i)+"."+after] = v
	}
	return out
}

func lookupList(values map[string]any, dotted string) ([]any, bool) {
	v, ok := lookup(values, dotted)
	l, isList := v.([]any)
	return l, ok && isList
}

// --- (d) probes ---

// probedKinds are the long-running workloads that must say when they are
// ready and alive.
var probedKinds = map[string]bool{"Deployment": true, "StatefulSet": true}

// MissingProbes flags containers of Deployments and StatefulSets that
// expose a port but have no readiness or no liveness probe.
func MissingProbes(m Manifest) []Problem {
	if !probedKinds[m.Kind()] {
		return nil
	}
	spec, at, ok := podSpec(m.Object)
	if !ok {
		return nil
	}
	var out []Problem
	cs, _ := spec["containers"].([]any)
	for i, c := range cs {
		cm, _ := c.(map[string]any)
		if ports, _ := cm["ports"].([]any); len(ports) == 0 {
			continue
		}
		p := indexPath(joinPath(at, "containers"), i)
		for _, probe := range []string{"readinessProbe", "livenessProbe"} {
			if _, ok := cm[probe].(map[string]any); !ok {
				out = append(out, Problem{Address: m.Address, Path: joinPath(p, probe),
					Message: fmt.Sprintf("container %s exposes a port but has no %s", str(cm, "name"), probe)})
			}
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
