package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/statebucket"
)

func stateBootstrapCmd() *cobra.Command {
	var cfg statebucket.Config
	cmd := &cobra.Command{
		Use:   "state-bootstrap",
		Short: "Create the Spaces bucket of the OpenTofu state (once, idempotent) and enable its versioning",
		Example: `  ./scripts/bootstrap-state.sh
  infra state-bootstrap --bucket fullfrontend-tofu-state --region fra1`,
		Long: `Creates the Spaces bucket that holds the OpenTofu state of both stacks, which
must exist before the first "tofu init" in prod, and enables versioning on it so
that a bad state write can be rolled back. Running it again changes nothing.

The Spaces keys (spaces_access_key_id, spaces_secret_access_key) are read from
secrets.tfvars.enc (or $SECRETS_FILE), decrypted in memory with the age key of
$SOPS_AGE_KEY_FILE; nothing clear is written to disk. A bucket name that exists
but is not accessible with these keys (another account's) is refused.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			// Check the flags first: a typo should not cost a decryption.
			if err := cfg.ValidateTarget(); err != nil {
				return err
			}
			root, err := repo.FromWD()
			if err != nil {
				return err
			}
			keyFile, err := secrets.KeyFileFromEnv()
			if err != nil {
				return err
			}
			encFile := os.Getenv("SECRETS_FILE")
			if encFile == "" {
				encFile = filepath.Join(root, "secrets.tfvars.enc")
			}
			s, err := newSOPS()
			if err != nil {
				return err
			}
			if cfg.Credentials, err = statebucket.DecryptCredentials(c.Context(), s, encFile, keyFile); err != nil {
				return err
			}
			res, err := statebucket.Ensure(c.Context(), cfg, c.OutOrStdout())
			if err != nil {
				return err
			}
			if res.Created || res.EnabledVersioning {
				fmt.Fprintf(c.OutOrStdout(), "state bucket ready: next, APP_ENV=prod ./scripts/tofu-secrets.sh plan\n")
			} else {
				fmt.Fprintf(c.OutOrStdout(), "state bucket already in place: nothing changed\n")
			}
			return nil
		},
	}
	f := cmd.Flags()
	// The same values the stacks will read: TF_VAR_state_bucket and
	// TF_VAR_spaces_region when set, so the bucket is where the backend looks.
	f.StringVar(&cfg.Bucket, "bucket", envOr("TF_VAR_state_bucket", statebucket.DefaultBucket), "state bucket name (the stacks' state_bucket; default $TF_VAR_state_bucket when set)")
	f.StringVar(&cfg.Region, "region", envOr("TF_VAR_spaces_region", statebucket.DefaultRegion), "Spaces region (the stacks' spaces_region; default $TF_VAR_spaces_region when set)")
	f.StringVar(&cfg.Endpoint, "endpoint", "", "S3 endpoint URL (default https://<region>.digitaloceanspaces.com)")
	return cmd
}

// envOr is $name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
