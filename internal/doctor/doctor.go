// Package doctor checks a running platform against what its stack says it
// should be (the `doctor` output of stacks/platform): DNS delegation and
// records at the authoritative servers, HTTPS certificates, the mail ports,
// reverse DNS and blocklists, the freshness of database dumps, Velero
// backups and restore checks, and the health of nodes, pods and volumes.
//
// Every check ends ok, warning or error with a one-line fix; the report is a
// table for people or JSON for machines (docs/doctor.md). Checks only read:
// nothing in the cluster, the bucket or the DNS is changed.
package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// DefaultTimeout bounds each network probe (one DNS query, one TLS
// handshake, one mail banner, one API call).
const DefaultTimeout = 10 * time.Second

// freshness is how old the newest backup and restore check may be: daily
// jobs plus two hours of slack for a slow run.
const freshness = 26 * time.Hour

// Options say what to check and where to look.
type Options struct {
	Expect Expect
	// Groups limits the run to some of AllGroups; empty runs them all.
	Groups []string
	// Now is the time certificates and backups are judged at (default: now).
	Now time.Time
	// Timeout bounds each probe (default DefaultTimeout).
	Timeout time.Duration

	// Resolver is the recursive resolver, host:port (default: the first
	// server of /etc/resolv.conf).
	Resolver string
	// Authoritative, host:port, is asked for the zone's records instead of
	// the addresses of Expect.NameServers.
	Authoritative string
	// HTTPSAddr, host:port, is dialled for every host instead of its
	// resolved IP on port 443; the TLS server name is still the host.
	HTTPSAddr string
	// MailAddr, a host or IP, is dialled for the mail ports instead of the
	// mail host's resolved IP.
	MailAddr string
	// MailPorts replaces the standard mail ports (tests listen on free ports).
	MailPorts MailPorts
	// Roots verifies certificates instead of the system's roots.
	Roots *x509.CertPool

	// S3 holds the keys of the backup bucket and an optional endpoint.
	S3 S3Access
	// Kube says how to reach the cluster's API server.
	Kube KubeAccess

	// authPort replaces port 53 of the name servers, for the tests, which
	// cannot bind it.
	authPort int
}

// MailPorts are the ports of the mail checks; zero values take the
// standard ports.
type MailPorts struct {
	SMTP, SMTPS, Submission, IMAPS int
}

// S3Access is how the backup bucket is read.
type S3Access struct {
	AccessKeyID     string
	SecretAccessKey string
	// Endpoint replaces backups.s3.endpoint (a URL).
	Endpoint string
}

// KubeAccess is the kubeconfig to use.
type KubeAccess struct {
	// Kubeconfig is a file (default: $KUBECONFIG, else ~/.kube/config).
	Kubeconfig string
	// Context is a context of that file (default: its current-context).
	Context string
}

// runner is one run: the options plus what several groups share, computed
// once.
type runner struct {
	o   Options
	now time.Time
	dns dnsClient

	resolverOnce sync.Once
	resolver     string
	resolverErr  error

	lbOnce sync.Once
	lbIPs  []string
	lbErr  error

	kubeOnce sync.Once
	kube     *kubeClient
	kubeErr  error
}

// Run performs the checks and returns the report. The error is only for
// options that prevent running at all; failed checks are in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	for _, g := range o.Groups {
		if !slices.Contains(AllGroups, g) {
			return nil, fmt.Errorf("unknown check group %q: choose among %v", g, AllGroups)
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	r := &runner{o: o, now: o.Now, dns: dnsClient{timeout: o.Timeout}}
	if r.now.IsZero() {
		r.now = time.Now()
	}
	groups := map[string]func(context.Context) []Check{
		GroupDNS:     r.checkDNS,
		GroupTLS:     r.checkTLS,
		GroupMail:    r.checkMail,
		GroupBackups: r.checkBackups,
		GroupCluster: r.checkCluster,
	}
	selected := o.Groups
	if len(selected) == 0 {
		selected = AllGroups
	}
	// Groups are independent; running them together keeps a run as long as
	// its slowest group rather than the sum.
	results := make([][]Check, len(AllGroups))
	var wg sync.WaitGroup
	for i, g := range AllGroups {
		if !slices.Contains(selected, g) {
			continue
		}
		wg.Go(func() { results[i] = groups[g](ctx) })
	}
	wg.Wait()
	rep := &Report{Environment: o.Expect.Environment, RootDomain: o.Expect.RootDomain, CheckedAt: r.now.UTC()}
	for _, res := range results {
		rep.Checks = append(rep.Checks, res...)
	}
	rep.summarize()
	return rep, nil
}

// recursive returns the resolver's address.
func (r *runner) recursive() (string, error) {
	r.resolverOnce.Do(func() {
		if r.o.Resolver != "" {
			r.resolver = r.o.Resolver
			return
		}
		r.resolver, r.resolverErr = systemResolver()
	})
	return r.resolver, r.resolverErr
}

// loadBalancerIPs resolves load_balancer_hostname through the resolver.
func (r *runner) loadBalancerIPs(ctx context.Context) ([]string, error) {
	r.lbOnce.Do(func() {
		lb := r.o.Expect.LoadBalancerHostname
		if lb == "" {
			r.lbErr = errors.New("load_balancer_hostname is empty in doctor.json")
			return
		}
		res, err := r.recursive()
		if err != nil {
			r.lbErr = err
			return
		}
		r.lbIPs, r.lbErr = r.dns.addresses(ctx, res, lb, true, res)
		if r.lbErr == nil && len(r.lbIPs) == 0 {
			r.lbErr = fmt.Errorf("%s has no A record", lb)
		}
	})
	return r.lbIPs, r.lbErr
}

// parallel runs f(0..n-1) with at most limit calls at once.
func parallel(n, limit int, f func(i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

// age renders a duration in hours (or minutes under one hour) for details.
func age(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%.0f h", d.Hours())
}
