package planscan

// Rule: every container has CPU and memory requests and a memory limit; the
// chart paths that size containers are also what the cost walk reads.

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

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

// allOf is deployed when every condition holds (a switch and a mode).
func allOf(conds ...func(map[string]any) bool) func(map[string]any) bool {
	return func(v map[string]any) bool {
		for _, c := range conds {
			if !c(v) {
				return false
			}
		}
		return true
	}
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
		// The CRD upgrade hook Job (upgrade-crds.yaml) runs Velero's own
		// image sized by upgradeJobResources; kubectl.* only sizes jobs the
		// platform never turns on.
		{path: "upgradeJobResources", when: enabled("upgradeCRDs")},
	},
	"zot": {{path: "resources"}},
	"n8n": {{path: "resources.main"}},
	// nextcloud 9.2.4: deployment.yaml sizes the nextcloud container with the
	// top-level resources, the nginx and cron sidecars and the init
	// containers with their own; cronjob.yaml, metrics/ and imaginary/ theirs.
	"nextcloud": {
		{path: "resources"},
		{path: "cronjob.cronjob.resources", when: allOf(enabled("cronjob.enabled"), equals("cronjob.type", "cronjob"))},
		{path: "cronjob.sidecar.resources", when: allOf(enabled("cronjob.enabled"), equals("cronjob.type", "sidecar"))},
		{path: "nginx.resources", when: enabled("nginx.enabled")},
		{path: "nextcloud.extraInitContainers[*].resources"},
		{path: "nextcloud.extraSidecarContainers[*].resources"},
		{path: "nextcloud.mariaDbInitContainer.resources", when: enabled("mariadb.enabled")},
		{path: "nextcloud.postgreSqlInitContainer.resources", when: enabled("postgresql.enabled")},
		{path: "metrics.resources", when: enabled("metrics.enabled")},
		{path: "imaginary.resources", when: enabled("imaginary.enabled")},
	},
	// mailu 2.7.1: one Deployment per component, each sized by
	// <component>.resources (front/, admin/, postfix/, ... deployment.yaml);
	// init containers only when given (<component>.initContainers, none here).
	"mailu": {
		{path: "front.resources"},
		{path: "admin.resources", when: enabled("admin.enabled")},
		{path: "postfix.resources"},
		{path: "dovecot.resources", when: enabled("dovecot.enabled")},
		{path: "rspamd.resources", when: enabled("rspamd.enabled")},
		{path: "clamav.resources", when: enabled("clamav.enabled")},
		{path: "webmail.resources", when: enabled("webmail.enabled")},
		{path: "webdav.resources", when: enabled("webdav.enabled")},
		{path: "fetchmail.resources", when: enabled("fetchmail.enabled")},
		{path: "oletools.resources", when: enabled("oletools.enabled")},
		{path: "tika.resources", when: enabled("tika.enabled")},
	},
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
