package doapi

import "github.com/digitalocean/godo"

// What GET /v2/kubernetes/options offers, from the API reference and the
// DOKS release notes: the regions DOKS runs in, the node sizes it takes,
// and three supported minor versions, the newest patch of each. The
// versions follow the Kubernetes the tests run (v1.34.2).
var (
	kubeRegions = []*godo.KubernetesRegion{
		{Slug: "nyc1", Name: "New York 1"}, {Slug: "nyc3", Name: "New York 3"},
		{Slug: "sfo2", Name: "San Francisco 2"}, {Slug: "sfo3", Name: "San Francisco 3"},
		{Slug: "ams3", Name: "Amsterdam 3"}, {Slug: "sgp1", Name: "Singapore 1"},
		{Slug: "lon1", Name: "London 1"}, {Slug: "fra1", Name: "Frankfurt 1"},
		{Slug: "tor1", Name: "Toronto 1"}, {Slug: "blr1", Name: "Bangalore 1"},
		{Slug: "syd1", Name: "Sydney 1"}, {Slug: "atl1", Name: "Atlanta 1"},
	}
	kubeSizes = []*godo.KubernetesNodeSize{
		{Slug: "s-1vcpu-2gb", Name: "s-1vcpu-2gb"}, {Slug: "s-2vcpu-2gb", Name: "s-2vcpu-2gb"},
		{Slug: "s-2vcpu-4gb", Name: "s-2vcpu-4gb"}, {Slug: "s-4vcpu-8gb", Name: "s-4vcpu-8gb"},
		{Slug: "s-8vcpu-16gb", Name: "s-8vcpu-16gb"}, {Slug: "s-2vcpu-4gb-amd", Name: "s-2vcpu-4gb-amd"},
		{Slug: "s-4vcpu-8gb-amd", Name: "s-4vcpu-8gb-amd"}, {Slug: "s-2vcpu-4gb-intel", Name: "s-2vcpu-4gb-intel"},
		{Slug: "s-4vcpu-8gb-intel", Name: "s-4vcpu-8gb-intel"}, {Slug: "c-2", Name: "c-2"}, {Slug: "c-4", Name: "c-4"},
		{Slug: "g-2vcpu-8gb", Name: "g-2vcpu-8gb"}, {Slug: "g-4vcpu-16gb", Name: "g-4vcpu-16gb"},
		{Slug: "m-2vcpu-16gb", Name: "m-2vcpu-16gb"}, {Slug: "m-4vcpu-32gb", Name: "m-4vcpu-32gb"},
	}
	kubeVersions = []*godo.KubernetesVersion{
		{Slug: "1.34.2-do.0", KubernetesVersion: "1.34.2", SupportedFeatures: []string{"cluster-autoscaler", "docr-integration", "ha-control-plane", "token-authentication"}},
		{Slug: "1.33.6-do.0", KubernetesVersion: "1.33.6", SupportedFeatures: []string{"cluster-autoscaler", "docr-integration", "ha-control-plane", "token-authentication"}},
		{Slug: "1.32.10-do.0", KubernetesVersion: "1.32.10", SupportedFeatures: []string{"cluster-autoscaler", "docr-integration", "ha-control-plane", "token-authentication"}},
	}
	// Regions with Spaces (object storage).
	spacesRegions = []string{"nyc3", "sfo2", "sfo3", "ams3", "sgp1", "fra1", "syd1", "blr1", "lon1", "atl1", "tor1"}
	// Regions where VPCs can be made: every droplet region.
	vpcRegions = []string{"nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "ams2", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1"}
)

func hasRegion(slug string) bool {
	for _, r := range kubeRegions {
		if r.Slug == slug {
			return true
		}
	}
	return false
}

func hasSize(slug string) bool {
	for _, s := range kubeSizes {
		if s.Slug == slug {
			return true
		}
	}
	return false
}

func hasVersion(slug string) bool {
	for _, v := range kubeVersions {
		if v.Slug == slug {
			return true
		}
	}
	return false
}
