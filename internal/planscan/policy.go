package planscan

import "slices"

// CheckPolicies runs every policy over a plan: the objects of rendered
// releases (Plan.Rendered), the values of the releases not rendered (with
// their charts' offline copies in chartsDir), manifests, and resources
// written with the kubernetes provider. Unknown values are skipped (see
// Load).
func CheckPolicies(chartsDir string, p *Plan) []Problem {
	var out []Problem
	rendered := map[string]bool{}
	for _, m := range p.Rendered {
		rendered[m.Release] = true
	}
	for _, r := range p.Releases {
		out = append(out, NotAtomic(r)...)
		if rendered[r.Address] {
			continue
		}
		out = append(out, BitnamiInRelease(chartsDir, r)...)
		out = append(out, UnpinnedImagesInRelease(r)...)
		out = append(out, MissingResourcesInRelease(chartsDir, r)...)
	}
	all := append(slices.Clone(p.Manifests), p.Rendered...)
	out = append(out, RollingRWO(all)...)
	out = append(out, MailTrust(p, all)...)
	for _, m := range all {
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

// NotAtomic flags a release that a failed install would leave behind: the
// helm provider then keeps the failed release in the cluster but not in the
// state, and every later apply fails with "cannot re-use a name that is
// still in use".
func NotAtomic(r Release) []Problem {
	if r.Atomic && r.CleanupOnFail {
		return nil
	}
	return []Problem{{Address: r.Address, Message: "set atomic = true and cleanup_on_fail = true " +
		"(docs/CONVENTIONS.md): a failed install must be undone so that the same command can run again"}}
}
