package appcatalog

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"fullfrontend.be/infra/internal/repo"
)

func TestFQDNsOfTheCatalog(t *testing.T) {
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	apps, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	got := FQDNs(apps, "fullfrontend.kube")
	// The seed's table ("Organisation des modules").
	for k, want := range map[string]string{
		"wordpress": "fullfrontend.kube", "n8n": "n8n.fullfrontend.kube", "n8n_webhook": "webhook.fullfrontend.kube",
		"nextcloud": "cloud.fullfrontend.kube", "mailu": "mail.fullfrontend.kube", "mailu_autoconfig": "autoconfig.fullfrontend.kube", "analytics": "insights.fullfrontend.kube",
		"registry": "registry.fullfrontend.kube", "crm": "crm.fullfrontend.kube",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if hosts := Sorted(got); len(hosts) != len(got) || hosts[0] != "autoconfig.fullfrontend.kube" {
		t.Errorf("sorted hosts %v", hosts)
	}
}

// TestDevRootDomainIsTheStackDefault keeps DevRootDomain (infra hosts, the
// dev run's /etc/hosts lines) equal to root_domain_dev's default.
func TestDevRootDomainIsTheStackDefault(t *testing.T) {
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "stacks", "platform", "variables.tf")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got string
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "variable" || len(b.Labels) != 1 || b.Labels[0] != "root_domain_dev" {
			continue
		}
		attr, ok := b.Body.Attributes["default"]
		if !ok {
			t.Fatal("root_domain_dev has no default")
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() || v.Type() != cty.String {
			t.Fatalf("root_domain_dev default is not a literal string: %v", diags)
		}
		got = v.AsString()
	}
	if got != DevRootDomain {
		t.Errorf("root_domain_dev defaults to %q in %s, DevRootDomain is %q", got, path, DevRootDomain)
	}
}

func TestHostsLines(t *testing.T) {
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		domain, ip string
		want       []string
	}{
		{"fullfrontend.kube", "127.0.0.1", []string{"127.0.0.1\tfullfrontend.kube", "127.0.0.1\tgrafana.fullfrontend.kube", "127.0.0.1\twebhook.fullfrontend.kube"}},
		{"agency.localhost", "192.168.49.2", []string{"192.168.49.2\tcloud.agency.localhost", "192.168.49.2\tgrafana.agency.localhost"}},
	}
	for _, tt := range tests {
		lines, err := HostsLines(root, tt.domain, netip.MustParseAddr(tt.ip))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !slices.Contains(lines, w) {
				t.Errorf("%s: lines lack %q: %q", tt.domain, w, lines)
			}
		}
		if !slices.IsSorted(lines) {
			t.Errorf("%s: lines not sorted: %q", tt.domain, lines)
		}
	}
}
