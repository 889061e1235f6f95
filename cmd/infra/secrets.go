package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		Example: `  bin/age-init.sh
  eval "$(bin/age-init.sh)"
  infra age-init --key-file ~/.config/sops/age/keys.txt`,
		Args: cobra.NoArgs,
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
	var drop []string
	cmd := &cobra.Command{
		Use:   "sops-encrypt CLEAR_FILE ENCRYPTED_FILE",
		Short: "Encrypt a clear tfvars file for $SOPS_AGE_RECIPIENTS and the existing file's recipients, under the sops.yaml policy",
		Long: `Encrypt CLEAR_FILE into ENCRYPTED_FILE for every age public key of
$SOPS_AGE_RECIPIENTS. When ENCRYPTED_FILE exists, its recipients are kept
too: re-encrypting with only your own key would lock the other operators
out without a word. Remove one on purpose with --drop.`,
		Example: `  bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc
  SOPS_AGE_RECIPIENTS=age1alice...,age1bob... bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc
  bin/sops-encrypt.sh --drop age1former... secrets.tfvars secrets.tfvars.enc`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			var existing []string
			if data, err := os.ReadFile(args[1]); err == nil && secrets.IsCiphertext(data) {
				if existing, err = secrets.Recipients(data); err != nil {
					return fmt.Errorf("%s: %w", args[1], err)
				}
			}
			given := os.Getenv(secrets.RecipientsEnv)
			var env []string
			if given != "" || len(existing) == 0 {
				var err error
				if env, err = secrets.ParseRecipients(given); err != nil {
					return err
				}
			}
			recipients, kept, err := secrets.MergeRecipients(existing, env, drop)
			if err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			s, err := newSOPS()
			if err != nil {
				return err
			}
			if err := s.Encrypt(c.Context(), args[0], args[1], recipients); err != nil {
				return err
			}
			if len(kept) > 0 {
				fmt.Fprintf(c.ErrOrStderr(), "kept %d recipient(s) of the existing %s that %s does not name: %s (remove one on purpose with --drop)\n",
					len(kept), args[1], secrets.RecipientsEnv, strings.Join(kept, ", "))
			}
			fmt.Fprintf(c.ErrOrStderr(), "encrypted %s -> %s for %d recipient(s); commit %s, never %s\n", args[0], args[1], len(recipients), args[1], args[0])
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&drop, "drop", nil, "an age public key to remove from the existing file's recipients (repeat for several)")
	return cmd
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
