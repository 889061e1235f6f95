package doctor

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func runGroups(t *testing.T, o Options, groups ...string) *Report {
	t.Helper()
	o.Groups = groups
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestDNS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, auth, res *fakeDNS)
		wants  map[string]want
	}{
		{
			name:   "healthy zone",
			change: func(*testing.T, *fakeDNS, *fakeDNS) {},
			wants: map[string]want{
				"delegation fullfrontend.be":          {OK, "ns1.digitalocean.com, ns2.digitalocean.com, ns3.digitalocean.com"},
				"TXT dkim._domainkey.fullfrontend.be": {OK, "v=DKIM1"},
				"A n8n.fullfrontend.be":               {OK, "127.0.0.1, the load balancer lb.fullfrontend.be"},
			},
		},
		{
			name: "zone still delegated to the old box",
			change: func(t *testing.T, _, res *fakeDNS) {
				res.replace(t, "fullfrontend.be", dns.TypeNS, "fullfrontend.be. 3600 IN NS ns1.box.fullfrontend.be.", "fullfrontend.be. 3600 IN NS ns2.box.fullfrontend.be.")
			},
			wants: map[string]want{"delegation fullfrontend.be": {Error, "delegated to ns1.box.fullfrontend.be, ns2.box.fullfrontend.be, not to ns1.digitalocean.com"}},
		},
		{
			name: "one DigitalOcean name server missing from the delegation",
			change: func(t *testing.T, _, res *fakeDNS) {
				res.replace(t, "fullfrontend.be", dns.TypeNS, "fullfrontend.be. 3600 IN NS ns1.digitalocean.com.", "fullfrontend.be. 3600 IN NS ns2.digitalocean.com.")
			},
			wants: map[string]want{"delegation fullfrontend.be": {Warning, "expected exactly"}},
		},
		{
			name: "wrong MX",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.replace(t, "fullfrontend.be", dns.TypeMX, "fullfrontend.be. 3600 IN MX 10 box.fullfrontend.be.")
			},
			wants: map[string]want{"MX fullfrontend.be": {Error, `answers "10 box.fullfrontend.be"; expected "10 mail.fullfrontend.be"`}},
		},
		{
			name: "an extra MX the stack does not manage",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.add(t, "fullfrontend.be. 3600 IN MX 20 box.fullfrontend.be.")
			},
			wants: map[string]want{"MX fullfrontend.be": {Warning, `also "20 box.fullfrontend.be"`}},
		},
		{
			name: "missing DKIM",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.replace(t, "dkim._domainkey.fullfrontend.be", dns.TypeTXT)
			},
			wants: map[string]want{"TXT dkim._domainkey.fullfrontend.be": {Error, "missing at the authoritative servers"}},
		},
		{
			name: "DKIM with an old key",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.replace(t, "dkim._domainkey.fullfrontend.be", dns.TypeTXT)
				auth.mu.Lock()
				auth.addRR(dkimRR(strings.Replace(testDKIM, "IDAQAB", "OLDKEY", 1)))
				auth.mu.Unlock()
			},
			wants: map[string]want{"TXT dkim._domainkey.fullfrontend.be": {Error, "OLDKEY"}},
		},
		{
			name: "a second SPF record",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.add(t, `fullfrontend.be. 3600 IN TXT "v=spf1 a:box.fullfrontend.be -all"`)
			},
			wants: map[string]want{"TXT fullfrontend.be": {Error, "two spf1 records"}},
		},
		{
			name: "an unrelated TXT value beside the SPF",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.add(t, `fullfrontend.be. 3600 IN TXT "google-site-verification=abc"`)
			},
			wants: map[string]want{"TXT fullfrontend.be": {OK, "1 other TXT value"}},
		},
		{
			name: "wrong SRV port and CAA for another authority",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.replace(t, "_imaps._tcp.fullfrontend.be", dns.TypeSRV, "_imaps._tcp.fullfrontend.be. 3600 IN SRV 0 1 143 mail.fullfrontend.be.")
				auth.replace(t, "fullfrontend.be", dns.TypeCAA, `fullfrontend.be. 3600 IN CAA 0 issue "sectigo.com"`)
			},
			wants: map[string]want{
				"SRV _imaps._tcp.fullfrontend.be": {Error, `"0 1 143 mail.fullfrontend.be"`},
				"CAA fullfrontend.be":             {Error, `issue \"sectigo.com\"`},
			},
		},
		{
			name: "CNAME pointing elsewhere",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.replace(t, "autoconfig.fullfrontend.be", dns.TypeCNAME, "autoconfig.fullfrontend.be. 3600 IN CNAME box.fullfrontend.be.")
			},
			wants: map[string]want{"CNAME autoconfig.fullfrontend.be": {Error, `answers "box.fullfrontend.be"`}},
		},
		{
			name: "a host pointing elsewhere at the authoritative servers",
			change: func(t *testing.T, auth, res *fakeDNS) {
				auth.replace(t, "n8n.fullfrontend.be", dns.TypeA, "n8n.fullfrontend.be. 300 IN A 203.0.113.7")
				res.replace(t, "n8n.fullfrontend.be", dns.TypeA, "n8n.fullfrontend.be. 300 IN A 203.0.113.7")
			},
			wants: map[string]want{"A n8n.fullfrontend.be": {Error, "points to 203.0.113.7, not to the load balancer lb.fullfrontend.be (127.0.0.1)"}},
		},
		{
			name: "a host without an A record",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.replace(t, "cloud.fullfrontend.be", dns.TypeA)
			},
			wants: map[string]want{"A cloud.fullfrontend.be": {Error, "no A record at the authoritative servers"}},
		},
		{
			name: "a host through a CNAME to the load balancer",
			change: func(t *testing.T, auth, _ *fakeDNS) {
				auth.replace(t, "cloud.fullfrontend.be", dns.TypeA, "cloud.fullfrontend.be. 300 IN CNAME lb.fullfrontend.be.")
			},
			wants: map[string]want{"A cloud.fullfrontend.be": {OK, "127.0.0.1"}},
		},
		{
			name: "the resolver still caches the old address",
			change: func(t *testing.T, _, res *fakeDNS) {
				res.replace(t, "cloud.fullfrontend.be", dns.TypeA, "cloud.fullfrontend.be. 300 IN A 203.0.113.9")
			},
			wants: map[string]want{"A cloud.fullfrontend.be": {Warning, "the resolver still answers 203.0.113.9 (cached)"}},
		},
		{
			name: "the load balancer name does not resolve",
			change: func(t *testing.T, _, res *fakeDNS) {
				res.replace(t, "lb.fullfrontend.be", dns.TypeA)
			},
			wants: map[string]want{
				"load balancer lb.fullfrontend.be": {Error, "no A record"},
				// Without the load balancer's address, hosts are not compared.
				"A fullfrontend.be":       {OK, "not compared"},
				"A n8n.fullfrontend.be":   {OK, "not compared"},
				"A cloud.fullfrontend.be": {OK, "not compared"},
				"A mail.fullfrontend.be":  {OK, "not compared"},
			},
		},
		{
			name: "answers too long for UDP come over TCP",
			change: func(_ *testing.T, auth, _ *fakeDNS) {
				auth.mu.Lock()
				auth.truncate = true
				auth.mu.Unlock()
			},
			wants: map[string]want{"TXT dkim._domainkey.fullfrontend.be": {OK, "v=DKIM1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			auth, res := dnsWorld(t)
			tt.change(t, auth, res)
			rep := runGroups(t, Options{Expect: testExpect(t), Resolver: res.addr, Authoritative: auth.addr}, GroupDNS)
			expectChecks(t, rep, []string{GroupDNS}, tt.wants)
			// 1 delegation + 7 records + 4 hosts (+1 when the LB fails).
			if n := len(rep.Checks); n < 12 {
				t.Errorf("%d checks, want at least 12:\n%s", n, dumpChecks(rep))
			}
		})
	}
}

// TestDNSAuthoritativeNotCache proves the records are asked without
// recursion: a resolver that only knows the answer from its cache must not
// be consulted for them.
func TestDNSAuthoritativeNotCache(t *testing.T) {
	t.Parallel()
	auth, res := dnsWorld(t)
	auth.replace(t, "fullfrontend.be", dns.TypeMX)
	rep := runGroups(t, Options{Expect: testExpect(t), Resolver: res.addr, Authoritative: auth.addr}, GroupDNS)
	expectChecks(t, rep, []string{GroupDNS}, map[string]want{"MX fullfrontend.be": {Error, "missing"}})
	auth.mu.Lock()
	defer auth.mu.Unlock()
	for _, q := range auth.queries {
		if strings.Contains(q, "MX fullfrontend.be.") {
			return
		}
	}
	t.Errorf("the authoritative server was never asked for the MX: %v", auth.queries)
}

// TestDNSServersDisagree runs the record check against two authoritative
// servers of which one has a stale zone: the check names that server.
func TestDNSServersDisagree(t *testing.T) {
	t.Parallel()
	good, _ := dnsWorld(t)
	stale := startDNS(t, true, "fullfrontend.be. 3600 IN MX 10 box.fullfrontend.be.")
	r := &runner{o: Options{Expect: testExpect(t), Timeout: 2 * time.Second}, dns: dnsClient{timeout: 2 * time.Second}}
	c := &checks{group: GroupDNS}
	servers := []nameServer{{name: "ns1.digitalocean.com", addr: good.addr}, {name: "ns2.digitalocean.com", addr: stale.addr}}
	r.checkRecord(t.Context(), c, servers, Record{DNSName: "fullfrontend.be", RecordType: "MX", Targets: []string{"10 mail.fullfrontend.be"}})
	if len(c.list) != 1 || c.list[0].Status != Error || !strings.HasPrefix(c.list[0].Detail, "ns2.digitalocean.com: answers") {
		t.Fatalf("want one error naming ns2, got %+v", c.list)
	}
	c.list = nil
	r.checkRecord(t.Context(), c, servers[:1], Record{DNSName: "fullfrontend.be", RecordType: "MX", Targets: []string{"10 mail.fullfrontend.be"}})
	if c.list[0].Status != OK {
		t.Fatalf("the good server alone: %+v", c.list)
	}
}

func TestDNSUnreachableResolver(t *testing.T) {
	t.Parallel()
	// Port 1 of the loopback: nothing listens, the query is refused.
	rep := runGroups(t, Options{Expect: testExpect(t), Resolver: "127.0.0.1:1", Authoritative: "127.0.0.1:1", Timeout: 300 * time.Millisecond}, GroupDNS)
	c := rep.Checks[0]
	if c.Name != "delegation fullfrontend.be" || c.Status != Error || !strings.Contains(c.Detail, "could not ask the resolver") {
		t.Fatalf("first check: %+v", c)
	}
}

func TestNormalizeAndUnescape(t *testing.T) {
	t.Parallel()
	tests := []struct{ rtype, in, want string }{
		{"MX", "10 Mail.FullFrontend.be.", "10 mail.fullfrontend.be"},
		{"SRV", "0 1 993 mail.fullfrontend.be.", "0 1 993 mail.fullfrontend.be"},
		{"CAA", `0 ISSUE "letsencrypt.org"`, `0 issue "letsencrypt.org"`},
		{"TXT", "v=spf1 MX -all", "v=spf1 MX -all"},
		{"A", " 192.0.2.1 ", "192.0.2.1"},
	}
	for _, tt := range tests {
		if got := normalizeTarget(tt.rtype, tt.in); got != tt.want {
			t.Errorf("normalizeTarget(%s, %q) = %q, want %q", tt.rtype, tt.in, got, tt.want)
		}
	}
	if got := unescapeTXT(`say \"hi\" \\ caf\195\169`); got != `say "hi" \ café` {
		t.Errorf("unescapeTXT: %q", got)
	}
}

// TestDNSNameServersFromTheResolver leaves out --authoritative: the
// doctor resolves the expected name servers and asks each of them.
func TestDNSNameServersFromTheResolver(t *testing.T) {
	t.Parallel()
	auth, res := dnsWorld(t)
	_, port, err := net.SplitHostPort(auth.addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	res.add(t, "ns1.digitalocean.com. 300 IN A 127.0.0.1", "ns2.digitalocean.com. 300 IN A 127.0.0.1")
	// ns3 does not resolve: it is reported, the others are still asked.
	rep := runGroups(t, Options{Expect: testExpect(t), Resolver: res.addr, authPort: p}, GroupDNS)
	expectChecks(t, rep, []string{GroupDNS}, map[string]want{
		"name server ns3.digitalocean.com": {Error, "cannot resolve it"},
		"MX fullfrontend.be":               {OK, "10 mail.fullfrontend.be"},
	})
	auth.mu.Lock()
	defer auth.mu.Unlock()
	mx := 0
	for _, q := range auth.queries {
		if strings.HasSuffix(q, "MX fullfrontend.be.") {
			mx++
		}
	}
	if mx != 2 {
		t.Errorf("the MX was asked %d times, want once per resolved name server (2): %v", mx, auth.queries)
	}
}
