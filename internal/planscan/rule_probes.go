package planscan

// Rule: every long-running container of our own workloads has probes.

import (
	"fmt"
	"strings"
)

// probedKinds are the long-running workloads that must say when they are
// ready and alive.
var probedKinds = map[string]bool{"Deployment": true, "StatefulSet": true}

// unprobeable are the probes a chart renders no value for, by template and
// container: nothing in the values can add them. Each says why it is
// acceptable.
var unprobeable = map[string]map[string]string{
	// Leader-elected controllers that serve only metrics: no Service
	// routes to them, so readiness means nothing; the chart has a liveness
	// probe for the controller and none for the CA injector.
	"cert-manager/templates/deployment.yaml|cert-manager-controller":            {"readinessProbe": "leader-elected controller, no Service"},
	"cert-manager/templates/cainjector-deployment.yaml|cert-manager-cainjector": {"readinessProbe": "leader-elected controller, no Service", "livenessProbe": "the chart renders none"},
}

// MissingProbes flags containers of Deployments and StatefulSets that
// expose a port but have no readiness or no liveness probe, but for the
// chart containers listed in unprobeable.
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
			if m.Release != "" && unprobeable[templateOf(m)+"|"+str(cm, "name")][probe] != "" {
				continue
			}
			if _, ok := cm[probe].(map[string]any); !ok {
				out = append(out, Problem{Address: m.Address, Path: joinPath(p, probe),
					Message: fmt.Sprintf("container %s exposes a port but has no %s", str(cm, "name"), probe)})
			}
		}
	}
	return out
}

// templateOf is the template a rendered object comes from (see
// Plan.Rendered).
func templateOf(m Manifest) string {
	return strings.TrimPrefix(m.Address, m.Release+" ")
}
