package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/dnsmigrate"
	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// dnsTestZone is a zone as Mail-in-a-Box exports it, with the kinds of
// records dns_extra_records must carry: TXT with quotes and split into
// strings, TXT longer than 255 characters, MX, CNAME, SRV, CAA, NS, a
// wildcard with its own TTL, AAAA.
func dnsTestZone() string {
	long := "v=DKIM1; k=rsa; p=" + strings.Repeat("A1b2C3d4E5", 39) // 408 characters
	return `$ORIGIN fullfrontend.be.
$TTL 86400
@ IN SOA ns1.box.fullfrontend.be. hostmaster.box.fullfrontend.be. ( 2026041501 7200 3600 1209600 86400 )
	IN	NS	ns1.box.fullfrontend.be.
	IN	NS	ns2.box.fullfrontend.be.
	IN	A	198.51.100.20
	IN	MX	10 box.fullfrontend.be.
	IN	TXT	"google-site-verification=Xy12-abcdEFGH_ijkl"
	IN	CAA	0 issue "letsencrypt.org"
	IN	CAA	0 iodef "mailto:security@fullfrontend.be"
box	IN	A	198.51.100.7
box	IN	AAAA	2001:db8::7
ns1.box	IN	A	198.51.100.7
ns2.box	IN	A	198.51.100.7
selector1._domainkey	IN	TXT	"` + long[:255] + `" "` + long[255:] + `"
quoted	IN	TXT	"say \"hi\" to " "the world"
shop	IN	CNAME	shops.myshopify.com.
_sip._tls	3600	IN	SRV	100 1 443 sipdir.online.lync.com.
_imaps._tcp	IN	SRV	0 1 993 box.fullfrontend.be.
lab	IN	NS	ns1.example.net.
lab	IN	NS	ns2.example.net.
*.dev	300	IN	A	203.0.113.50
dev	IN	CAA	0 issue "sectigo.com"
lists	IN	MX	10 mxa.eu.mailgun.org.
lists	IN	TXT	"v=spf1 include:mailgun.org ~all"
ipv6	IN	AAAA	2001:db8:0:0:0:0:0:42
`
}

// servedRecord is one record the plan serves: "name TYPE target" with its
// TTL.
type servedRecord struct {
	key string
	ttl float64
}

// TestDNSExtraRecordsThroughTheStack is the round trip of infra migrate
// dns against the real stack: the doctor output of a prod plan is its
// --expect; the file it writes from a Mail-in-a-Box zone, placed where the
// stack reads it (stacks/platform/dns-extra-records.auto.tfvars.json),
// passes the variable's validation; the second prod plan serves exactly the
// kept records and the stack's own, with the same targets: A, AAAA, CNAME,
// MX, TXT as DNSEndpoints that a real kube-apiserver accepts (a kept apex
// TXT in the same object as the stack's SPF), SRV, CAA, NS as
// digitalocean_record with their fields split out. Dev serves none.
func TestDNSExtraRecordsThroughTheStack(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	platform := initStack(t, e, "platform")
	in := t.TempDir()
	zoneFile, doctor := filepath.Join(in, "fullfrontend.be.txt"), filepath.Join(in, "doctor.json")
	if err := os.WriteFile(zoneFile, []byte(dnsTestZone()), 0o644); err != nil {
		t.Fatal(err)
	}
	stackRecords, skipped := planDoctor(t, platform, doctor)
	rep, err := dnsmigrate.Run(dnsmigrate.Options{ZoneFile: zoneFile, Expect: doctor,
		Out: filepath.Join(platform.dir, "dns-extra-records.auto.tfvars.json")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	kept := map[string]bool{}
	for _, d := range rep.Kept {
		k := d.Record.Name + " " + d.Record.Type + " " + d.Record.Value
		want[k], kept[strings.Fields(k)[1]] = true, true
	}
	for _, typ := range []string{"A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS"} {
		if !kept[typ] {
			t.Fatalf("test setup: the zone keeps no %s record: %v", typ, want)
		}
	}
	if len(rep.Managed) == 0 {
		t.Fatal("test setup: the stack replaces none of the zone's records")
	}
	for _, k := range stackRecords {
		want[k] = true
	}

	raw := platform.planJSON(t, "app_env=prod")
	p, err := planscan.Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]servedRecord{}
	var endpoints []planscan.Manifest
	for _, m := range p.Manifests {
		if m.Kind() != "DNSEndpoint" && !(m.Unknown && strings.Contains(m.Address, "dns_record")) {
			continue
		}
		if m.Unknown {
			t.Logf("%s: unknown at plan, not compared", m.Address)
			continue
		}
		endpoints = append(endpoints, m)
		spec, _ := m.Object["spec"].(map[string]any)
		eps, _ := spec["endpoints"].([]any)
		if len(eps) != 1 {
			t.Errorf("%s: %d endpoints, want one record set per object", m.Address, len(eps))
		}
		for _, x := range eps {
			ep, _ := x.(map[string]any)
			if skipped[fmt.Sprintf("%v %v", ep["dnsName"], ep["recordType"])] {
				continue
			}
			ttl := number(ep["recordTTL"])
			targets, _ := ep["targets"].([]any)
			for _, tg := range targets {
				k := fmt.Sprintf("%v %v %v", ep["dnsName"], ep["recordType"], tg)
				got[k] = servedRecord{k, ttl}
			}
		}
	}
	for _, r := range digitaloceanRecords(t, raw) {
		if !strings.HasPrefix(r.address, "digitalocean_record.dns[") {
			continue
		}
		k, err := r.asTarget()
		if err != nil {
			t.Errorf("%s: %v", r.address, err)
			continue
		}
		got[k] = servedRecord{k, r.TTL}
	}
	var missing, extra []string
	for k := range want {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("the plan does not serve the kept records as they are:\nmissing:\n  %s\nnot kept:\n  %s", strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
	}
	// TTL: the zone's $TTL gives way to dns_ttl (3600); a record's own TTL
	// stays.
	for k, ttl := range map[string]float64{"*.dev.fullfrontend.be A 203.0.113.50": 300, "lists.fullfrontend.be MX 10 mxa.eu.mailgun.org": 3600, "_sip._tls.fullfrontend.be SRV 100 1 443 sipdir.online.lync.com": 3600} {
		if got[k].ttl != ttl {
			t.Errorf("%s: TTL %v, want %v", k, got[k].ttl, ttl)
		}
	}
	if e := got["fullfrontend.be TXT google-site-verification=Xy12-abcdEFGH_ijkl"]; e.key == "" {
		t.Errorf("the kept apex TXT is not in the apex TXT record set")
	}
	t.Logf("%d kept records, %d of the stack: %d DNSEndpoints, %d records in all", len(rep.Kept), len(stackRecords), len(endpoints), len(got))
	ctx, c := crdCluster(t, testenv.Shared(t, "crds"))
	checkManifestsOnAPIServer(ctx, t, c, &planscan.Plan{Manifests: withNamespaces(p, endpoints)})

	dev, err := planscan.Load(platform.planJSON(t, "app_env=dev"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range dev.Manifests {
		if m.Kind() == "DNSEndpoint" {
			t.Errorf("dev has no public DNS, but its plan has %s", m.Address)
		}
	}
}

// planDoctor plans prod without extra records, writes the doctor output to
// path (the operator's doctor.json) and returns the stack's own records as
// "name TYPE target". Record sets with a target unknown at plan (none with
// the test inputs, but a generated DKIM key would be) are left out of
// doctor.json and returned in skipped, by "name TYPE".
func planDoctor(t *testing.T, s stack, path string) ([]string, map[string]bool) {
	t.Helper()
	var plan struct {
		OutputChanges map[string]struct {
			After json.RawMessage `json:"after"`
		} `json:"output_changes"`
	}
	if err := json.Unmarshal(s.planJSON(t, "app_env=prod"), &plan); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(plan.OutputChanges["doctor"].After, &doc); err != nil || doc == nil {
		t.Fatalf("the plan has no doctor output: %v", err)
	}
	var records []any
	var out []string
	skipped := map[string]bool{}
	list, _ := doc["dns_records"].([]any)
	for _, x := range list {
		r, _ := x.(map[string]any)
		targets, _ := r["targets"].([]any)
		known := len(targets) > 0
		for _, tg := range targets {
			known = known && tg != nil
		}
		if !known {
			skipped[fmt.Sprintf("%v %v", r["dnsName"], r["recordType"])] = true
			t.Logf("doctor output: %v %v unknown at plan, left out", r["dnsName"], r["recordType"])
			continue
		}
		records = append(records, r)
		for _, tg := range targets {
			out = append(out, fmt.Sprintf("%v %v %v", r["dnsName"], r["recordType"], tg))
		}
	}
	doc["dns_records"] = records
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out, skipped
}

// number reads a decoded YAML or JSON number.
func number(v any) float64 {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			return -1
		}
		return f
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return -1
}

// withNamespaces adds the plan's Namespace objects to ms, so the API
// server has the DNSEndpoints' namespace.
func withNamespaces(p *planscan.Plan, ms []planscan.Manifest) []planscan.Manifest {
	var out []planscan.Manifest
	for _, m := range p.Manifests {
		if m.Kind() == "Namespace" {
			out = append(out, m)
		}
	}
	return append(out, ms...)
}

// doRecord is a planned digitalocean_record.
type doRecord struct {
	address                      string
	Domain, Type, Name, Value    string
	Tag                          *string
	TTL                          float64
	Priority, Weight, Port, Flag *float64
}

func digitaloceanRecords(t *testing.T, planJSON []byte) []doRecord {
	t.Helper()
	var plan struct {
		PlannedValues struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Type    string         `json:"type"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal(planJSON, &plan); err != nil {
		t.Fatal(err)
	}
	var out []doRecord
	for _, r := range plan.PlannedValues.RootModule.Resources {
		if r.Type != "digitalocean_record" {
			continue
		}
		num := func(k string) *float64 {
			if v, ok := r.Values[k].(float64); ok {
				return &v
			}
			return nil
		}
		str := func(k string) string { s, _ := r.Values[k].(string); return s }
		d := doRecord{address: r.Address, Domain: str("domain"), Type: str("type"), Name: str("name"), Value: str("value"),
			Priority: num("priority"), Weight: num("weight"), Port: num("port"), Flag: num("flags")}
		if v, ok := r.Values["tag"].(string); ok {
			d.Tag = &v
		}
		if ttl := num("ttl"); ttl != nil {
			d.TTL = *ttl
		}
		out = append(out, d)
	}
	return out
}

// asTarget turns the record back into the "name TYPE target" form of a
// DNSEndpoint, checking the fields DigitalOcean's API wants: absolute host
// names and issuers, SRV priority/weight/port and CAA flags/tag as fields.
func (r doRecord) asTarget() (string, error) {
	if r.Domain != "fullfrontend.be" {
		return "", fmt.Errorf("domain %q", r.Domain)
	}
	name := r.Name + "." + r.Domain
	if r.Name == "@" {
		name = r.Domain
	}
	switch r.Type {
	case "SRV":
		if r.Priority == nil || r.Weight == nil || r.Port == nil || !strings.HasSuffix(r.Value, ".") {
			return "", fmt.Errorf("SRV needs priority, weight, port and an absolute target: %+v", r)
		}
		return fmt.Sprintf("%s SRV %d %d %d %s", name, int(*r.Priority), int(*r.Weight), int(*r.Port), strings.TrimSuffix(r.Value, ".")), nil
	case "CAA":
		// The API refuses an issuer without its root dot (422); the iodef
		// URL stays bare.
		if r.Flag == nil || r.Tag == nil || strings.ContainsAny(r.Value, "\" ") || strings.HasSuffix(r.Value, ".") == (*r.Tag == "iodef") {
			return "", fmt.Errorf("CAA needs flags, tag and an unquoted value, absolute for an issuer: %+v", r)
		}
		return fmt.Sprintf("%s CAA %d %s %q", name, int(*r.Flag), *r.Tag, strings.TrimSuffix(r.Value, ".")), nil
	case "NS":
		if !strings.HasSuffix(r.Value, ".") || r.Priority != nil {
			return "", fmt.Errorf("NS needs an absolute target only: %+v", r)
		}
		return name + " NS " + strings.TrimSuffix(r.Value, "."), nil
	}
	return "", fmt.Errorf("type %s belongs in a DNSEndpoint (external-dns manages it)", r.Type)
}

// TestDNSExtraRecordsRefusedAtPlan: each entry breaks one rule of
// dns_extra_records (variables.tf) or of dns.tf's preconditions, and the
// plan must fail saying what to write instead. The valid records of the
// round trip above pass the same rules.
func TestDNSExtraRecordsRefusedAtPlan(t *testing.T) {
	t.Parallel()
	e := tofutest.Setup(t)
	platform := initStack(t, e, "platform")
	tests := []struct {
		name, records, want string
	}{
		{"TXT too long", `{ k = { name = "x", type = "TXT", targets = ["` + strings.Repeat("a", 501) + `"] } }`, "1 to 500 characters without backslash"},
		{"null MX", `{ nomail = { name = "www", type = "MX", targets = ["0 ."] } }`, `dns_extra_records: nomail: an MX target is "<preference 0-65535> <full host name without trailing dot>"`},
		{"absolute name", `{ www = { name = "www.fullfrontend.be", type = "A", targets = ["198.51.100.7"] } }`, `not "www.fullfrontend.be"`},
		{"type DigitalOcean lacks", `{ tlsa = { name = "_25._tcp.box", type = "TLSA", targets = ["3 1 1 ab"] } }`, `tlsa (type "TLSA"): type must be A, AAAA, CNAME, MX, TXT, SRV, CAA or NS`},
		{"SRV on port 0", `{ srv = { name = "_imap._tcp", type = "SRV", targets = ["0 0 0 mail.fullfrontend.be"] } }`, "DigitalOcean refuses port 0"},
		{"AAAA not in short form", `{ v6 = { name = "ipv6", type = "AAAA", targets = ["2001:DB8:0:0::42"] } }`, "such as 2001:db8::10"},
		{"CNAME beside another record", `{ a = { name = "shop", type = "CNAME", targets = ["shops.myshopify.com"] }, b = { name = "shop", type = "TXT", targets = ["x"] } }`, "a name with a CNAME can hold no other record"},
		{"a host of the stack", `{ n8n = { name = "n8n", type = "A", targets = ["198.51.100.20"] } }`, "n8n.fullfrontend.be is a host of the stack"},
		// Two CAA targets are two DigitalOcean records: still one message.
		{"a host of the stack with two records", `{ caa = { name = "n8n", type = "CAA", targets = ["0 issue \"a.example\"", "0 issue \"b.example\""] } }`, "n8n.fullfrontend.be is a host of the stack"},
		// Mail-in-a-Box's SPF kept while the stack publishes Mailu's.
		{"a second SPF record", `{ spf = { name = "@", type = "TXT", targets = ["v=spf1 mx -all"] } }`, `fullfrontend.be gets 2 SPF records (v=spf1) from the stack and dns_extra_records["spf"]`},
		{"a second MX", `{ mx = { name = "@", type = "MX", targets = ["10 box.fullfrontend.be"] } }`, `fullfrontend.be gets MX records from the stack and from dns_extra_records["mx"]`},
		{"bad key", `{ "Google Verification" = { name = "@", type = "TXT", targets = ["x"] } }`, `key "Google Verification": a key is 1-63 lower-case letters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := platform.run(t, "plan", "-input=false", "-var", "app_env=prod", "-var", "dns_extra_records="+tt.records)
			if code == 0 {
				t.Fatalf("plan with %s succeeded", tt.records)
			}
			// Once: the operator reads each problem in one wording.
			if n := strings.Count(strings.Join(strings.Fields(out), " "), tt.want); n != 1 {
				t.Fatalf("the error says %q %d times, want once:\n%s", tt.want, n, out)
			}
		})
	}
}
