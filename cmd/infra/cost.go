package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/cost"
	"fullfrontend.be/infra/internal/repo"
)

func costCmd() *cobra.Command {
	var charts string
	cmd := &cobra.Command{
		Use:     "cost CLUSTER_PLAN_JSON PLATFORM_PLAN_JSON",
		Short:   "Print the monthly DigitalOcean bill of the prod plans and the requests against node capacity",
		Example: `  infra cost cluster-plan.json platform-plan.json`,
		Long: `Reads the output of ` + "`tofu show -json <planfile>`" + ` for the prod plans of
stacks/cluster and stacks/platform, for example:

  APP_ENV=prod ./scripts/tofu-secrets.sh plan -out=prod.plan
  (cd stacks/cluster && tofu show -json prod.plan) > cluster.json
  (cd stacks/platform && tofu show -json prod.plan) > platform.json
  infra cost cluster.json platform.json

Every release is rendered from its real chart, found in --charts (a chart
repository directory: index.yaml and the packaged charts), and every pod it
runs is counted: containers, sidecars, replicas, DaemonSets per node, and the
CronJobs of the busiest hour of the week. The plan must have every secret
given, or the objects that depend on them are unknown and cannot be counted.
The report ends with the cheapest node pool of each Droplet size that fits.

Outside this repository's test data, build the chart directory once per
chart version change, from modules/chart-sources (one helm pull per chart):

  helm pull traefik --repo https://traefik.github.io/charts --version 41.3.0 -d charts
  helm pull oci://ghcr.io/n8n-io/n8n-helm-chart/n8n --version 1.11.0 -d charts
  helm repo index charts
  infra cost --charts charts cluster.json platform.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if charts == "" {
				if root, err := repo.FromWD(); err == nil {
					charts = filepath.Join(filepath.Dir(root), "shared", "charts", "repo")
				}
			}
			clusterJSON, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read cluster plan: %w", err)
			}
			platformJSON, err := os.ReadFile(args[1])
			if err != nil {
				return fmt.Errorf("read platform plan: %w", err)
			}
			rep, err := cost.Build(clusterJSON, platformJSON, charts, cost.DefaultPrices())
			if err != nil {
				return err
			}
			rep.Print(c.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVar(&charts, "charts", "", "chart repository directory with index.yaml and the packaged charts (default: ../shared/charts/repo beside the repository)")
	return cmd
}
