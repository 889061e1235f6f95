package dnsmigrate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dkimKey is a 2048-bit RSA public key as a DKIM p= value would carry it
// (392 base64 characters): with its tags the record is longer than one
// 255-byte string, so Mail-in-a-Box writes it as several.
var dkimKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + strings.Repeat("q1w2e3r4t5y6u7i8o9p0", 17) + "AQAB"

// dkimValue is Mail-in-a-Box's DKIM record text.
var dkimValue = "v=DKIM1; h=sha256; k=rsa; s=email; p=" + dkimKey

// txtStrings splits text the way Mail-in-a-Box's write_nsd_zone does:
// 255-byte strings, with backslashes and quotes escaped.
func txtStrings(text string) string {
	var parts []string
	for len(text) > 0 {
		n := min(255, len(text))
		s := strings.ReplaceAll(text[:n], `\`, `\\`)
		parts = append(parts, `"`+strings.ReplaceAll(s, `"`, `\"`)+`"`)
		text = text[n:]
	}
	return strings.Join(parts, " ")
}

// miabZone is a zone file shaped like the one Mail-in-a-Box writes for
// fullfrontend.be with the box at box.fullfrontend.be (management/
// dns_update.py: $ORIGIN, $TTL 86400, SOA, NS ns1/ns2.<box>, relative names,
// the box's TLSA/SSHFP, MTA-STS, DAV SRV, no-mail guards on every name with
// an address), plus the operator's custom records: the apex and n8n on the
// Docker host, a site verification, a CAA, a shop CNAME, a wildcard with
// its own TTL, an SRV of a SaaS, a multi-string TXT with quotes, and a LOC
// record, a type DigitalOcean cannot serve.
func miabZone() string {
	guards := func(name string) string {
		return name + "\tIN\tTXT\t\"v=spf1 -all\"\n" +
			"_dmarc." + name + "\tIN\tTXT\t\"v=DMARC1; p=reject;\"\n" +
			name + "\tIN\tMX\t0 .\n"
	}
	return `
$ORIGIN fullfrontend.be.
$TTL 86400          ; default time to live

@ IN SOA ns1.box.fullfrontend.be. hostmaster.box.fullfrontend.be. (
           2026041501     ; serial number
           7200     ; Refresh (secondary nameserver update interval)
           3600     ; Retry (when refresh fails, how often to try again, should be lower than the refresh)
           1209600  ; Expire (when refresh fails, how long secondary nameserver will keep records around anyway)
           86400    ; Negative TTL (how long negative responses are cached)
           )
	IN	NS	ns1.box.fullfrontend.be.
	IN	NS	ns2.box.fullfrontend.be.
	IN	A	198.51.100.20
	IN	MX	10 box.fullfrontend.be.
	IN	TXT	"v=spf1 mx -all" 
	IN	TXT	"google-site-verification=Xy12-abcdEFGH_ijkl" 
	IN	CAA	0 issue "letsencrypt.org"
_caldavs._tcp	IN	SRV	0 0 443 box.fullfrontend.be.
_carddavs._tcp	IN	SRV	0 0 443 box.fullfrontend.be.
_dmarc	IN	TXT	"v=DMARC1; p=quarantine;" 
_mta-sts	IN	TXT	"v=STSv1; id=AbCdEfGhIjKlMnOpQrSt" 
_smtp._tls	IN	TXT	"v=TLSRPTv1; rua=mailto:tls-reports@fullfrontend.be" 
mail._domainkey	IN	TXT	` + txtStrings(dkimValue) + `
autoconfig	IN	A	198.51.100.7
` + guards("autoconfig") + `autodiscover	IN	A	198.51.100.7
` + guards("autodiscover") + `box	IN	A	198.51.100.7
box	IN	AAAA	2001:db8:0:0::7
box	IN	MX	10 box.fullfrontend.be.
box	IN	TXT	"v=spf1 mx -all" 
box	IN	SSHFP	1 2 ( 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF )
_25._tcp.box	IN	TLSA	3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_443._tcp.box	IN	TLSA	3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_dmarc.box	IN	TXT	"v=DMARC1; p=quarantine;" 
mail._domainkey.box	IN	TXT	` + txtStrings(dkimValue) + `
_mta-sts.box	IN	TXT	"v=STSv1; id=AbCdEfGhIjKlMnOpQrSt" 
mta-sts.box	IN	A	198.51.100.7
` + guards("mta-sts.box") + `ns1.box	IN	A	198.51.100.7
` + guards("ns1.box") + `ns2.box	IN	A	198.51.100.7
` + guards("ns2.box") + `mta-sts	IN	A	198.51.100.7
` + guards("mta-sts") + `www	IN	A	198.51.100.7
` + guards("www") + `n8n	IN	A	198.51.100.20
` + guards("n8n") + `Shop	IN	CNAME	Shops.MyShopify.com.
*.dev	300	IN	A	203.0.113.50
_sip._tls	3600	IN	SRV	100 1 443 sipdir.online.lync.com.
quoted	IN	TXT	"say \"hi\" to " "the world; it's \"quoted\""
office	IN	LOC	50 50 0.000 N 4 21 0.000 E 100m
`
}

// mailStage is how far the mail has moved when doctor.json is made.
type mailStage int

const (
	boxMail  mailStage = iota // no Mailu yet: the stack has only the zone's CAA
	dkimOnly                  // Mailu runs, mail_mx_switched false: only its DKIM key is published
	stackMX                   // Mailu receives: MX, SPF, DKIM, DMARC and SRV
)

// stackJSON is the stack's doctor output as stacks/platform writes it at
// each stage of the mail's move (the other keys of the output are there
// too, as the contract says, and ignored).
func stackJSON(stage mailStage) string {
	caa := map[string]any{"dnsName": "fullfrontend.be", "recordType": "CAA", "targets": []string{`0 issue "letsencrypt.org"`, `0 iodef "mailto:ops@fullfrontend.be"`}, "recordTTL": 3600}
	dkim := map[string]any{"dnsName": "dkim._domainkey.fullfrontend.be", "recordType": "TXT", "targets": []string{"v=DKIM1; k=rsa; p=MIIBnew"}, "recordTTL": 3600}
	s := map[string]any{
		"environment":            "prod",
		"root_domain":            "fullfrontend.be",
		"name_servers":           []string{"ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com"},
		"load_balancer_hostname": "lb.fullfrontend.be",
		"hosts":                  []string{"fullfrontend.be", "n8n.fullfrontend.be", "webhook.fullfrontend.be", "cloud.fullfrontend.be", "registry.fullfrontend.be", "grafana.fullfrontend.be"},
		"mail_host":              "",
		"dns_records":            []map[string]any{caa},
		"backups":                map[string]any{},
		"app_namespaces":         map[string]any{},
	}
	if stage >= dkimOnly {
		s["mail_host"] = "mail.fullfrontend.be"
		s["hosts"] = append(s["hosts"].([]string), "mail.fullfrontend.be", "autoconfig.fullfrontend.be", "autodiscover.fullfrontend.be")
		s["dns_records"] = []map[string]any{caa, dkim}
	}
	if stage == stackMX {
		s["hosts"] = append(s["hosts"].([]string), "mta-sts.fullfrontend.be")
		s["dns_records"] = []map[string]any{caa, dkim,
			{"dnsName": "_mta-sts.fullfrontend.be", "recordType": "TXT", "targets": []string{"v=STSv1; id=0123456789abcdef0123"}, "recordTTL": 3600},
			{"dnsName": "_smtp._tls.fullfrontend.be", "recordType": "TXT", "targets": []string{"v=TLSRPTv1; rua=mailto:postmaster@fullfrontend.be"}, "recordTTL": 3600},
			{"dnsName": "fullfrontend.be", "recordType": "MX", "targets": []string{"10 mail.fullfrontend.be"}, "recordTTL": 3600},
			{"dnsName": "fullfrontend.be", "recordType": "TXT", "targets": []string{"v=spf1 mx include:mailgun.org ~all"}, "recordTTL": 3600},
			{"dnsName": "_dmarc.fullfrontend.be", "recordType": "TXT", "targets": []string{"v=DMARC1; p=quarantine; pct=100; rua=mailto:postmaster@fullfrontend.be; adkim=r; aspf=r"}, "recordTTL": 3600},
			{"dnsName": "_submissions._tcp.fullfrontend.be", "recordType": "SRV", "targets": []string{"0 1 465 mail.fullfrontend.be"}, "recordTTL": 3600},
			{"dnsName": "_imaps._tcp.fullfrontend.be", "recordType": "SRV", "targets": []string{"0 1 993 mail.fullfrontend.be"}, "recordTTL": 3600},
			{"dnsName": "_autodiscover._tcp.fullfrontend.be", "recordType": "SRV", "targets": []string{"0 1 443 autodiscover.fullfrontend.be"}, "recordTTL": 3600},
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// files writes the inputs of a run into a fresh folder.
func files(t *testing.T, zone, stack string) Options {
	t.Helper()
	dir := t.TempDir()
	o := Options{ZoneFile: filepath.Join(dir, "fullfrontend.be.txt"), Expect: filepath.Join(dir, "doctor.json"), Out: filepath.Join(dir, "stacks", "platform", "dns-extra-records.auto.tfvars.json")}
	for p, s := range map[string]string{o.ZoneFile: zone, o.Expect: stack} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return o
}
