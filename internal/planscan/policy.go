package planscan

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
