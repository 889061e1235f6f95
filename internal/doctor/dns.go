package doctor

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Fixes shared by several DNS checks.
const (
	fixExternalDNS = "the stack publishes these records (A, AAAA, CNAME, MX, TXT through external-dns: read kubectl -n infra logs deploy/external-dns; SRV, CAA, NS as DigitalOcean records): run APP_ENV=prod ./scripts/tofu-secrets.sh apply"
	fixStale       = "delete the stale record in the DigitalOcean DNS panel (external-dns only changes records it owns, marked by its extdns- TXT records) and run the doctor again in a minute"
)

// nameServer is one authoritative server: its name and the address asked.
type nameServer struct {
	name, addr string
}

// checkDNS checks the delegation, then every record the stack manages and
// every host's A record at the authoritative servers themselves (a
// resolver's cache could hide a wrong zone for hours), then what the
// resolver answers for the hosts.
func (r *runner) checkDNS(ctx context.Context) []Check {
	c := &checks{group: GroupDNS}
	e := r.o.Expect
	res, err := r.recursive()
	if err != nil {
		c.fail("resolver", err.Error(), "give --resolver host:port (a recursive resolver such as 1.1.1.1:53)")
		return c.list
	}
	r.checkDelegation(ctx, c, res)
	servers := r.authoritativeServers(ctx, c, res)
	if len(servers) == 0 {
		return c.list
	}
	for _, rec := range e.DNSRecords {
		r.checkRecord(ctx, c, servers, rec)
	}
	lbIPs, lbErr := r.loadBalancerIPs(ctx)
	if lbErr != nil {
		c.fail("load balancer "+e.LoadBalancerHostname, lbErr.Error(),
			"the A record of the load balancer comes from stacks/platform (digitalocean_record.ingress): run APP_ENV=prod ./scripts/tofu-secrets.sh apply and check kubectl -n infra get svc traefik has an external IP")
	}
	for _, h := range e.Hosts {
		r.checkHostA(ctx, c, servers, res, h, lbIPs)
	}
	return c.list
}

// checkDelegation compares the zone's NS records, as the resolver sees
// them, with the DigitalOcean name servers the stack expects.
func (r *runner) checkDelegation(ctx context.Context, c *checks, res string) {
	e := r.o.Expect
	name := "delegation " + e.RootDomain
	want := strings.Join(e.NameServers, ", ")
	fix := fmt.Sprintf("at the registrar of %s, set the name servers to %s (the change takes up to 48 h to spread)", e.RootDomain, want)
	got, err := r.dns.values(ctx, res, e.RootDomain, dns.TypeNS, true)
	switch {
	case err != nil:
		c.fail(name, "could not ask the resolver: "+err.Error(), "check --resolver, or the network")
		return
	case len(got) == 0:
		c.fail(name, e.RootDomain+" has no NS record (is the domain registered and delegated?)", fix)
		return
	}
	missing, extra := diff(e.NameServers, got)
	switch {
	case len(missing) == 0 && len(extra) == 0:
		c.ok(name, "delegated to %s", strings.Join(sorted(got), ", "))
	case len(missing) == len(e.NameServers):
		c.fail(name, fmt.Sprintf("delegated to %s, not to %s", strings.Join(sorted(got), ", "), want), fix)
	default:
		c.warn(name, fmt.Sprintf("delegated to %s; expected exactly %s", strings.Join(sorted(got), ", "), want), fix)
	}
}

// authoritativeServers resolves the expected name servers, or returns the
// --authoritative override.
func (r *runner) authoritativeServers(ctx context.Context, c *checks, res string) []nameServer {
	if r.o.Authoritative != "" {
		return []nameServer{{name: r.o.Authoritative, addr: r.o.Authoritative}}
	}
	port := "53"
	if r.o.authPort != 0 {
		port = strconv.Itoa(r.o.authPort)
	}
	var servers []nameServer
	for _, ns := range r.o.Expect.NameServers {
		ips, err := r.dns.addresses(ctx, res, ns, true, res)
		if err != nil || len(ips) == 0 {
			detail := "no address"
			if err != nil {
				detail = err.Error()
			}
			c.fail("name server "+ns, "cannot resolve it: "+detail, "check the resolver, or give --authoritative host:port")
			continue
		}
		servers = append(servers, nameServer{name: ns, addr: net.JoinHostPort(ips[0], port)})
	}
	if len(servers) == 0 && len(r.o.Expect.NameServers) == 0 {
		c.fail("name servers", "name_servers is empty in doctor.json", "give --authoritative host:port, or "+regenerate)
	}
	return servers
}

// checkRecord asks every authoritative server for one managed record.
func (r *runner) checkRecord(ctx context.Context, c *checks, servers []nameServer, rec Record) {
	name := rec.RecordType + " " + rec.DNSName
	qtype, ok := dns.StringToType[rec.RecordType]
	if !ok {
		c.fail(name, "unknown record type "+rec.RecordType, regenerate)
		return
	}
	want := make([]string, len(rec.Targets))
	for i, t := range rec.Targets {
		want[i] = normalizeTarget(rec.RecordType, t)
	}
	var worst Check
	for i, s := range servers {
		got, err := r.dns.values(ctx, s.addr, rec.DNSName, qtype, false)
		var ch Check
		if err != nil {
			ch = Check{Status: Error, Detail: "could not ask: " + err.Error(), Fix: "check that the zone exists on DigitalOcean (doctl compute domain records list " + r.o.Expect.RootDomain + ")"}
		} else {
			ch = compareRecord(rec.RecordType, want, got)
		}
		if len(servers) > 1 && ch.Status != OK {
			ch.Detail = s.name + ": " + ch.Detail
		}
		if i == 0 || worse(ch.Status, worst.Status) {
			worst = ch
		}
	}
	worst.Name = name
	c.add(worst)
}

// compareRecord judges one server's answer against the expected targets.
func compareRecord(rtype string, want, got []string) Check {
	missing, extra := diff(want, got)
	switch {
	case len(got) == 0:
		return Check{Status: Error, Detail: "missing at the authoritative servers; expected " + short(want), Fix: fixExternalDNS}
	case len(missing) > 0:
		return Check{Status: Error, Detail: fmt.Sprintf("answers %s; expected %s", short(got), short(want)), Fix: fixExternalDNS + "; if the old value stays, " + fixStale}
	}
	if len(extra) == 0 {
		return Check{Status: OK, Detail: "answers " + short(got)}
	}
	if rtype == "TXT" {
		for _, x := range extra {
			for _, w := range want {
				if txtKind(x) != "" && txtKind(x) == txtKind(w) {
					return Check{Status: Error, Detail: fmt.Sprintf("two %s records: %s besides the expected one (receivers then ignore both)", txtKind(x), short([]string{x})), Fix: fixStale}
				}
			}
		}
		// Other TXT values (site verifications...) live beside ours.
		return Check{Status: OK, Detail: fmt.Sprintf("answers %s (and %d other TXT value(s))", short(want), len(extra))}
	}
	return Check{Status: Warning, Detail: fmt.Sprintf("answers %s; also %s, which the stack does not manage", short(want), short(extra)), Fix: fixStale}
}

// txtKind names the TXT records of which a name may hold only one.
func txtKind(v string) string {
	for _, p := range []string{"v=spf1", "v=DMARC1", "v=DKIM1"} {
		if strings.HasPrefix(v, p+" ") || strings.HasPrefix(v, p+";") || v == p {
			return strings.TrimPrefix(p, "v=")
		}
	}
	return ""
}

// checkHostA checks that a host points to the load balancer at the
// authoritative servers, then that the resolver agrees.
func (r *runner) checkHostA(ctx context.Context, c *checks, servers []nameServer, res, host string, lbIPs []string) {
	name := "A " + host
	lb := r.o.Expect.LoadBalancerHostname
	var auth []string
	for _, s := range servers {
		ips, err := r.dns.addresses(ctx, s.addr, host, false, res)
		switch {
		case err != nil:
			c.fail(name, s.name+": could not ask: "+err.Error(), "check that the zone exists on DigitalOcean (doctl compute domain records list "+r.o.Expect.RootDomain+")")
			return
		case len(ips) == 0:
			c.fail(name, s.name+": no A record at the authoritative servers", fixExternalDNS+" (kubectl get ingress -A lists the hosts it publishes)")
			return
		case len(lbIPs) > 0 && !sameSet(ips, lbIPs):
			c.fail(name, fmt.Sprintf("%s: points to %s, not to the load balancer %s (%s)", s.name, strings.Join(sorted(ips), ", "), lb, strings.Join(sorted(lbIPs), ", ")), fixStale)
			return
		}
		auth = ips
	}
	seen, err := r.dns.addresses(ctx, res, host, true, res)
	switch {
	case err != nil:
		c.warn(name, "the authoritative servers answer "+strings.Join(sorted(auth), ", ")+" but the resolver failed: "+err.Error(), "check --resolver, or the network")
	case !sameSet(seen, auth):
		c.warn(name, fmt.Sprintf("the authoritative servers answer %s but the resolver still answers %s (cached)", strings.Join(sorted(auth), ", "), orNone(seen)),
			"wait for the cached record to expire (its TTL), then run the doctor again")
	case len(lbIPs) == 0:
		c.ok(name, "%s (load balancer address unknown, not compared)", strings.Join(sorted(auth), ", "))
	default:
		c.ok(name, "%s, the load balancer %s", strings.Join(sorted(auth), ", "), lb)
	}
}

// diff returns the wanted values that are not in got, and the values of got
// that were not wanted.
func diff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func sameSet(a, b []string) bool {
	m, x := diff(a, b)
	return len(m) == 0 && len(x) == 0
}

func sorted(v []string) []string {
	s := slices.Clone(v)
	slices.Sort(s)
	return slices.Compact(s)
}

func orNone(v []string) string {
	if len(v) == 0 {
		return "nothing"
	}
	return strings.Join(sorted(v), ", ")
}

// short quotes values for a detail line, cutting long ones (DKIM keys).
func short(v []string) string {
	out := make([]string, len(v))
	for i, s := range sorted(v) {
		if len(s) > 60 {
			s = s[:40] + "…" + s[len(s)-12:]
		}
		out[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(out, ", ")
}

// worse reports whether a is more severe than b.
func worse(a, b Status) bool { return rank(a) > rank(b) }

func rank(s Status) int {
	switch s {
	case OK:
		return 0
	case Warning:
		return 1
	default:
		return 2
	}
}
