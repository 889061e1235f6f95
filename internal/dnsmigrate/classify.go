package dnsmigrate

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Verdict is what becomes of one record of the old zone.
type Verdict int

const (
	// Managed: the stack serves that name and type itself; its value
	// replaces the old one.
	Managed Verdict = iota + 1
	// Dropped: left behind on purpose (Mail-in-a-Box's own machinery, or
	// what DigitalOcean DNS cannot hold), with the reason.
	Dropped
	// Kept: an extra record, written into dns_extra_records.
	Kept
)

func (v Verdict) String() string {
	switch v {
	case Managed:
		return "replaced by the stack"
	case Dropped:
		return "dropped"
	case Kept:
		return "kept"
	}
	return "unclassified"
}

// Decision is the verdict on one record.
type Decision struct {
	Index   int // the record's index in Zone.Records
	Record  Record
	Verdict Verdict
	Reason  string
	// With is what the stack serves instead (Managed).
	With []string
	// Box: the record names or points at Mail-in-a-Box; a kept one stops
	// working when the box is shut down.
	Box bool
	// Unservable: a record of the operator's that DigitalOcean DNS cannot
	// hold (Dropped): it needs a decision.
	Unservable bool
}

// Classification sorts every record of a zone into the three lists.
type Classification struct {
	Managed, Dropped, Kept []Decision
}

// classifier is replaceable in tests, to prove the accounting catches a
// record that ends up in no list or in two.
type classifier func(z *Zone, v *stackView, b boxInfo) Classification

// boxInfo is the Mail-in-a-Box server the zone comes from.
type boxInfo struct {
	name  string          // its host name (PRIMARY_HOSTNAME), "" when unknown
	addrs map[string]bool // its A and AAAA addresses
}

// findBox reads the box's host name from the SOA (ns1.<box>, as
// Mail-in-a-Box writes it) or the apex NS records, unless given.
func findBox(z *Zone, override string) boxInfo {
	b := boxInfo{name: host(override), addrs: map[string]bool{}}
	if b.name == "" || b.name == "." {
		b.name = ""
		for _, r := range z.Records {
			if r.Name != z.Origin || (r.Type != "SOA" && r.Type != "NS") {
				continue
			}
			f := strings.Fields(r.Value)
			if len(f) > 0 && strings.HasPrefix(host(f[0]), "ns1.") {
				b.name = strings.TrimPrefix(host(f[0]), "ns1.")
				break
			}
		}
	}
	for _, r := range z.Records {
		if b.name != "" && r.Name == b.name && (r.Type == "A" || r.Type == "AAAA") {
			b.addrs[r.Value] = true
		}
	}
	return b
}

// pointsAt: r is named under the box, or its value is the box's address or
// host name.
func (b boxInfo) pointsAt(r Record) bool {
	if b.name == "" {
		return false
	}
	if r.Name == b.name || strings.HasSuffix(r.Name, "."+b.name) {
		return true
	}
	switch r.Type {
	case "A", "AAAA":
		return b.addrs[r.Value]
	case "CNAME", "NS":
		return r.Value == b.name
	case "MX", "SRV":
		f := strings.Fields(r.Value)
		return len(f) > 0 && f[len(f)-1] == b.name
	}
	return false
}

var dnssecTypes = map[string]bool{"DS": true, "DNSKEY": true, "RRSIG": true, "NSEC": true, "NSEC3": true, "NSEC3PARAM": true, "CDS": true, "CDNSKEY": true}

// servedTypes are the record types the stack can serve (dns_extra_records).
var servedTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true, "MX": true, "TXT": true, "SRV": true, "CAA": true, "NS": true}

// classifyZone is the classifier.
func classifyZone(z *Zone, v *stackView, b boxInfo) Classification {
	ds := make([]Decision, len(z.Records))
	for i, r := range z.Records {
		ds[i] = decide(r, v, b)
		ds[i].Index, ds[i].Record, ds[i].Box = i, r, b.pointsAt(r)
	}
	dropOrphanGuards(ds, v)
	var c Classification
	for _, d := range ds {
		switch d.Verdict {
		case Managed:
			c.Managed = append(c.Managed, d)
		case Dropped:
			c.Dropped = append(c.Dropped, d)
		case Kept:
			c.Kept = append(c.Kept, d)
		}
	}
	return c
}

func managed(with []string, reason string) Decision {
	return Decision{Verdict: Managed, With: with, Reason: reason}
}

func dropped(format string, args ...any) Decision {
	return Decision{Verdict: Dropped, Reason: fmt.Sprintf(format, args...)}
}

// decide applies the rules in order: Mail-in-a-Box's machinery the new
// zone has no use for, then the names and types the stack serves itself,
// then the box's mail records (which give way only once the stack handles
// mail), then what DigitalOcean cannot hold; the rest is kept.
func decide(r Record, v *stackView, b boxInfo) Decision {
	rel := relName(r.Name, v.root)
	switch {
	case r.Type == "SOA":
		return dropped("the zone's SOA: DigitalOcean DNS writes its own")
	case r.Type == "NS" && r.Name == v.root:
		return dropped("Mail-in-a-Box's name server: the registrar will delegate the zone to DigitalOcean's")
	case dnssecTypes[r.Type]:
		return dropped("DNSSEC data: DigitalOcean DNS does not sign zones (remove the DS record at the registrar before the switch)")
	case r.Type == "TLSA":
		return dropped("DANE for the box: DigitalOcean DNS has no TLSA records, and DANE needs a signed zone")
	case r.Type == "SSHFP":
		return dropped("SSH fingerprint of the box: DigitalOcean DNS has no SSHFP records, and they need a signed zone")
	case b.name != "" && (r.Name == "ns1."+b.name || r.Name == "ns2."+b.name):
		return dropped("the box as a name server: DigitalOcean's name servers take over")
	}

	// The stack's own names.
	web := []string{"A to the load balancer (" + v.lb + ")"}
	switch {
	case r.Name == v.root && (r.Type == "A" || r.Type == "AAAA" || r.Type == "CNAME"):
		reason := "the apex points at the load balancer"
		if r.Type == "AAAA" {
			reason = "the stack serves the apex over IPv4 only; an AAAA would keep IPv6 visitors on the old server"
		}
		return managed(web, reason)
	case v.hosts[r.Name]:
		with := []string{"CNAME to " + v.lb + " (external-dns, from the ingress)"}
		if r.Name == v.lb {
			with = web
		}
		switch r.Type {
		case "A", "CNAME":
			return managed(with, "a host of the stack")
		case "AAAA":
			return managed(with, "a host of the stack, served over IPv4 only; an AAAA would keep IPv6 visitors on the old server")
		}
		return dropped("%s is a host of the stack (%s), which shares its name with no other record", r.Name, with[0])
	}
	if types := v.names[r.Name]; len(types) > 0 {
		switch {
		case slices.Contains(types, "CNAME") && (r.Type == "CNAME" || r.Type == "A" || r.Type == "AAAA"):
			if r.Type == "CNAME" {
				return managed(v.sets[r.Name+" CNAME"], "the stack's CNAME")
			}
			return managed(prefixed("CNAME ", v.sets[r.Name+" CNAME"]), "the stack's CNAME")
		case slices.Contains(types, "CNAME"):
			return dropped("the stack gives %s a CNAME (to %s), which shares its name with no other record", r.Name, strings.Join(v.sets[r.Name+" CNAME"], ", "))
		case r.Type == "CNAME":
			return managed(stackSets(v, r.Name), "the stack serves other records at this name, which a CNAME cannot share")
		}
		if targets, ok := v.sets[r.Name+" "+r.Type]; ok {
			if r.Type != "TXT" {
				return managed(targets, "the stack's record set")
			}
			// TXT sets hold unrelated values: only the one with the same
			// purpose is replaced (the stack's SPF replaces the old SPF, a
			// site verification stays, merged into the stack's set).
			p := txtPurpose(r.Name, r.Value)
			for _, t := range targets {
				if txtPurpose(r.Name, t) == p {
					return managed([]string{t}, "the stack's "+p+" record")
				}
			}
		}
	}

	// Mail-in-a-Box's mail records: they stay while the box gets the mail.
	keep := Decision{Verdict: Kept}
	if b.name != "" {
		underBox := r.Name == b.name || strings.HasSuffix(r.Name, "."+b.name)
		first, _, _ := strings.Cut(rel, ".")
		switch {
		case !v.mail && b.pointsAt(r):
			keep.Reason = "the box still serves it (the stack publishes no MX for " + v.root + " yet: the box receives the mail); run infra migrate dns again once the stack does"
		case !v.mail:
		case underBox:
			return dropped("Mail-in-a-Box's own host name: the stack handles mail at %s", v.mailHost)
		case r.Type == "MX" && b.pointsAt(r):
			return dropped("%s received its mail at the box; the stack has no MX for it (add one to dns_extra_records if it still gets mail)", r.Name)
		case r.Type == "TXT" && strings.HasPrefix(rel, "mail._domainkey"):
			return dropped("Mail-in-a-Box's DKIM key (selector mail): the stack's mail server signs with its own key")
		case first == "_mta-sts" || strings.HasPrefix(rel, "_smtp._tls") || (first == "mta-sts" && b.pointsAt(r)):
			return dropped("MTA-STS of the box's mail (its policy is served by the box): publish the stack's own once its mail server serves a policy")
		case (first == "autoconfig" || first == "autodiscover") && b.pointsAt(r):
			return dropped("mail client autoconfiguration served by the box")
		case r.Type == "SRV" && b.pointsAt(r) && (strings.HasPrefix(rel, "_caldavs.") || strings.HasPrefix(rel, "_carddavs.") || strings.HasPrefix(rel, "_caldav.") || strings.HasPrefix(rel, "_carddav.")):
			return dropped("CalDAV/CardDAV discovery pointing at the box: clients use Nextcloud's address instead (docs/migration-dav.md)")
		}
	}

	if why, mine := unservable(r, rel); why != "" {
		d := dropped("%s", why)
		d.Unservable = mine
		return d
	}
	return keep
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// stackSets lists the stack's record sets at name, for the report.
func stackSets(v *stackView, name string) []string {
	var out []string
	for _, t := range v.names[name] {
		for _, x := range v.sets[name+" "+t] {
			out = append(out, t+" "+x)
		}
	}
	return out
}

// dropOrphanGuards drops Mail-in-a-Box's "no mail here" records (SPF
// "v=spf1 -all", DMARC "p=reject") of names that no longer have an address
// in the new zone: a name that does not exist cannot be spoofed.
func dropOrphanGuards(ds []Decision, v *stackView) {
	for i, d := range ds {
		r := d.Record
		if d.Verdict != Kept || r.Type != "TXT" {
			continue
		}
		owner := ""
		switch {
		case r.Value == "v=spf1 -all":
			owner = r.Name
		case strings.HasPrefix(r.Name, "_dmarc.") && strings.HasPrefix(r.Value, "v=DMARC1; p=reject"):
			owner = strings.TrimPrefix(r.Name, "_dmarc.")
		default:
			continue
		}
		// The name counts as alive through records other than its guards.
		hasOther := false
		for _, o := range ds {
			if o.Verdict == Kept && o.Record.Name == owner && !(o.Record.Type == "TXT" && o.Record.Value == "v=spf1 -all") {
				hasOther = true
			}
		}
		if owner != v.root && !v.hosts[owner] && len(v.names[owner]) == 0 && !hasOther {
			ds[i].Verdict = Dropped
			ds[i].Reason = fmt.Sprintf("Mail-in-a-Box's no-mail guard of %s, which no longer exists in the new zone", owner)
		}
	}
}

// txtPurpose is what a TXT value is for: its version tag (v=spf1,
// v=DMARC1...), DKIM under _domainkey, the key of key=value tokens
// (google-site-verification), else the value itself.
func txtPurpose(name, v string) string {
	l := strings.ToLower(strings.TrimSpace(v))
	if strings.Contains(name, "._domainkey.") || strings.HasPrefix(name, "_domainkey.") {
		return "DKIM"
	}
	if strings.HasPrefix(l, "v=") {
		tag, _, _ := strings.Cut(l, ";")
		tag, _, _ = strings.Cut(tag, " ")
		return strings.TrimSpace(tag)
	}
	if k, _, ok := strings.Cut(l, "="); ok && k != "" && !strings.ContainsAny(k, " ;") {
		return k
	}
	return l
}

// relName is name relative to root: "@" for the apex.
func relName(name, root string) string {
	if name == root {
		return "@"
	}
	return strings.TrimSuffix(name, "."+root)
}

// The forms stacks/platform's dns_extra_records accepts (variables.tf).
var (
	relNameRe = regexp.MustCompile(`^(\*|(\*\.)?[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*)$`)
	hostRe    = regexp.MustCompile(`^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	srvNameRe = regexp.MustCompile(`^_[a-z0-9-]+\._[a-z0-9-]+(\..+)?$`)
)

// maxTXT is the longest TXT text DigitalOcean takes (it splits it into
// 255-byte strings itself).
const maxTXT = 500

// unservable says why DigitalOcean DNS cannot hold r ("" when it can), and
// whether that is a record of the operator's (not one of Mail-in-a-Box's
// own, which are expected there) that needs a decision.
func unservable(r Record, rel string) (string, bool) {
	if !servedTypes[r.Type] {
		return fmt.Sprintf("cannot be served: DigitalOcean DNS has no %s records", r.Type), true
	}
	if rel != "@" && (!relNameRe.MatchString(rel) || len(rel) > 200) {
		return "cannot be served: DigitalOcean DNS does not accept this name", true
	}
	f := strings.Fields(r.Value)
	switch r.Type {
	case "MX":
		if len(f) == 2 && f[1] == "." {
			return `null MX ("no mail here", RFC 7505): DigitalOcean refuses the target "."; the name's SPF and DMARC records still refuse spoofed mail`, false
		}
		if len(f) != 2 || !hostRe.MatchString(f[1]) {
			return "cannot be served: MX target " + r.Value + " is not a host name", true
		}
	case "TXT":
		switch {
		case r.Value == "":
			return "cannot be served: DigitalOcean refuses an empty TXT record", true
		case len(r.Value) > maxTXT:
			return fmt.Sprintf("cannot be served: %d characters of text, DigitalOcean takes at most %d (a DKIM key of 4096 bits? publish a 2048-bit one)", len(r.Value), maxTXT), true
		case strings.Contains(r.Value, `\`):
			return "cannot be served: DigitalOcean refuses a backslash in a TXT record", true
		case !utf8.ValidString(r.Value):
			return "cannot be served: the text is not UTF-8", true
		}
	case "SRV":
		if len(f) != 4 {
			return "cannot be served: bad SRV value", true
		}
		if port, _ := strconv.Atoi(f[2]); port == 0 || f[3] == "." {
			return `SRV "service not offered" (port 0 or target "."): DigitalOcean refuses it; clients find no such service either way`, false
		}
		if !hostRe.MatchString(f[3]) || !srvNameRe.MatchString(rel) {
			return "cannot be served: an SRV record is _service._protocol with a host name target", true
		}
	case "CAA":
		if len(f) < 3 || !slices.Contains([]string{"issue", "issuewild", "iodef"}, f[1]) {
			return "cannot be served: DigitalOcean knows only the CAA tags issue, issuewild and iodef", true
		}
		if v, err := strconv.Unquote(strings.Join(f[2:], " ")); err != nil || len(f) > 3 || strings.ContainsAny(v, "\t\"") {
			return "cannot be served: DigitalOcean refuses spaces or quotes in a CAA value", true
		}
	case "AAAA":
		if !strings.Contains(r.Value, ":") {
			return "cannot be served: an IPv4-mapped address in an AAAA record", true
		}
	case "CNAME", "NS":
		if !hostRe.MatchString(r.Value) {
			return "cannot be served: target " + r.Value + " is not a host name", true
		}
		if rel == "@" {
			return "cannot be served at the apex", true
		}
	}
	return "", false
}
