package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/doctor"
)

type doctorOptions struct {
	expect, kubeconfig, kubeContext string
	asJSON                          bool
	only                            []string
	resolver, authoritative         string
	httpsAddr, mailAddr, mailPorts  string
	caFile, s3Endpoint, now         string
	timeout                         time.Duration
}

// checksFailed makes the process exit 1 when a check is an error; the
// report itself is already printed.
type checksFailed struct{ errors int }

func (e checksFailed) Error() string {
	return fmt.Sprintf("doctor: %d check(s) in error (see the fixes above)", e.errors)
}
func (e checksFailed) ExitCode() int { return 1 }

func doctorCmd() *cobra.Command {
	o := doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor --expect doctor.json",
		Short: "Check DNS, certificates, mail, backups and the cluster against the stack; exit 1 on any error",
		Example: `  APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor > doctor.json
  infra doctor --expect doctor.json`,
		Long: `Compares the running platform with what stacks/platform expects (its "doctor"
output: APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor > doctor.json)
and prints one line per check, ok, WARNING or ERROR, with a fix under each
problem. Groups: dns (delegation, records at the authoritative servers, hosts
on the load balancer), tls (certificate of every host), mail (ports 25, 465,
587, 993, reverse DNS, blocklists), backups (database dumps and restore checks
in the bucket, CronJobs, Velero), cluster (nodes, pods, volumes).

The S3 keys of the backup bucket come from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY; without them those checks are warnings. Exits 1 when a
check is an error; warnings exit 0. See docs/doctor.md.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts, err := o.options()
			if err != nil {
				return err
			}
			rep, err := doctor.Run(c.Context(), opts)
			if err != nil {
				return err
			}
			if o.asJSON {
				err = rep.WriteJSON(c.OutOrStdout())
			} else {
				err = rep.WriteTable(c.OutOrStdout())
			}
			if err != nil {
				return fmt.Errorf("print the report: %w", err)
			}
			if rep.Failed() {
				return checksFailed{errors: rep.Summary.Errors}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.expect, "expect", "", "the stack's doctor output (tofu output -json doctor > doctor.json)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, else ~/.kube/config; prod: .kube/config of the repository)")
	f.StringVar(&o.kubeContext, "context", "", "kubeconfig context (default: its current-context)")
	f.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	f.StringSliceVar(&o.only, "only", nil, "run only these groups: "+strings.Join(doctor.AllGroups, ","))
	f.StringVar(&o.resolver, "resolver", "", "recursive resolver host:port (default: the first nameserver of /etc/resolv.conf)")
	f.StringVar(&o.authoritative, "authoritative", "", "ask this server host:port for the zone instead of its name servers")
	f.StringVar(&o.httpsAddr, "https-addr", "", "connect here (host:port) for every HTTPS host instead of its resolved IP; SNI stays the host")
	f.StringVar(&o.mailAddr, "mail-addr", "", "connect to this host for the mail ports instead of the mail host's resolved IP")
	f.StringVar(&o.mailPorts, "mail-ports", "", "smtp,smtps,submission,imaps ports instead of 25,465,587,993")
	f.StringVar(&o.caFile, "ca", "", "verify certificates against this PEM file instead of the system roots")
	f.StringVar(&o.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL of the backup bucket instead of backups.s3.endpoint")
	f.StringVar(&o.now, "now", "", "judge dates at this RFC 3339 time instead of now")
	f.DurationVar(&o.timeout, "timeout", doctor.DefaultTimeout, "bound of each network probe")
	_ = f.MarkHidden("now")
	_ = f.MarkHidden("mail-ports")
	return cmd
}

func (o doctorOptions) options() (doctor.Options, error) {
	if o.expect == "" {
		return doctor.Options{}, errors.New("give --expect doctor.json, made by APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor > doctor.json")
	}
	e, err := doctor.LoadExpect(o.expect)
	if err != nil {
		return doctor.Options{}, err
	}
	opts := doctor.Options{
		Expect:        e,
		Groups:        o.only,
		Timeout:       o.timeout,
		Resolver:      o.resolver,
		Authoritative: o.authoritative,
		HTTPSAddr:     o.httpsAddr,
		MailAddr:      o.mailAddr,
		S3: doctor.S3Access{
			AccessKeyID:     os.Getenv(doctor.AccessKeyEnv),
			SecretAccessKey: os.Getenv(doctor.SecretKeyEnv),
			Endpoint:        o.s3Endpoint,
		},
		Kube: doctor.KubeAccess{Kubeconfig: o.kubeconfig, Context: o.kubeContext},
	}
	if o.now != "" {
		if opts.Now, err = time.Parse(time.RFC3339, o.now); err != nil {
			return opts, fmt.Errorf("--now %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", o.now)
		}
	}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return opts, fmt.Errorf("read --ca: %w", err)
		}
		opts.Roots = x509.NewCertPool()
		if !opts.Roots.AppendCertsFromPEM(pem) {
			return opts, fmt.Errorf("--ca %s holds no PEM certificate", o.caFile)
		}
	}
	if o.mailPorts != "" {
		bad := fmt.Errorf("--mail-ports %q: want four ports, smtp,smtps,submission,imaps", o.mailPorts)
		p := strings.Split(o.mailPorts, ",")
		if len(p) != 4 {
			return opts, bad
		}
		var n [4]int
		for i := range n {
			if n[i], err = strconv.Atoi(strings.TrimSpace(p[i])); err != nil || n[i] <= 0 || n[i] > 65535 {
				return opts, bad
			}
		}
		opts.MailPorts = doctor.MailPorts{SMTP: n[0], SMTPS: n[1], Submission: n[2], IMAPS: n[3]}
	}
	return opts, nil
}
