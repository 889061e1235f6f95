package stacks

import (
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/cost"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// maxMonthly is the target bill of the whole seed platform at the node
// pool's minimum size, in USD (issue "Honest capacity").
const maxMonthly = 125.0

// TestCostOfDefaultProdPlan prices the default prod plans, every release
// rendered from its real chart and every secret given (nothing left
// unknown), and checks that the default node pool fits the platform and is
// the cheapest that does. Run with -v to read the report (the README and
// docs/capacity.md quote it).
func TestCostOfDefaultProdPlan(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	repoDir := testenv.Shared(t, "charts", "repo")
	cluster := initStack(t, e, "cluster").planJSON(t, "app_env=prod")
	platform := initStack(t, e, "platform").planJSON(t, append([]string{"app_env=prod"}, sopsVars...)...)
	rep, err := cost.Build(cluster, platform, repoDir, cost.DefaultPrices())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	checkCapacityDoc(t, rep)
	if !rep.Pool.OK {
		t.Errorf("the default node pool (%d × %s) does not fit the platform: %s", rep.MinNodes, rep.NodeSize, rep.Pool.Why)
	}
	cheapest, ok := rep.Cheapest()
	if !ok {
		t.Fatal("no node pool of the price table fits the platform")
	}
	if rep.Pool.NodesMonthly > cheapest.NodesMonthly {
		t.Errorf("the default node pool (%d × %s, $%.2f) is not the cheapest that fits: %d × %s costs $%.2f; set node_size and node_pool.min_nodes in stacks/cluster/variables.tf",
			rep.MinNodes, rep.NodeSize, rep.Pool.NodesMonthly, cheapest.Nodes, cheapest.Size, cheapest.NodesMonthly)
	}
	if min, _ := rep.Total(); min > maxMonthly {
		t.Errorf("the platform costs $%.2f a month at the pool's minimum size, over the $%.0f target", min, maxMonthly)
	}
}
