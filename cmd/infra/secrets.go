package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/toolchain"
)

func ageInitCmd() *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "age-init",
		Short: "Create your age key (never overwrites one) and print the SOPS exports",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if keyFile == "" {
				var err error
				if keyFile, err = secrets.KeyFileFromEnv(); err != nil {
					return err
				}
			}
			abs, err := filepath.Abs(keyFile)
			if err != nil {
				return fmt.Errorf("age key path: %w", err)
			}
			recipient, created, err := secrets.InitKey(abs, time.Now())
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if created {
				fmt.Fprintf(c.ErrOrStderr(), "created age key %s (mode 0600): back it up in your password manager; without it the secrets cannot be decrypted\n", abs)
			} else {
				fmt.Fprintf(c.ErrOrStderr(), "age key %s already exists: kept as is\n", abs)
			}
			fmt.Fprintf(out, "export %s=%q\n", secrets.KeyFileEnv, abs)
			fmt.Fprintf(out, "export %s=%q\n", secrets.RecipientsEnv, recipient)
			fmt.Fprintf(c.ErrOrStderr(), "# with several operators, %s lists every public key, comma-separated\n", secrets.RecipientsEnv)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "age key file (default $SOPS_AGE_KEY_FILE, else ~/.config/sops/age/keys.txt)")
	return cmd
}

func sopsEncryptCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sops-encrypt CLEAR_FILE ENCRYPTED_FILE",
		Short: "Encrypt a clear tfvars file for $SOPS_AGE_RECIPIENTS under the sops.yaml policy",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			s, err := newSOPS()
			if err != nil {
				return err
			}
			recipients, err := secrets.ParseRecipients(os.Getenv(secrets.RecipientsEnv))
			if err != nil {
				return err
			}
			if err := s.Encrypt(c.Context(), args[0], args[1], recipients); err != nil {
				return err
			}
			fmt.Fprintf(c.ErrOrStderr(), "encrypted %s -> %s for %d recipient(s); commit %s, never %s\n", args[0], args[1], len(recipients), args[1], args[0])
			return nil
		},
	}
}

// newSOPS locates sops and the repository's policy file.
func newSOPS() (secrets.SOPS, error) {
	root, err := repo.FromWD()
	if err != nil {
		return secrets.SOPS{}, err
	}
	bin, err := toolchain.Lookup("sops")
	if err != nil {
		return secrets.SOPS{}, err
	}
	return secrets.SOPS{Binary: bin, Policy: filepath.Join(root, secrets.PolicyFile)}, nil
}
