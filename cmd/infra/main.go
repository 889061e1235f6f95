// Command infra is the operators' tool for the Full Frontend platform: it
// installs the pinned tool chain, manages the SOPS/age secrets and runs
// OpenTofu over the stacks with those secrets (see README.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run())
}

// newRoot builds the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "infra",
		Short:         "Operate the Full Frontend platform (DOKS, OpenTofu, SOPS)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(toolsCmd(), testReportCmd(), ageInitCmd(), sopsEncryptCmd(), tofuSecretsCmd(), checkSecretsCmd(), stateBootstrapCmd(), costCmd(), dbCmd(), restoreCmd(), migrateCmd(), hostsCmd(), doctorCmd())
	withUsageOnMisuse(root)
	return root
}

// withUsageOnMisuse makes a wrong number of arguments or a bad flag name
// the command's usage line and where its help is, rather than cobra's bare
// "accepts 1 arg(s), received 0" (usage is otherwise silenced: a failing
// command should not bury its error under the flag list).
func withUsageOnMisuse(c *cobra.Command) {
	usage := func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nusage: %s\n(%s --help for its flags and examples)", err, cmd.UseLine(), cmd.CommandPath())
	}
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usage(cmd, err)
			}
			return nil
		}
	}
	c.SetFlagErrorFunc(usage)
	for _, sub := range c.Commands() {
		withUsageOnMisuse(sub)
	}
}

func run() int {
	root := newRoot()
	// tofu-secrets handles signals itself (it forwards them to OpenTofu);
	// every other command is cancelled by SIGINT/SIGTERM through the context.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "infra: %v\n", err)
		var ec interface{ ExitCode() int }
		if asExit(err, &ec) {
			return ec.ExitCode()
		}
		return 1
	}
	return 0
}
