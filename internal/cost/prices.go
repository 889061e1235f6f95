package cost

// NodeSize is one Droplet size of a DOKS node pool.
type NodeSize struct {
	Monthly float64 // USD per node per month
	VCPU    int
	Memory  int64 // bytes of RAM
	// AllocCPU and AllocMemory are what pods can request on such a node,
	// after the kubelet's and the system's reservations.
	AllocCPU    int64 // millicores
	AllocMemory int64 // bytes
}

// System is what DigitalOcean's own pods in kube-system request: on every
// node (DaemonSets) and once in the cluster.
type System struct {
	PerNode, Fixed Demand
	Source         string
}

// Prices is the price table the report uses.
type Prices struct {
	Source string
	Date   string
	Nodes  map[string]NodeSize
	System System
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

const (
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// StarterSize and StarterNodes are the typical alternative the report
// prices the platform on: three 4 vCPU / 8 GB nodes.
const (
	StarterSize  = "s-4vcpu-8gb"
	StarterNodes = 3
)

// DefaultPrices are DigitalOcean's public list prices (USD, before tax) and
// its published allocatable figures for DOKS nodes.
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
