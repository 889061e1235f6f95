package stacks

import (
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/cost"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// minHeadroom is the share of the node pool's allocatable CPU and memory
// that must stay free at its minimum size (requests at most 75 % of it):
// room for rolling updates, backup jobs and growth before the autoscaler
// has to add a node.
const minHeadroom = 0.25

// maxMonthly is the target bill of the whole platform at the pool's
// minimum size, in USD.
const maxMonthly = 100.0

// TestCostOfDefaultProdPlan prices the default prod plans and checks the
// default node pool fits the platform's requests with headroom. Run with
// -v to read the report (the README quotes it).
func TestCostOfDefaultProdPlan(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	charts := testenv.Shared(t, "charts")
	plans := map[string][]byte{}
	for _, name := range []string{"cluster", "platform"} {
		s := initStack(t, e, name)
		plans[name] = s.planJSON(t, "app_env=prod")
	}
	rep, err := cost.Build(plans["cluster"], plans["platform"], charts, cost.DefaultPrices())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	min, _ := rep.Total()
	if min <= 0 {
		t.Fatalf("empty bill:\n%s", out.String())
	}
	if min > maxMonthly {
		t.Errorf("the platform costs $%.2f a month at the pool's minimum size, over the $%.0f target", min, maxMonthly)
	}
	if len(rep.Workloads) == 0 || rep.RequestCPU == 0 || rep.RequestMemory == 0 {
		t.Fatalf("no requests found in the platform plan:\n%s", out.String())
	}
	cpu, mem := rep.Headroom()
	if cpu < minHeadroom || mem < minHeadroom {
		t.Errorf("the default node pool (%d × %s) leaves %.0f %% CPU and %.0f %% memory free, want at least %.0f %%: raise node_size or node_pool.min_nodes",
			rep.MinNodes, rep.NodeSize, cpu*100, mem*100, minHeadroom*100)
	}
}
