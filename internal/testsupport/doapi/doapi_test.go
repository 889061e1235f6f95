package doapi

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"k8s.io/client-go/tools/clientcmd"
)

func client(t *testing.T, s *Server, token string) *godo.Client {
	t.Helper()
	c := godo.NewFromToken(token)
	u, err := url.Parse(s.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// status is the HTTP status of a godo error (0 for success).
func status(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var e *godo.ErrorResponse
	if !errors.As(err, &e) {
		t.Fatalf("not an API error: %v", err)
	}
	return e.Response.StatusCode
}

func TestStandInRefusesWhatTheAPIRefuses(t *testing.T) {
	s := Start(t, Options{Token: "tok"})
	c := client(t, s, "tok")
	ctx := context.Background()
	vpc, _, err := c.VPCs.Create(ctx, &godo.VPCCreateRequest{Name: "ff-vpc", RegionSlug: "fra1", IPRange: "10.110.0.0/20"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Domains.Create(ctx, &godo.DomainCreateRequest{Name: "example.be"}); err != nil {
		t.Fatal(err)
	}
	pool := func(size string) []*godo.KubernetesNodePoolCreateRequest {
		return []*godo.KubernetesNodePoolCreateRequest{{Name: "default", Size: size, AutoScale: true, MinNodes: 3, MaxNodes: 4}}
	}
	cluster := func(region, version, size, vpcID string) error {
		_, _, err := c.Kubernetes.Create(ctx, &godo.KubernetesClusterCreateRequest{Name: "ff-" + region + version + size, RegionSlug: region,
			VersionSlug: version, VPCUUID: vpcID, NodePools: pool(size)})
		return err
	}
	record := func(r godo.DomainRecordEditRequest) error {
		_, _, err := c.Domains.CreateRecord(ctx, "example.be", &r)
		return err
	}
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"cluster as the stack makes it", cluster("fra1", "1.34.2-do.0", "s-2vcpu-4gb", vpc.ID), 201},
		{"unknown region", cluster("fra9", "1.34.2-do.0", "s-2vcpu-4gb", ""), 422},
		{"version not offered", cluster("fra1", "1.29.1-do.0", "s-2vcpu-4gb", ""), 422},
		{"unknown size", cluster("fra1", "1.34.2-do.0", "s-2vcpu-5gb", ""), 422},
		{"vpc of another region", cluster("ams3", "1.34.2-do.0", "s-2vcpu-4gb", vpc.ID), 422},
		{"vpc too large", func() error {
			_, _, err := c.VPCs.Create(ctx, &godo.VPCCreateRequest{Name: "big", RegionSlug: "fra1", IPRange: "10.0.0.0/8"})
			return err
		}(), 422},
		{"vpc overlapping another", func() error {
			_, _, err := c.VPCs.Create(ctx, &godo.VPCCreateRequest{Name: "other", RegionSlug: "fra1", IPRange: "10.110.8.0/24"})
			return err
		}(), 422},
		{"SRV as the stack makes it", record(godo.DomainRecordEditRequest{Type: "SRV", Name: "_imaps._tcp", Data: "mail.example.be.", Priority: 0, Weight: 1, Port: 993, TTL: 300}), 201},
		{"SRV without port", record(godo.DomainRecordEditRequest{Type: "SRV", Name: "_imaps._tcp", Data: "mail.example.be.", TTL: 300}), 422},
		{"SRV name not _service._proto", record(godo.DomainRecordEditRequest{Type: "SRV", Name: "imaps", Data: "mail.example.be.", Port: 993, TTL: 300}), 422},
		{"CAA as the stack makes it", record(godo.DomainRecordEditRequest{Type: "CAA", Name: "@", Data: "letsencrypt.org.", Tag: "issue", TTL: 300}), 201},
		{"CAA iodef, bare", record(godo.DomainRecordEditRequest{Type: "CAA", Name: "@", Data: "mailto:ops@example.be", Tag: "iodef", TTL: 300}), 201},
		{"CAA issuer without its dot", record(godo.DomainRecordEditRequest{Type: "CAA", Name: "@", Data: "letsencrypt.org", Tag: "issue", TTL: 300}), 422},
		{"SRV target without its dot", record(godo.DomainRecordEditRequest{Type: "SRV", Name: "_imaps._tcp", Data: "mail.example.be", Weight: 1, Port: 993, TTL: 300}), 422},
		{"CAA unknown tag", record(godo.DomainRecordEditRequest{Type: "CAA", Name: "@", Data: "letsencrypt.org.", Tag: "issues", TTL: 300}), 422},
		{"A with an IPv6", record(godo.DomainRecordEditRequest{Type: "A", Name: "www", Data: "::1", TTL: 300}), 422},
		{"TTL below 30", record(godo.DomainRecordEditRequest{Type: "A", Name: "www", Data: "192.0.2.1", TTL: 10}), 422},
		{"CNAME at the apex", record(godo.DomainRecordEditRequest{Type: "CNAME", Name: "@", Data: "other.example.", TTL: 300}), 422},
		{"SOA cannot be created", record(godo.DomainRecordEditRequest{Type: "SOA", Name: "@", Data: "x", TTL: 300}), 422},
		{"project environment", func() error {
			_, _, err := c.Projects.Create(ctx, &godo.CreateProjectRequest{Name: "p", Purpose: "Web Application", Environment: "Prod"})
			return err
		}(), 422},
		{"unknown resource in a project", func() error {
			_, _, err := c.Projects.AssignResources(ctx, "default", "do:kubernetes:00000000-0000-4000-8000-000000000000")
			return err
		}(), 422},
		{"vpc with a cluster in it", func() error { _, err := c.VPCs.Delete(ctx, vpc.ID); return err }(), 403},
		{"wrong token", func() error { _, _, err := client(t, s, "other").Kubernetes.GetOptions(ctx); return err }(), 401},
	}
	for _, tc := range cases {
		got := status(t, tc.err)
		if tc.want == 201 {
			tc.want = 0
		}
		if got != tc.want {
			t.Errorf("%s: status %d, want %d (%v)", tc.name, got, tc.want, tc.err)
		}
	}
}

func TestDoctlSavesAKubeconfigThatAsksForTokens(t *testing.T) {
	s := Start(t, Options{Token: "tok", Kube: Credentials{Server: "https://127.0.0.1:6443", CA: []byte("ca"), Token: "kube-token"}})
	c := client(t, s, "tok")
	cl, _, err := c.Kubernetes.Create(context.Background(), &godo.KubernetesClusterCreateRequest{Name: "ff", RegionSlug: "fra1", VersionSlug: "1.34.2-do.0",
		NodePools: []*godo.KubernetesNodePoolCreateRequest{{Name: "default", Size: "s-2vcpu-4gb", Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	run := func(args ...string) (int, string) {
		var out, errs bytes.Buffer
		code := Doctl(args, func(k string) string { return env[k] }, &out, &errs)
		return code, out.String() + errs.String()
	}
	if code, out := run("kubernetes", "cluster", "kubeconfig", "save", cl.ID); code == 0 || !strings.Contains(out, "doctl auth init") {
		t.Errorf("without a token: exit %d, want the hint to log in:\n%s", code, out)
	}
	if err := os.MkdirAll(filepath.Join(home, ".config", "doctl"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".config", "doctl", "config.yaml"), []byte("access-token: tok\napi-url: "+s.URL()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := run("kubernetes", "cluster", "kubeconfig", "save", cl.ID); code != 0 {
		t.Fatalf("save: exit %d\n%s", code, out)
	}
	kc, err := clientcmd.LoadFromFile(filepath.Join(home, ".kube", "config"))
	if err != nil {
		t.Fatal(err)
	}
	ctxName := "do-fra1-ff"
	if kc.CurrentContext != ctxName || kc.Clusters[ctxName] == nil || kc.Clusters[ctxName].Server != "https://127.0.0.1:6443" {
		t.Fatalf("kubeconfig: current context %q, clusters %v", kc.CurrentContext, kc.Clusters)
	}
	user := kc.AuthInfos[kc.Contexts[ctxName].AuthInfo]
	if user == nil || user.Exec == nil || user.Exec.Command != "doctl" || user.Token != "" {
		t.Fatalf("the user must get its token from doctl, not hold one: %+v", user)
	}
	code, out := run(append([]string{}, user.Exec.Args...)...)
	if code != 0 || !strings.Contains(out, `"token":"kube-token"`) {
		t.Errorf("exec-credential: exit %d\n%s", code, out)
	}
}
