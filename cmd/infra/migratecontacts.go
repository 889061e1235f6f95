package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/contactsmigrate"
)

// Credentials come from the environment, never from flags: a command line
// is readable by every user of the machine.
const (
	mauticUserEnv     = "MAUTIC_USER"
	mauticPasswordEnv = "MAUTIC_PASSWORD"
	twentyAPIKeyEnv   = "TWENTY_API_KEY"
)

type migrateContactsOptions struct {
	mauticURL, csv    string
	mauticPageSize    int
	crm, twentyURL    string
	allowHTTP         bool
	phoneCountry      string
	companies, dryRun bool
	batchSize         int
}

func migrateContactsCmd() *cobra.Command {
	o := migrateContactsOptions{}
	cmd := &cobra.Command{
		Use:   "contacts (--mautic-url https://mautic.example | --csv contacts_export.zip) [--crm crm.fullfrontend.be] [--dry-run]",
		Short: "Move Mautic's contacts into the CRM (Twenty), with counts before and after",
		Example: `  infra migrate contacts --csv contacts_export.zip --dry-run
  infra migrate contacts --mautic-url https://mautic.fullfrontend.be --crm crm.fullfrontend.be`,
		Long: `Reads Mautic's contacts, from its REST API (--mautic-url, HTTP basic auth)
or from its contact export (--csv: the .csv, or the .zip Mautic 5 mails), and
creates in Twenty (https://crm.<root_domain>) the people that are not there yet,
matched by e-mail (lowercased), or without e-mail by name and phone; with
--companies (the default) each contact's company is found by name or created,
and linked. Duplicates in Mautic are merged and reported, invalid e-mails and
phones left out and reported, anonymous visitors skipped. Prints the counts
before (Mautic's total, with e-mail, without) and after (the people found in
Twenty); a person missing after the run fails the command and is named.
A second run creates nothing; an interrupted one is resumed by running it again.
Nothing in Twenty is modified or deleted; Mautic is only read.

Credentials come from the environment: MAUTIC_USER and MAUTIC_PASSWORD (a
Mautic user, with the API and HTTP basic auth enabled) and TWENTY_API_KEY
(Settings > APIs & Webhooks in Twenty). See docs/migration-contacts.md.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts, err := o.resolve(os.Getenv)
			if err != nil {
				return err
			}
			opts.Out = c.OutOrStdout()
			_, err = contactsmigrate.Run(c.Context(), opts)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.mauticURL, "mautic-url", "", "Mautic's root URL, to read its REST API (https://mautic.<domain>)")
	f.StringVar(&o.csv, "csv", "", "Mautic's contact export instead of its API (.csv, or the .zip Mautic mails)")
	f.IntVar(&o.mauticPageSize, "mautic-page-size", 100, "contacts per request to Mautic's API")
	f.StringVar(&o.crm, "crm", "crm.fullfrontend.be", "Twenty's host name (crm.<root_domain>)")
	f.StringVar(&o.twentyURL, "twenty-url", "", "Twenty's root URL instead of --crm (for example http://crm.fullfrontend.kube with --allow-http)")
	f.BoolVar(&o.allowHTTP, "allow-http", false, "allow plain http to a host other than this machine (the dev cluster has no TLS); credentials then cross the network in clear")
	f.StringVar(&o.phoneCountry, "phone-country", "BE", "ISO country of national phone numbers (0470 ...) whose contact has no known country; empty: such numbers are left out")
	f.BoolVar(&o.companies, "companies", true, "find or create each contact's company in Twenty and link it")
	f.IntVar(&o.batchSize, "batch-size", 50, fmt.Sprintf("people per create request (1 to %d)", contactsmigrate.BatchMax))
	f.BoolVar(&o.dryRun, "dry-run", false, "read both sides and print what would be created; write nothing")
	return cmd
}

var countryRe = regexp.MustCompile(`^[A-Z]{2}$`)

// checkURL accepts https, and http only to this machine or with
// --allow-http.
func checkURL(flag, raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s %q: want a URL such as https://host", flag, raw)
	}
	if u.User != nil || u.RawQuery != "" {
		return fmt.Errorf("%s %q: give the root URL only, credentials come from the environment", flag, raw)
	}
	if u.Scheme == "http" && !allowHTTP && !loopback(u.Hostname()) {
		return fmt.Errorf("%s %q: plain http would send the credentials in clear; use https, or --allow-http for the dev cluster", flag, raw)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (o migrateContactsOptions) resolve(env func(string) string) (contactsmigrate.Options, error) {
	var opts contactsmigrate.Options
	switch {
	case o.mauticURL != "" && o.csv != "":
		return opts, fmt.Errorf("give --mautic-url or --csv, not both")
	case o.mauticURL != "":
		if err := checkURL("--mautic-url", o.mauticURL, o.allowHTTP); err != nil {
			return opts, err
		}
		user, pw := env(mauticUserEnv), env(mauticPasswordEnv)
		if user == "" || pw == "" {
			return opts, fmt.Errorf("set %s and %s to a Mautic user's login (never on the command line)", mauticUserEnv, mauticPasswordEnv)
		}
		opts.Mautic = &contactsmigrate.Mautic{URL: o.mauticURL, User: user, Password: pw, PageSize: o.mauticPageSize}
	case o.csv != "":
		if _, err := os.Stat(o.csv); err != nil {
			return opts, fmt.Errorf("--csv: %w", err)
		}
		opts.CSV = o.csv
	default:
		return opts, fmt.Errorf("give the source: --mautic-url (Mautic's API) or --csv (its contact export)")
	}
	target := o.twentyURL
	if target == "" {
		if !hostRe.MatchString(o.crm) {
			return opts, fmt.Errorf("--crm %q is not a host name such as crm.fullfrontend.be", o.crm)
		}
		target = "https://" + o.crm
	}
	if err := checkURL("--twenty-url", target, o.allowHTTP); err != nil {
		return opts, err
	}
	key := env(twentyAPIKeyEnv)
	if key == "" {
		return opts, fmt.Errorf("set %s to an API key of the CRM (Twenty: Settings > APIs & Webhooks), never on the command line", twentyAPIKeyEnv)
	}
	if o.phoneCountry != "" && !countryRe.MatchString(o.phoneCountry) {
		return opts, fmt.Errorf("--phone-country %q: give an ISO code in capitals, such as BE", o.phoneCountry)
	}
	if o.batchSize < 1 || o.batchSize > contactsmigrate.BatchMax {
		return opts, fmt.Errorf("--batch-size %d: give 1 to %d", o.batchSize, contactsmigrate.BatchMax)
	}
	if o.mauticPageSize < 2 {
		return opts, fmt.Errorf("--mautic-page-size %d: give at least 2", o.mauticPageSize)
	}
	opts.Target = contactsmigrate.Twenty{URL: target, APIKey: key}
	opts.PhoneCountry, opts.Companies, opts.BatchSize, opts.DryRun = o.phoneCountry, o.companies, o.batchSize, o.dryRun
	return opts, nil
}
