package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/toolchain"
)

func toolsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tools", Short: "Install and locate the pinned tool chain"}
	var noApt bool
	install := &cobra.Command{
		Use:   "install [tool...]",
		Short: "Build the pinned tools, the real OpenTofu providers (tool name \"providers\") and Renovate (\"renovate\", from npm) into the cache (idempotent) and install Debian packages",
		Example: `  make tools
  infra tools install tofu sops
  infra tools install providers`,
		RunE: func(c *cobra.Command, args []string) error {
			root, err := repo.FromWD()
			if err != nil {
				return err
			}
			if !noApt && len(args) == 0 {
				if err := toolchain.InstallApt(c.Context(), c.OutOrStdout(), toolchain.AptPackages()); err != nil {
					return err
				}
			}
			in := toolchain.Installer{RepoRoot: root, Out: c.OutOrStdout()}
			all := len(args) == 0
			goTools := slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "providers" || a == "renovate" })
			if all || len(goTools) > 0 {
				if err := in.Install(c.Context(), goTools...); err != nil {
					return err
				}
			}
			if all || slices.Contains(args, "renovate") {
				if err := in.InstallNPM(c.Context()); err != nil {
					return err
				}
			}
			if !all && !slices.Contains(args, "providers") {
				return nil
			}
			shared, err := toolchain.SharedDir(root)
			if err != nil {
				return err
			}
			return in.InstallProviders(c.Context(), shared)
		},
	}
	install.Flags().BoolVar(&noApt, "no-apt", false, "skip the Debian packages")
	bin := &cobra.Command{
		Use:     "bin-dir",
		Short:   "Print the directory of the tool binaries (for PATH)",
		Example: `  export PATH="$(infra tools bin-dir):$PATH"`,
		RunE: func(c *cobra.Command, _ []string) error {
			d, err := toolchain.BinDir()
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), d)
			return nil
		},
	}
	cmd.AddCommand(install, bin)
	return cmd
}
