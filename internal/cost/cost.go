// Package cost turns the prod plans of both stacks into the monthly
// DigitalOcean bill, line by line, and sets the CPU and memory the platform
// requests against what the node pool can allocate. The seed's first goal is
// cost control: this is how an operator sees a change's price before apply.
package cost

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"fullfrontend.be/infra/internal/chartrender"
	"fullfrontend.be/infra/internal/planscan"
)

// Line is one line of the bill.
type Line struct {
	Item     string
	Quantity string
	Min, Max float64 // monthly USD at the pool's minimum and maximum size
}

// MaxSteadyShare is the share of a pool's allocatable CPU and memory the
// pods that run all the time may request: the rest is room for rolling
// updates, the nightly jobs and growth before the autoscaler adds a node
// (it reacts to pods that cannot be scheduled, not to pressure).
const MaxSteadyShare = 0.75

// MinNodes and MaxNodes bound the pools the ranking tries: stacks/cluster
// allows up to 10 nodes, and a pool of one node takes every service down
// when that node fails or is replaced.
const (
	MinNodes = 2
	MaxNodes = 10
)

// Report is the bill and the capacity check.
type Report struct {
	Prices             Prices
	Lines              []Line
	NodeSize           string
	MinNodes, MaxNodes int
	Workloads          []planscan.Workload
	// Fixed is what the platform's pods request once in the cluster,
	// PerNode what its DaemonSets request on every node; the DOKS system
	// pods (Prices.System) come on top.
	Fixed, PerNode Demand
	Peak           Peak
	// Largest is the pod that asks the most memory of a single node.
	Largest planscan.Workload
	// Pool is the fit of the pool at its minimum size; Ranking the
	// cheapest pool of each node size that fits, cheapest first.
	Pool    Fit
	Ranking []Fit
}

// Fit is one node pool against the platform's requests.
type Fit struct {
	Size  string
	Nodes int
	// NodesMonthly is the node pool's monthly price, Total the whole
	// bill with this pool.
	NodesMonthly, Total float64
	Alloc               Demand // allocatable of the whole pool
	Steady, Peak        Demand // requests all the time, and in the nightly peak hour
	OK                  bool
	Why                 string // why it does not fit
}

// Total is the monthly sum at the pool's minimum and maximum size.
func (r Report) Total() (min, max float64) {
	for _, l := range r.Lines {
		min += l.Min
		max += l.Max
	}
	return min, max
}

// Build reads the `tofu show -json` output of the prod plans of
// stacks/cluster and stacks/platform, renders the platform's releases from
// their real charts in repoDir (a chart repository: index.yaml and the
// packaged charts) and counts every pod they run.
func Build(clusterJSON, platformJSON []byte, repoDir string, prices Prices) (Report, error) {
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
	if err := platform.RenderAll(chartrender.NewRenderer(), repoDir, nil); err != nil {
		return rep, fmt.Errorf("render the platform's charts from %s: %w (the directory holds every chart of the plan as `helm pull` gives it, with an index.yaml from `helm repo index`: see `infra cost --help`)", repoDir, err)
	}
	if unknown := platform.Uncounted(); len(unknown) > 0 {
		return rep, fmt.Errorf("the platform plan leaves %d objects unknown, so their pods cannot be counted: %s; plan with every secret given (APP_ENV=prod ./scripts/tofu-secrets.sh plan)",
			len(unknown), strings.Join(unknown, "; "))
	}
	if lbs := planscan.LoadBalancers(platform); len(lbs) > 0 {
		n := float64(len(lbs))
		rep.add(Line{Item: "Load balancers", Quantity: fmt.Sprintf("%d (%s)", len(lbs), strings.Join(lbs, ", ")), Min: n * prices.LoadBalancer, Max: n * prices.LoadBalancer})
	}
	vols, err := planscan.Volumes(platform)
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

	if rep.Workloads, err = planscan.Workloads(platform); err != nil {
		return rep, err
	}
	for _, w := range rep.Workloads {
		d := Demand{w.CPU, w.Memory}
		switch {
		case !w.Steady():
			continue
		case w.PerNode:
			rep.PerNode = rep.PerNode.plus(d)
		default:
			rep.Fixed = rep.Fixed.plus(d.times(w.Replicas))
			if w.Memory > rep.Largest.Memory {
				rep.Largest = w
			}
		}
	}
	if rep.Peak, err = nightlyPeak(scheduledJobs(rep.Workloads)); err != nil {
		return rep, err
	}
	rep.Pool = rep.fit(rep.NodeSize, rep.MinNodes)
	rep.Ranking = rep.rank()
	return rep, nil
}

// fit checks n nodes of a size: the steady requests within MaxSteadyShare
// of the allocatable, the nightly peak within all of it, and the largest
// pod within what one node has left after the DaemonSets.
func (r Report) fit(size string, n int) Fit {
	s := r.Prices.Nodes[size]
	perNode := r.PerNode.plus(r.Prices.System.PerNode)
	f := Fit{Size: size, Nodes: n, NodesMonthly: float64(n) * s.Monthly,
		Alloc:  Demand{s.AllocCPU, s.AllocMemory}.times(n),
		Steady: r.Fixed.plus(r.Prices.System.Fixed).plus(perNode.times(n))}
	f.Peak = f.Steady.plus(r.Peak.Demand)
	f.Total = f.NodesMonthly
	for _, l := range r.Lines {
		if !strings.HasPrefix(l.Item, "Nodes ") {
			f.Total += l.Min
		}
	}
	limit := func(share float64, v int64) int64 { return int64(share * float64(v)) }
	switch {
	case r.Largest.Memory+perNode.Memory > s.AllocMemory || r.Largest.CPU+perNode.CPU > s.AllocCPU:
		f.Why = fmt.Sprintf("%s (%d Mi, %d m) does not fit on one node beside the DaemonSets", r.Largest.Object, r.Largest.Memory>>20, r.Largest.CPU)
	case f.Steady.Memory > limit(MaxSteadyShare, f.Alloc.Memory):
		f.Why = fmt.Sprintf("steady memory %.0f %% of allocatable, over %.0f %%", pct(f.Steady.Memory, f.Alloc.Memory), MaxSteadyShare*100)
	case f.Steady.CPU > limit(MaxSteadyShare, f.Alloc.CPU):
		f.Why = fmt.Sprintf("steady CPU %.0f %% of allocatable, over %.0f %%", pct(f.Steady.CPU, f.Alloc.CPU), MaxSteadyShare*100)
	case f.Peak.Memory > f.Alloc.Memory || f.Peak.CPU > f.Alloc.CPU:
		f.Why = fmt.Sprintf("nightly peak over allocatable (memory %.0f %%, CPU %.0f %%)", pct(f.Peak.Memory, f.Alloc.Memory), pct(f.Peak.CPU, f.Alloc.CPU))
	default:
		f.OK = true
	}
	return f
}

// rank returns, for each node size of the price table, the smallest pool
// that fits (or the largest tried, not fitting), cheapest first.
func (r Report) rank() []Fit {
	var out []Fit
	for _, size := range slices.Sorted(maps.Keys(r.Prices.Nodes)) {
		var f Fit
		for n := MinNodes; n <= MaxNodes; n++ {
			if f = r.fit(size, n); f.OK {
				break
			}
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].OK != out[j].OK {
			return out[i].OK
		}
		return out[i].NodesMonthly < out[j].NodesMonthly
	})
	return out
}

// Cheapest is the cheapest pool that fits.
func (r Report) Cheapest() (Fit, bool) {
	if len(r.Ranking) == 0 || !r.Ranking[0].OK {
		return Fit{}, false
	}
	return r.Ranking[0], true
}

func pct(a, b int64) float64 { return 100 * float64(a) / float64(b) }

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
	fmt.Fprintf(w, "%-24s %-50s %9s %9s\n", "item", "quantity", "min", "max")
	for _, l := range r.Lines {
		fmt.Fprintf(w, "%-24s %-50s %9.2f %9.2f\n", l.Item, l.Quantity, l.Min, l.Max)
	}
	min, max := r.Total()
	fmt.Fprintf(w, "%-24s %-50s %9.2f %9.2f\n\n", "total", "", min, max)

	p := r.Pool
	fmt.Fprintf(w, "Requests against %d × %s (allocatable %d m, %d Mi):\n", p.Nodes, p.Size, p.Alloc.CPU, p.Alloc.Memory>>20)
	fmt.Fprintf(w, "  all the time   cpu %6d m (%3.0f %%)  memory %6d Mi (%3.0f %%)  limit %.0f %%\n", p.Steady.CPU, pct(p.Steady.CPU, p.Alloc.CPU), p.Steady.Memory>>20, pct(p.Steady.Memory, p.Alloc.Memory), MaxSteadyShare*100)
	fmt.Fprintf(w, "  nightly peak   cpu %6d m (%3.0f %%)  memory %6d Mi (%3.0f %%)  limit 100 %%\n", p.Peak.CPU, pct(p.Peak.CPU, p.Alloc.CPU), p.Peak.Memory>>20, pct(p.Peak.Memory, p.Alloc.Memory))
	fmt.Fprintf(w, "    peak hour %s: +%d m, +%d Mi: %s\n", r.Peak.Hour, r.Peak.CPU, r.Peak.Memory>>20, joinMax(r.Peak.Jobs, 6))
	sys := r.Prices.System
	fmt.Fprintf(w, "  of which DOKS system pods: %d m / %d Mi per node, %d m / %d Mi once (%s)\n", sys.PerNode.CPU, sys.PerNode.Memory>>20, sys.Fixed.CPU, sys.Fixed.Memory>>20, sys.Source)
	fmt.Fprintf(w, "  largest pod: %s, %d m / %d Mi\n", r.Largest.Object, r.Largest.CPU, r.Largest.Memory>>20)
	if p.OK {
		fmt.Fprintf(w, "  the pool fits\n\n")
	} else {
		fmt.Fprintf(w, "  THE POOL DOES NOT FIT: %s\n\n", p.Why)
	}

	fmt.Fprintf(w, "Smallest pool of each node size that fits (all the time <= %.0f %%, nightly peak <= 100 %%, largest pod on one node), cheapest first:\n", MaxSteadyShare*100)
	fmt.Fprintf(w, "  %-18s %5s %9s %9s %8s %8s %8s\n", "size", "nodes", "nodes $", "total $", "cpu", "memory", "peak")
	for _, f := range r.Ranking {
		mark := ""
		if f.Size == r.NodeSize {
			mark = "  <- this pool's size"
		}
		if !f.OK {
			fmt.Fprintf(w, "  %-18s %5s %9s %9s  does not fit with %d nodes: %s%s\n", f.Size, "-", "-", "-", f.Nodes, f.Why, mark)
			continue
		}
		fmt.Fprintf(w, "  %-18s %5d %9.2f %9.2f %7.0f%% %7.0f%% %7.0f%%%s\n", f.Size, f.Nodes, f.NodesMonthly, f.Total,
			pct(f.Steady.CPU, f.Alloc.CPU), pct(f.Steady.Memory, f.Alloc.Memory), pct(f.Peak.Memory, f.Alloc.Memory), mark)
	}
	alt := r.fit(StarterSize, StarterNodes)
	fmt.Fprintf(w, "\nThe same platform on DigitalOcean's starter shape, %d × %s: $%.2f a month (memory %.0f %% all the time).\n\n",
		alt.Nodes, alt.Size, alt.Total, pct(alt.Steady.Memory, alt.Alloc.Memory))

	fmt.Fprintf(w, "Pods (requests per pod; memory limit 0: unbounded):\n")
	fmt.Fprintf(w, "  %-58s %-9s %6s %8s %8s  %s\n", "object", "replicas", "cpu m", "mem Mi", "limit Mi", "containers")
	for _, wl := range r.Workloads {
		n := fmt.Sprint(wl.Replicas)
		switch {
		case wl.PerNode:
			n = "per node"
		case wl.Once:
			n = "once"
		case !wl.Steady():
			n = wl.Schedule
		}
		var names []string
		for _, c := range wl.Containers {
			names = append(names, c.Name)
		}
		fmt.Fprintf(w, "  %-58s %-9s %6d %8d %8d  %s\n", wl.Object, n, wl.CPU, wl.Memory>>20, wl.LimitMemory>>20, strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "\nPrices: %s, as of %s.\n", r.Prices.Source, r.Prices.Date)
}
