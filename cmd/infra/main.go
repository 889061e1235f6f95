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

func run() int {
	root := &cobra.Command{
		Use:           "infra",
		Short:         "Operate the Full Frontend platform (DOKS, OpenTofu, SOPS)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(toolsCmd(), testReportCmd(), ageInitCmd(), sopsEncryptCmd(), tofuSecretsCmd(), checkSecretsCmd(), stateBootstrapCmd(), costCmd(), dbCmd(), restoreCmd(), migrateCmd(), hostsCmd(), doctorCmd())
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
