package planscan

// Rule: a Deployment that mounts a ReadWriteOnce claim is replaced with
// Recreate. With RollingUpdate the new pod waits for the volume that the
// old pod still holds: on DigitalOcean block storage (ReadWriteOnce only)
// it never attaches while the old pod runs, and helm upgrade hangs until its
// timeout. Every claim counts as ReadWriteOnce unless the plan shows it is
// not: do-block-storage offers nothing else.

import "fmt"

// RollingRWO checks the Deployments of ms against the claims of ms.
func RollingRWO(ms []Manifest) []Problem {
	shared := map[string]bool{} // claims that some object declares without ReadWriteOnce
	for _, m := range ms {
		if m.Kind() != "PersistentVolumeClaim" {
			continue
		}
		spec := lookupOr(m.Object, "spec")
		modes, _ := spec["accessModes"].([]any)
		rwo := len(modes) == 0
		for _, a := range modes {
			rwo = rwo || a == "ReadWriteOnce" || a == "ReadWriteOncePod"
		}
		if !rwo {
			shared[str(lookupOr(m.Object, "metadata"), "name")] = true
		}
	}
	var out []Problem
	for _, m := range ms {
		if m.Kind() != "Deployment" {
			continue
		}
		spec, _, ok := podSpec(m.Object)
		if !ok {
			continue
		}
		strategy := str(lookupOr(lookupOr(m.Object, "spec"), "strategy"), "type")
		if strategy == "Recreate" {
			continue
		}
		vols, _ := spec["volumes"].([]any)
		for _, v := range vols {
			claim := str(lookupOr(v.(map[string]any), "persistentVolumeClaim"), "claimName")
			if claim == "" || shared[claim] {
				continue
			}
			if strategy == "" {
				strategy = "RollingUpdate (the default)"
			}
			out = append(out, Problem{Address: m.Address, Path: "spec.strategy.type",
				Message: fmt.Sprintf("Deployment %s mounts the ReadWriteOnce claim %s but is replaced with %s: the new pod cannot attach the volume while the old one holds it (DigitalOcean block storage) and the upgrade hangs; use Recreate",
					str(lookupOr(m.Object, "metadata"), "name"), claim, strategy)})
			break
		}
	}
	return out
}
