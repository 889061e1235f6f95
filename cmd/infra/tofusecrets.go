package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/tofusecrets"
	"fullfrontend.be/infra/internal/toolchain"
)

func tofuSecretsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tofu-secrets plan|apply|destroy|output [tofu args...]",
		Short: "Run OpenTofu over the stacks of $APP_ENV with the decrypted SOPS secrets",
		Example: `  APP_ENV=dev ./scripts/tofu-secrets.sh apply
  APP_ENV=prod ./scripts/tofu-secrets.sh plan
  APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor`,
		Long: `Decrypts secrets.tfvars.enc (or $SECRETS_FILE) with $SOPS_AGE_KEY_FILE into
stacks/<stack>/.secrets.auto.tfvars (mode 0600), runs OpenTofu for each stack of
APP_ENV (prod: cluster then platform; dev: platform), and removes the clear file
on success, failure, SIGINT and SIGTERM. TOFU_BINARY overrides the OpenTofu binary.

In dev, with neither SOPS_AGE_KEY_FILE nor SECRETS_FILE set, the first run
creates a dev-only age key (~/.config/fullfrontend-infra/dev-age-key.txt) and
dev secrets with generated values (.state/dev/secrets.dev.tfvars.enc), later
runs reuse them; ~/.kube/config is checked before OpenTofu runs, and a dev
apply ends with the /etc/hosts lines of every FQDN.`,
		Args:               cobra.MinimumNArgs(1),
		DisableFlagParsing: true, // everything after the action belongs to OpenTofu
		RunE: func(c *cobra.Command, args []string) error {
			if args[0] == "-h" || args[0] == "--help" {
				return c.Help()
			}
			root, err := repo.FromWD()
			if err != nil {
				return err
			}
			// Without HOME there is no default key: an explicit one still works.
			defaultKey, _ := secrets.DefaultKeyFile()
			tofu := os.Getenv("TOFU_BINARY")
			if tofu == "" {
				if tofu, err = toolchain.Lookup("tofu"); err != nil && !errors.Is(err, toolchain.ErrNotFound) {
					return err
				}
			}
			sopsBin, err := toolchain.Lookup("sops")
			if err != nil {
				return err
			}
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			return tofusecrets.Config{
				RepoRoot:       root,
				AppEnv:         os.Getenv("APP_ENV"),
				Action:         args[0],
				Args:           args[1:],
				SecretsFile:    os.Getenv("SECRETS_FILE"),
				KeyFile:        os.Getenv(secrets.KeyFileEnv),
				DefaultKeyFile: defaultKey,
				Dev: tofusecrets.Dev{
					Home:          os.Getenv("HOME"),
					XDGConfigHome: os.Getenv("XDG_CONFIG_HOME"),
					KubeconfigEnv: os.Getenv("KUBECONFIG"),
				},
				Tofu:        tofu,
				SOPS:        secrets.SOPS{Binary: sopsBin, Policy: root + "/" + secrets.PolicyFile},
				Env:         os.Environ(),
				Stdin:       os.Stdin,
				Stdout:      c.OutOrStdout(),
				Stderr:      c.ErrOrStderr(),
				Signals:     sigs,
				Interactive: term.IsTerminal(int(os.Stdin.Fd())),
			}.Run(c.Context())
		},
	}
}
