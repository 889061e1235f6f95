package devenv

import (
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/kubeharness"
)

// TestLoadBalancerCheck against a real API server: without anything that
// gives LoadBalancer addresses (kind as it comes) the check refuses and
// names the fixes; with one it passes. The probe Service never stays.
func TestLoadBalancerCheck(t *testing.T) {
	tests := []struct {
		name    string
		opts    []kubeharness.Option
		wantErr []string
	}{
		{"no LoadBalancer controller", nil, []string{"no Kubernetes LoadBalancer for dev", "got no address in 3s", "cloud-provider-kind", "MetalLB", "apply again"}},
		{"LoadBalancer addresses given", []kubeharness.Option{kubeharness.WithLoadBalancers()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := kubeharness.Start(t, tt.opts...)
			found, err := LoadBalancerCheck{Path: c.Kubeconfig(), Timeout: 3 * time.Second}.Check(t.Context())
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("check refused: %v", err)
			case tt.wantErr == nil && !strings.Contains(found, "127.0.0.1"):
				t.Errorf("check passed saying %q, want the probe's address", found)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("check passed (%s) without a LoadBalancer controller", found)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			svcs, err := c.List(t.Context(), "/api/v1/namespaces/default/services")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range svcs {
				if name := s["metadata"].(map[string]any)["name"].(string); strings.HasPrefix(name, "infra-preflight-lb-") {
					t.Errorf("probe Service %s left behind", name)
				}
			}
		})
	}
}
