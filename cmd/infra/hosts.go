package main

import (
	"fmt"
	"net/netip"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/appcatalog"
	"fullfrontend.be/infra/internal/repo"
)

func hostsCmd() *cobra.Command {
	var rootDomain, ip string
	cmd := &cobra.Command{
		Use:   "hosts [--ip 127.0.0.1] [--root-domain fullfrontend.kube]",
		Short: "Print the /etc/hosts lines of every FQDN of the platform (dev has no DNS)",
		Example: `  infra hosts
  infra hosts --ip 192.168.49.2 | sudo tee -a /etc/hosts`,
		Long: `Prints one /etc/hosts line per FQDN of the app catalog
(modules/environment/apps.yaml) and Grafana, derived from the root domain as the
stacks derive them, pointing at Traefik's address: 127.0.0.1 for docker-desktop,
the load balancer's IP of other local clusters
(kubectl -n infra get svc traefik). Append them with: infra hosts | sudo tee -a /etc/hosts`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			addr, err := netip.ParseAddr(ip)
			if err != nil {
				return fmt.Errorf("--ip %q is not an IP address", ip)
			}
			root, err := repo.FromWD()
			if err != nil {
				return err
			}
			lines, err := appcatalog.HostsLines(root, rootDomain, addr)
			if err != nil {
				return err
			}
			for _, l := range lines {
				fmt.Fprintln(c.OutOrStdout(), l)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rootDomain, "root-domain", appcatalog.DevRootDomain, "root domain of the environment (root_domain_dev)")
	cmd.Flags().StringVar(&ip, "ip", "127.0.0.1", "address of Traefik on the local cluster")
	return cmd
}
