package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// dnsClient sends single queries to one server at a time, UDP first and TCP
// when the answer is truncated (long DKIM keys do not fit in 512 bytes).
type dnsClient struct {
	timeout time.Duration
}

// errNXDomain is a name that does not exist, as opposed to a server that
// could not answer.
var errNXDomain = errors.New("no such name (NXDOMAIN)")

// query asks server (host:port) for name/qtype. recurse sets RD: on for the
// recursive resolver, off for authoritative servers, which must answer from
// their own zone and not from a cache. An NXDOMAIN answer comes back with
// errNXDomain and the message; other failure codes are errors.
func (c dnsClient) query(ctx context.Context, server, name string, qtype uint16, recurse bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = recurse
	m.SetEdns0(4096, false)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cl := &dns.Client{Net: "udp", Timeout: c.timeout}
	in, _, err := cl.ExchangeContext(ctx, m, server)
	if err == nil && in.Truncated {
		cl.Net = "tcp"
		in, _, err = cl.ExchangeContext(ctx, m, server)
	}
	what := dns.TypeToString[qtype] + " " + fqdnKey(name)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", what, server, err)
	}
	switch in.Rcode {
	case dns.RcodeSuccess:
		return in, nil
	case dns.RcodeNameError:
		return in, fmt.Errorf("%s at %s: %w", what, server, errNXDomain)
	default:
		return in, fmt.Errorf("%s at %s: the server answered %s", what, server, dns.RcodeToString[in.Rcode])
	}
}

// values asks for name/qtype and returns the answers of that type in the
// checks' form (rrValue). A name that does not exist gives no values and no
// error: "missing" is a finding, not a failure to look.
func (c dnsClient) values(ctx context.Context, server, name string, qtype uint16, recurse bool) ([]string, error) {
	msg, err := c.query(ctx, server, name, qtype, recurse)
	if errors.Is(err, errNXDomain) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range msg.Answer {
		if rr.Header().Rrtype == qtype {
			out = append(out, rrValue(rr))
		}
	}
	return out, nil
}

// addresses returns the IPv4 addresses of name, following a CNAME: in the
// answer when the server gives the whole chain, else through the resolver
// (a CNAME that leaves the zone has its A records elsewhere).
func (c dnsClient) addresses(ctx context.Context, server, name string, recurse bool, resolver string) ([]string, error) {
	msg, err := c.query(ctx, server, name, dns.TypeA, recurse)
	if errors.Is(err, errNXDomain) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ips []string
	target := ""
	for _, rr := range msg.Answer {
		switch v := rr.(type) {
		case *dns.A:
			ips = append(ips, v.A.String())
		case *dns.CNAME:
			target = v.Target
		}
	}
	if len(ips) == 0 && target != "" && resolver != "" {
		return c.values(ctx, resolver, target, dns.TypeA, true)
	}
	return ips, nil
}

// rrValue renders a record's data as the contract writes targets: MX
// "prio host", SRV "prio weight port host", TXT the unquoted text (strings
// joined), names without their trailing dot.
func rrValue(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		return v.A.String()
	case *dns.AAAA:
		return v.AAAA.String()
	case *dns.MX:
		return fmt.Sprintf("%d %s", v.Preference, fqdnKey(v.Mx))
	case *dns.TXT:
		var b strings.Builder
		for _, s := range v.Txt {
			b.WriteString(unescapeTXT(s))
		}
		return b.String()
	case *dns.CNAME:
		return fqdnKey(v.Target)
	case *dns.NS:
		return fqdnKey(v.Ns)
	case *dns.PTR:
		return fqdnKey(v.Ptr)
	case *dns.SRV:
		return fmt.Sprintf("%d %d %d %s", v.Priority, v.Weight, v.Port, fqdnKey(v.Target))
	case *dns.CAA:
		return fmt.Sprintf("%d %s %q", v.Flag, strings.ToLower(v.Tag), v.Value)
	default:
		return strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
	}
}

// normalizeTarget puts an expected target in rrValue's form.
func normalizeTarget(rtype, target string) string {
	target = strings.TrimSpace(target)
	switch rtype {
	case "TXT":
		return target
	case "A", "AAAA":
		if ip := net.ParseIP(target); ip != nil {
			return ip.String()
		}
		return target
	case "CAA":
		// flag tag "value": only the tag is case-insensitive.
		f := strings.SplitN(target, " ", 3)
		if len(f) == 3 {
			return f[0] + " " + strings.ToLower(f[1]) + " " + f[2]
		}
		return target
	default:
		// MX, SRV, CNAME, NS: numbers then a name.
		f := strings.Fields(target)
		if len(f) > 0 {
			f[len(f)-1] = fqdnKey(f[len(f)-1])
		}
		return strings.Join(f, " ")
	}
}

// unescapeTXT undoes miekg/dns's presentation escapes (\" \\ \DDD) so the
// text compares with the contract's unquoted targets.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && isDigits(s[i+1:i+4]) {
			n, _ := strconv.Atoi(s[i+1 : i+4])
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// systemResolver is the first name server of /etc/resolv.conf.
func systemResolver() (string, error) {
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return "", fmt.Errorf("read /etc/resolv.conf: %w (give --resolver host:port)", err)
	}
	if len(cfg.Servers) == 0 {
		return "", errors.New("no nameserver in /etc/resolv.conf (give --resolver host:port)")
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port), nil
}
