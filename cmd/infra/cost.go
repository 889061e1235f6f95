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

Chart defaults (replica counts, volume sizes left at the chart's default) come
from --charts, the offline chart files; without them only the values the
platform sets are counted.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if charts == "" {
				if root, err := repo.FromWD(); err == nil {
					charts = filepath.Join(filepath.Dir(root), "shared", "charts")
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
	cmd.Flags().StringVar(&charts, "charts", "", "directory of the charts' values files (default: ../shared/charts beside the repository)")
	return cmd
}
