// Package cost turns the prod plans of both stacks into the monthly
// DigitalOcean bill, line by line, and sets the CPU and memory the platform
// requests against what the node pool can allocate. The seed's first goal is
// cost control: this is how an operator sees a change's price before apply.
package cost

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"fullfrontend.be/infra/internal/planscan"
)

// NodeSize is one Droplet size of a DOKS node pool.
type NodeSize struct {
	Monthly float64 // USD per node per month
	VCPU    int
	Memory  int64 // bytes of RAM
	// Allocatable is what pods can request on such a node, after the
	// kubelet, the system daemons and DOKS's own pods.
	AllocCPU    int64 // millicores
	AllocMemory int64 // bytes
}

// Prices is the price table the report uses.
type Prices struct {
	Source string
	Date   string
	Nodes  map[string]NodeSize
	// LoadBalancer is one small regional load balancer (one node).
	LoadBalancer float64
	// HAControlPlane is the surcharge of a highly available control plane.
	HAControlPlane float64
	// BlockStoragePerGiB is the monthly price of one GiB of volume.
	BlockStoragePerGiB float64
	// Spaces is the subscription that covers every bucket (250 GiB stored,
	// 1 TiB transfer included).
	Spaces float64
}

const gib = int64(1) << 30

// DefaultPrices are DigitalOcean's public list prices (USD, before tax).
// Allocatable memory follows DigitalOcean's table for DOKS nodes; CPU
// allocatable is taken as the vCPUs less 10 % for the system, an estimate.
func DefaultPrices() Prices {
	node := func(monthly float64, vcpu int, memGiB, allocGiB float64) NodeSize {
		return NodeSize{
			Monthly: monthly, VCPU: vcpu, Memory: int64(memGiB * float64(gib)),
			AllocCPU: int64(vcpu) * 900, AllocMemory: int64(allocGiB * float64(gib)),
		}
	}
	return Prices{
		Source: "digitalocean.com/pricing (Droplets, Kubernetes, Load Balancers, Volumes, Spaces) and the DOKS allocatable memory table; check them before a budget decision",
		Date:   "2025-10 (not re-checked since: no network here)",
		Nodes: map[string]NodeSize{
			"s-1vcpu-2gb":  node(12, 1, 2, 1),
			"s-2vcpu-2gb":  node(18, 2, 2, 1),
			"s-2vcpu-4gb":  node(24, 2, 4, 2.5),
			"s-4vcpu-8gb":  node(48, 4, 8, 6),
			"s-8vcpu-16gb": node(96, 8, 16, 13),
		},
		LoadBalancer:       12,
		HAControlPlane:     40,
		BlockStoragePerGiB: 0.10,
		Spaces:             5,
	}
}

// Line is one line of the bill.
type Line struct {
	Item     string
	Quantity string
	Min, Max float64 // monthly USD at the pool's minimum and maximum size
}

// Report is the bill and the capacity check.
type Report struct {
	Prices             Prices
	Lines              []Line
	NodeSize           string
	MinNodes, MaxNodes int
	// Requests at the minimum node count (DaemonSets run on every node).
	RequestCPU, RequestMemory int64
	AllocCPU, AllocMemory     int64
	Workloads                 []planscan.Workload
}

// Total is the monthly sum at the pool's minimum and maximum size.
func (r Report) Total() (min, max float64) {
	for _, l := range r.Lines {
		min += l.Min
		max += l.Max
	}
	return min, max
}

// Headroom is the share of allocatable CPU and memory left free at the
// pool's minimum size (negative: the requests do not fit).
func (r Report) Headroom() (cpu, memory float64) {
	return 1 - float64(r.RequestCPU)/float64(r.AllocCPU), 1 - float64(r.RequestMemory)/float64(r.AllocMemory)
}

// Build reads the `tofu show -json` output of the prod plans of
// stacks/cluster and stacks/platform.
func Build(clusterJSON, platformJSON []byte, chartsDir string, prices Prices) (Report, error) {
	rep := Report{Prices: prices}
	var cluster tfjson.Plan
	if err := json.Unmarshal(clusterJSON, &cluster); err != nil {
		return rep, fmt.Errorf("read cluster plan: %w (give `tofu show -json` of stacks/cluster's plan)", err)
	}
	if cluster.PlannedValues == nil || cluster.PlannedValues.RootModule == nil {
		return rep, fmt.Errorf("cluster plan has no planned values: give `tofu show -json <planfile>` of stacks/cluster")
	}
	var clusters, buckets []*tfjson.StateResource
	walk(cluster.PlannedValues.RootModule, func(r *tfjson.StateResource) {
		switch r.Type {
		case "digitalocean_kubernetes_cluster":
			clusters = append(clusters, r)
		case "digitalocean_spaces_bucket":
			buckets = append(buckets, r)
		}
	})
	if len(clusters) != 1 {
		return rep, fmt.Errorf("cluster plan has %d digitalocean_kubernetes_cluster, want 1: is it the prod plan of stacks/cluster?", len(clusters))
	}
	if err := rep.nodePool(clusters[0], prices); err != nil {
		return rep, err
	}

	platform, err := planscan.Load(platformJSON)
	if err != nil {
		return rep, fmt.Errorf("read platform plan: %w", err)
	}
	lbs, err := planscan.LoadBalancers(chartsDir, platform)
	if err != nil {
		return rep, err
	}
	if n := len(lbs); n > 0 {
		rep.add(Line{Item: "Load balancers", Quantity: fmt.Sprintf("%d (%s)", n, strings.Join(lbs, ", ")), Min: float64(n) * prices.LoadBalancer, Max: float64(n) * prices.LoadBalancer})
	}
	vols, err := planscan.Volumes(chartsDir, platform)
	if err != nil {
		return rep, err
	}
	var bytes int64
	for _, v := range vols {
		bytes += v.Bytes
	}
	if bytes > 0 {
		g := math.Ceil(float64(bytes) / float64(gib))
		rep.add(Line{Item: "Block storage volumes", Quantity: fmt.Sprintf("%.0f GiB in %d claims", g, len(vols)), Min: g * prices.BlockStoragePerGiB, Max: g * prices.BlockStoragePerGiB})
	}
	if len(buckets) > 0 {
		rep.add(Line{Item: "Spaces subscription", Quantity: fmt.Sprintf("%d buckets, 250 GiB included", len(buckets)), Min: prices.Spaces, Max: prices.Spaces})
	}

	if rep.Workloads, err = planscan.Workloads(chartsDir, platform); err != nil {
		return rep, err
	}
	for _, w := range rep.Workloads {
		n := int64(w.Replicas)
		if w.PerNode {
			n = int64(rep.MinNodes)
		}
		rep.RequestCPU += w.CPU * n
		rep.RequestMemory += w.Memory * n
	}
	return rep, nil
}

func (r *Report) add(l Line) { r.Lines = append(r.Lines, l) }

func (r *Report) nodePool(c *tfjson.StateResource, prices Prices) error {
	pools, _ := c.AttributeValues["node_pool"].([]any)
	if len(pools) != 1 {
		return fmt.Errorf("%s: want one node_pool block", c.Address)
	}
	pool, _ := pools[0].(map[string]any)
	r.NodeSize, _ = pool["size"].(string)
	size, ok := prices.Nodes[r.NodeSize]
	if !ok {
		known := make([]string, 0, len(prices.Nodes))
		for k := range prices.Nodes {
			known = append(known, k)
		}
		sort.Strings(known)
		return fmt.Errorf("no price for node size %q: add it to the price table in internal/cost (known: %s)", r.NodeSize, strings.Join(known, ", "))
	}
	r.MinNodes, r.MaxNodes = count(pool["min_nodes"]), count(pool["max_nodes"])
	if auto, _ := pool["auto_scale"].(bool); !auto {
		r.MinNodes = count(pool["node_count"])
		r.MaxNodes = r.MinNodes
	}
	if r.MinNodes < 1 || r.MaxNodes < r.MinNodes {
		return fmt.Errorf("%s: node pool bounds %d..%d are not usable", c.Address, r.MinNodes, r.MaxNodes)
	}
	r.AllocCPU = size.AllocCPU * int64(r.MinNodes)
	r.AllocMemory = size.AllocMemory * int64(r.MinNodes)
	r.add(Line{
		Item:     "Nodes " + r.NodeSize,
		Quantity: fmt.Sprintf("%d to %d × $%.2f", r.MinNodes, r.MaxNodes, size.Monthly),
		Min:      float64(r.MinNodes) * size.Monthly,
		Max:      float64(r.MaxNodes) * size.Monthly,
	})
	if ha, _ := c.AttributeValues["ha"].(bool); ha {
		r.add(Line{Item: "HA control plane", Quantity: "1", Min: prices.HAControlPlane, Max: prices.HAControlPlane})
	}
	return nil
}

func count(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func walk(m *tfjson.StateModule, fn func(*tfjson.StateResource)) {
	if m == nil {
		return
	}
	for _, r := range m.Resources {
		if r.Mode == tfjson.ManagedResourceMode {
			fn(r)
		}
	}
	for _, c := range m.ChildModules {
		walk(c, fn)
	}
}

// Print writes the report for an operator.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "Monthly DigitalOcean bill (USD, before tax) at the node pool's minimum and maximum\n\n")
	fmt.Fprintf(w, "%-24s %-44s %10s %10s\n", "item", "quantity", "min", "max")
	for _, l := range r.Lines {
		fmt.Fprintf(w, "%-24s %-44s %10.2f %10.2f\n", l.Item, l.Quantity, l.Min, l.Max)
	}
	min, max := r.Total()
	fmt.Fprintf(w, "%-24s %-44s %10.2f %10.2f\n\n", "total", "", min, max)
	cpu, mem := r.Headroom()
	fmt.Fprintf(w, "Requests of the platform against %d × %s (allocatable):\n", r.MinNodes, r.NodeSize)
	fmt.Fprintf(w, "  cpu     %6d m of %6d m  (%.0f %% free)\n", r.RequestCPU, r.AllocCPU, cpu*100)
	fmt.Fprintf(w, "  memory  %6d Mi of %6d Mi  (%.0f %% free)\n", r.RequestMemory>>20, r.AllocMemory>>20, mem*100)
	fmt.Fprintf(w, "  (%d steady workloads; DaemonSets counted once per node; jobs left out)\n\n", len(r.Workloads))
	fmt.Fprintf(w, "Prices: %s, as of %s.\n", r.Prices.Source, r.Prices.Date)
}
