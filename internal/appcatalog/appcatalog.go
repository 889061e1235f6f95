// Package appcatalog reads the app catalog, modules/environment/apps.yaml,
// the one place that names the platform's apps: for the CLI (infra hosts)
// the same FQDNs the stacks derive from it.
package appcatalog

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"

	"sigs.k8s.io/yaml"
)

// DevRootDomain is the default of root_domain_dev in stacks/platform
// (variables.tf); a test keeps the two equal.
const DevRootDomain = "fullfrontend.kube"

// Path is the catalog's place in the repository.
const Path = "modules/environment/apps.yaml"

// App is one entry.
type App struct {
	Subdomain string            `json:"subdomain"`
	Hosts     map[string]string `json:"hosts"`
	Database  *string           `json:"database"`
}

// Load reads the catalog of the repository at root.
func Load(root string) (map[string]App, error) {
	raw, err := os.ReadFile(filepath.Join(root, Path))
	if err != nil {
		return nil, fmt.Errorf("read the app catalog: %w", err)
	}
	var apps map[string]App
	if err := yaml.UnmarshalStrict(raw, &apps); err != nil {
		return nil, fmt.Errorf("%s: %w", Path, err)
	}
	if len(apps) == 0 {
		return nil, fmt.Errorf("%s names no app", Path)
	}
	return apps, nil
}

// FQDNs derives every FQDN from root the way modules/environment does:
// <subdomain>.<root> (the root itself for ""), and <app>_<host> for the
// further hosts of an app.
func FQDNs(apps map[string]App, root string) map[string]string {
	out := map[string]string{}
	name := func(sub string) string {
		if sub == "" {
			return root
		}
		return sub + "." + root
	}
	for app, a := range apps {
		out[app] = name(a.Subdomain)
		for h, sub := range a.Hosts {
			out[app+"_"+h] = name(sub)
		}
	}
	return out
}

// Sorted returns the distinct host names of fqdns, sorted.
func Sorted(fqdns map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range fqdns {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// HostsLines returns one /etc/hosts line ("<addr>\t<fqdn>") per FQDN of the
// catalog of the repository at root under rootDomain, and Grafana's, sorted:
// dev has no DNS, so the developer's machine resolves them through
// /etc/hosts to Traefik's address.
func HostsLines(root, rootDomain string, addr netip.Addr) ([]string, error) {
	apps, err := Load(root)
	if err != nil {
		return nil, err
	}
	fqdns := FQDNs(apps, rootDomain)
	// Grafana's name is the monitoring module's, outside the catalog.
	fqdns["grafana"] = "grafana." + rootDomain
	var out []string
	for _, h := range Sorted(fqdns) {
		out = append(out, addr.String()+"\t"+h)
	}
	return out, nil
}
