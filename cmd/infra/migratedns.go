package main

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/dnsmigrate"
	"fullfrontend.be/infra/internal/repo"
)

// defaultDNSOut is where stacks/platform reads the extra records from.
const defaultDNSOut = "stacks/platform/dns-extra-records.auto.tfvars.json"

func migrateDNSCmd() *cobra.Command {
	o := dnsmigrate.Options{}
	cmd := &cobra.Command{
		Use:     "dns --zone-file fullfrontend.be.txt --expect doctor.json",
		Short:   "Sort Mail-in-a-Box's zone into replaced, dropped and kept records; write the kept ones for stacks/platform",
		Example: `  infra migrate dns --zone-file fullfrontend.be.txt --expect doctor.json`,
		Long: `Reads the zone file Mail-in-a-Box exports (System > External DNS, or
/admin/dns/zonefile/<zone>) and what the stack serves itself (doctor.json:
APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor > doctor.json), and
sorts every record of the zone: replaced by the stack (old and new values
printed), dropped on purpose (each with its reason), or kept. The kept ones are
merged into --out as dns_extra_records entries, which stacks/platform serves
through external-dns and DigitalOcean; nothing already in the file is removed.
Prints the counts before and after and fails if they do not add up; prints the
TTL step before switching the name servers. A second run with the same inputs
says "unchanged". See docs/migration-dns.md.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Out == "" {
				root, err := repo.FromWD()
				if err != nil {
					return err
				}
				o.Out = filepath.Join(root, defaultDNSOut)
			}
			o.Stdout = c.OutOrStdout()
			_, err := dnsmigrate.Run(o)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ZoneFile, "zone-file", "", "Mail-in-a-Box's zone file of the root domain (BIND format)")
	f.StringVar(&o.Expect, "expect", "", "the stack's doctor output (tofu output -json doctor of stacks/platform, prod)")
	f.StringVar(&o.Out, "out", "", "tfvars JSON file to merge the kept records into (default <repo>/"+defaultDNSOut+")")
	f.StringVar(&o.Box, "box", "", "Mail-in-a-Box's host name (default: read from the zone's SOA, ns1.<box>)")
	return cmd
}
