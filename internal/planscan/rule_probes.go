package planscan

// Rule: every long-running container of our own workloads has probes.

import "fmt"

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
