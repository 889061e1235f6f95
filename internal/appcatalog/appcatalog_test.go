package appcatalog

import (
	"testing"

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
