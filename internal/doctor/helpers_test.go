package doctor

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// The stack's output for the tests, in the contract's shape.
var testExpectJSON = `{
  "environment": "prod",
  "root_domain": "fullfrontend.be",
  "name_servers": ["ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com"],
  "load_balancer_hostname": "lb.fullfrontend.be",
  "hosts": ["fullfrontend.be", "n8n.fullfrontend.be", "cloud.fullfrontend.be", "mail.fullfrontend.be"],
  "mail_host": "mail.fullfrontend.be",
  "dns_records": [
    {"dnsName": "fullfrontend.be", "recordType": "MX", "targets": ["10 mail.fullfrontend.be"], "recordTTL": 3600},
    {"dnsName": "fullfrontend.be", "recordType": "TXT", "targets": ["v=spf1 mx a:mail.fullfrontend.be include:relay.example -all"], "recordTTL": 3600},
    {"dnsName": "dkim._domainkey.fullfrontend.be", "recordType": "TXT", "targets": ["` + testDKIM + `"], "recordTTL": 3600},
    {"dnsName": "_dmarc.fullfrontend.be", "recordType": "TXT", "targets": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@fullfrontend.be"], "recordTTL": 3600},
    {"dnsName": "autoconfig.fullfrontend.be", "recordType": "CNAME", "targets": ["mail.fullfrontend.be"], "recordTTL": 3600},
    {"dnsName": "_imaps._tcp.fullfrontend.be", "recordType": "SRV", "targets": ["0 1 993 mail.fullfrontend.be"], "recordTTL": 3600},
    {"dnsName": "fullfrontend.be", "recordType": "CAA", "targets": ["0 issue \"letsencrypt.org\""], "recordTTL": 3600}
  ],
  "backups": {
    "s3": {"endpoint": "https://fra1.digitaloceanspaces.com", "bucket": "fullfrontend-backups", "region": "fra1"},
    "databases": [
      {"engine": "postgres", "namespace": "data", "backup_cronjob": "postgres-backup",
       "restore_check_cronjob": "postgres-restore-check", "s3_prefix": "db/postgres/"}
    ],
    "velero_namespace": "infra",
    "velero_schedules": ["registry-daily"]
  },
  "app_namespaces": {"registry": "registry", "wordpress": "wordpress"}
}`

// testDKIM is longer than one TXT string (255 bytes), as a real 2048-bit key.
var testDKIM = "v=DKIM1; k=rsa; p=" + strings.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 9) + "IDAQAB"

func testExpect(t *testing.T) Expect {
	t.Helper()
	e, err := ParseExpect([]byte(testExpectJSON))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fakeDNS is a DNS server on 127.0.0.1 (UDP and TCP on one port) that
// answers from records a test sets. auth marks its answers authoritative;
// otherwise it plays a recursive resolver.
type fakeDNS struct {
	addr string
	auth bool

	mu       sync.Mutex
	rrs      map[string][]dns.RR // lower-case FQDN -> records
	truncate bool                // set TC on UDP answers, to force TCP
	queries  []string            // "udp A name." as received
}

func startDNS(t *testing.T, auth bool, records ...string) *fakeDNS {
	t.Helper()
	f := &fakeDNS{auth: auth, rrs: map[string][]dns.RR{}}
	f.add(t, records...)
	var pc net.PacketConn
	var l net.Listener
	for attempt := 0; ; attempt++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		// The same port for TCP; another process may hold it, so retry.
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if attempt == 5 {
			t.Fatalf("no free UDP+TCP port: %v", err)
		}
	}
	f.addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: f}
	tcp := &dns.Server{Listener: l, Handler: f}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	})
	return f
}

// add parses records in zone-file syntax and adds them.
func (f *fakeDNS) add(t *testing.T, records ...string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("record %q: %v", s, err)
		}
		f.addRR(rr)
	}
}

func (f *fakeDNS) addRR(rr dns.RR) {
	name := strings.ToLower(rr.Header().Name)
	f.rrs[name] = append(f.rrs[name], rr)
}

// replace drops the records of name/type, then adds the given ones.
func (f *fakeDNS) replace(t *testing.T, name string, qtype uint16, records ...string) {
	t.Helper()
	f.mu.Lock()
	key := strings.ToLower(dns.Fqdn(name))
	f.rrs[key] = slices.DeleteFunc(f.rrs[key], func(rr dns.RR) bool { return rr.Header().Rrtype == qtype })
	if len(f.rrs[key]) == 0 {
		delete(f.rrs, key)
	}
	f.mu.Unlock()
	f.add(t, records...)
}

func (f *fakeDNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = f.auth
	m.RecursionAvailable = !f.auth
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	f.mu.Lock()
	f.queries = append(f.queries, fmt.Sprintf("%s %s %s", w.RemoteAddr().Network(), dns.TypeToString[q.Qtype], name))
	all, exists := f.rrs[name]
	for _, rr := range all {
		if rr.Header().Rrtype == q.Qtype {
			m.Answer = append(m.Answer, rr)
		}
	}
	if len(m.Answer) == 0 && q.Qtype != dns.TypeCNAME {
		for _, rr := range all {
			if c, ok := rr.(*dns.CNAME); ok {
				m.Answer = append(m.Answer, c)
				for _, t := range f.rrs[strings.ToLower(c.Target)] {
					if t.Header().Rrtype == q.Qtype {
						m.Answer = append(m.Answer, t)
					}
				}
			}
		}
	}
	truncate := f.truncate && w.RemoteAddr().Network() == "udp"
	f.mu.Unlock()
	if !exists {
		m.Rcode = dns.RcodeNameError
	}
	if truncate {
		m.Answer = nil
		m.Truncated = true
	}
	_ = w.WriteMsg(m)
}

// goodZone is the authoritative zone as the stack wants it.
func goodZone() []string {
	return []string{
		"fullfrontend.be. 3600 IN MX 10 mail.fullfrontend.be.",
		`fullfrontend.be. 3600 IN TXT "v=spf1 mx a:mail.fullfrontend.be include:relay.example -all"`,
		`_dmarc.fullfrontend.be. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@fullfrontend.be"`,
		"autoconfig.fullfrontend.be. 3600 IN CNAME mail.fullfrontend.be.",
		"_imaps._tcp.fullfrontend.be. 3600 IN SRV 0 1 993 mail.fullfrontend.be.",
		`fullfrontend.be. 3600 IN CAA 0 issue "letsencrypt.org"`,
		"fullfrontend.be. 300 IN A 127.0.0.1",
		"lb.fullfrontend.be. 300 IN A 127.0.0.1",
		"n8n.fullfrontend.be. 300 IN A 127.0.0.1",
		"cloud.fullfrontend.be. 300 IN A 127.0.0.1",
		"mail.fullfrontend.be. 300 IN A 127.0.0.1",
	}
}

// dkimRR is the DKIM record split into 255-byte strings, as servers send it.
func dkimRR(text string) dns.RR {
	var chunks []string
	for len(text) > 255 {
		chunks = append(chunks, text[:255])
		text = text[255:]
	}
	chunks = append(chunks, text)
	return &dns.TXT{Hdr: dns.RR_Header{Name: "dkim._domainkey.fullfrontend.be.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 3600}, Txt: chunks}
}

// goodResolver is what a recursive resolver answers for a healthy setup.
func goodResolver() []string {
	return []string{
		"fullfrontend.be. 3600 IN NS ns1.digitalocean.com.",
		"fullfrontend.be. 3600 IN NS ns2.digitalocean.com.",
		"fullfrontend.be. 3600 IN NS ns3.digitalocean.com.",
		"lb.fullfrontend.be. 300 IN A 127.0.0.1",
		"fullfrontend.be. 300 IN A 127.0.0.1",
		"n8n.fullfrontend.be. 300 IN A 127.0.0.1",
		"cloud.fullfrontend.be. 300 IN A 127.0.0.1",
		"mail.fullfrontend.be. 300 IN A 127.0.0.1",
		"1.0.0.127.in-addr.arpa. 300 IN PTR mail.fullfrontend.be.",
	}
}

// dnsWorld starts an authoritative server with the good zone and a
// resolver with good answers.
func dnsWorld(t *testing.T) (auth, res *fakeDNS) {
	t.Helper()
	auth = startDNS(t, true, goodZone()...)
	auth.mu.Lock()
	auth.addRR(dkimRR(testDKIM))
	auth.mu.Unlock()
	res = startDNS(t, false, goodResolver()...)
	return auth, res
}

// want is the expected outcome of one check: its status and a piece of its
// detail.
type want struct {
	status Status
	detail string
}

// expectChecks asserts the named checks and that every other check of the
// given groups is ok, so a case proves exactly the failure it provokes.
func expectChecks(t *testing.T, rep *Report, groups []string, wants map[string]want) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range rep.Checks {
		if !slices.Contains(groups, c.Group) {
			continue
		}
		w, named := wants[c.Name]
		if !named {
			if c.Status != OK {
				t.Errorf("check %q: %s %q (fix %q), want ok", c.Name, c.Status, c.Detail, c.Fix)
			}
			continue
		}
		seen[c.Name] = true
		if c.Status != w.status || !strings.Contains(c.Detail, w.detail) {
			t.Errorf("check %q: %s %q, want %s with %q", c.Name, c.Status, c.Detail, w.status, w.detail)
		}
		if c.Status != OK && c.Fix == "" {
			t.Errorf("check %q is %s without a fix", c.Name, c.Status)
		}
	}
	for name := range wants {
		if !seen[name] {
			t.Errorf("no check named %q in the report:\n%s", name, dumpChecks(rep))
		}
	}
}

func dumpChecks(rep *Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		fmt.Fprintf(&b, "  %s | %s | %s | %s\n", c.Group, c.Name, c.Status, c.Detail)
	}
	return b.String()
}
