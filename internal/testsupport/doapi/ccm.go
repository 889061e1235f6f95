package doapi

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/digitalocean/godo"
)

// LoadBalancersOf stands in for DigitalOcean's cloud controller: one load
// balancer per Service of type LoadBalancer that has an address, named by
// its do-loadbalancer-name annotation (else "a" and the Service's uid, as
// the controller names it), with the proxy-protocol and size annotations
// applied and one TCP forwarding rule per port. services lists the
// cluster's Services as JSON objects (kubeharness.Cluster.List).
func LoadBalancersOf(services func(ctx context.Context) ([]map[string]any, error), region string) func(context.Context) ([]godo.LoadBalancer, error) {
	return func(ctx context.Context) ([]godo.LoadBalancer, error) {
		items, err := services(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the cluster's services: %w", err)
		}
		var out []godo.LoadBalancer
		for _, svc := range items {
			md, _ := svc["metadata"].(map[string]any)
			spec, _ := svc["spec"].(map[string]any)
			st, _ := svc["status"].(map[string]any)
			lb, _ := st["loadBalancer"].(map[string]any)
			ingress, _ := lb["ingress"].([]any)
			if spec["type"] != "LoadBalancer" || len(ingress) == 0 {
				continue
			}
			ip, _ := ingress[0].(map[string]any)["ip"].(string)
			ann, _ := md["annotations"].(map[string]any)
			a := func(k string) string { v, _ := ann["service.beta.kubernetes.io/do-loadbalancer-"+k].(string); return v }
			uid, _ := md["uid"].(string)
			name := a("name")
			if name == "" {
				name = "a" + strings.ReplaceAll(uid, "-", "")
			}
			size, _ := strconv.Atoi(a("size-unit"))
			l := godo.LoadBalancer{ID: uid, Name: name, IP: ip, Status: "active", Algorithm: "round_robin",
				Region: &godo.Region{Slug: region}, SizeUnit: uint32(max(size, 1)), EnableProxyProtocol: a("enable-proxy-protocol") == "true",
				HealthCheck: &godo.HealthCheck{Protocol: "tcp", Port: 0, CheckIntervalSeconds: 3, ResponseTimeoutSeconds: 5, HealthyThreshold: 5, UnhealthyThreshold: 3}}
			ports, _ := spec["ports"].([]any)
			for _, p := range ports {
				pm, _ := p.(map[string]any)
				port, _ := pm["port"].(float64)
				node, _ := pm["nodePort"].(float64)
				l.ForwardingRules = append(l.ForwardingRules, godo.ForwardingRule{EntryProtocol: "tcp", EntryPort: int(port), TargetProtocol: "tcp", TargetPort: int(node)})
			}
			out = append(out, l)
		}
		return out, nil
	}
}
