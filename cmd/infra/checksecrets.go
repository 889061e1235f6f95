package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/secretscan"
)

func checkSecretsCmd() *cobra.Command {
	var staged bool
	cmd := &cobra.Command{
		Use:   "check-secrets",
		Short: "Refuse clear secrets among tracked (or, with --staged, staged) files",
		Example: `  infra check-secrets
  infra check-secrets --staged    # what the pre-commit hook runs`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			root, err := repo.FromWD()
			if err != nil {
				return err
			}
			scan := secretscan.Tracked
			if staged {
				scan = secretscan.Staged
			}
			findings, err := scan(root)
			if err != nil {
				return err
			}
			for _, f := range findings {
				fmt.Fprintln(c.ErrOrStderr(), "  "+f.String())
			}
			if len(findings) > 0 {
				return fmt.Errorf("%d file(s) would put clear secrets in git; unstage them (git restore --staged FILE)", len(findings))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&staged, "staged", false, "check the files staged for commit (pre-commit hook)")
	return cmd
}
