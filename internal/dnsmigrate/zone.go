package dnsmigrate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Record is one resource record of the old zone, its value written the way
// a DNSEndpoint target (and dns_extra_records) writes it: TXT the unquoted
// text with its strings joined, MX "pref host", SRV "prio weight port host",
// CAA `flags tag "value"`, host names lower-case without the trailing dot.
// Other types keep their presentation form, for the report.
type Record struct {
	Name  string // FQDN, lower-case, without the trailing dot
	Type  string
	TTL   uint32
	Value string
}

func (r Record) String() string { return r.Name + " " + r.Type + " " + show(r.Type, r.Value) }

// key is the record's identity: DNS holds a value once per name and type.
func (r Record) key() string { return r.Name + " " + r.Type + " " + r.Value }

// show writes a value for the report: TXT quoted (its spaces and quotes
// are part of it), long ones (DKIM keys) shortened.
func show(typ, v string) string {
	short := v
	if len(v) > 72 {
		short = v[:60]
	}
	if typ == "TXT" {
		short = strconv.Quote(short)
	}
	if len(v) > 72 {
		short += fmt.Sprintf("…(%d characters)", len(v))
	}
	return short
}

// Zone is a parsed zone file.
type Zone struct {
	Origin string // the apex, without the trailing dot
	// DefaultTTL is the file's $TTL (the last one), 0 without one: records
	// at that TTL carry no ttl of their own into dns_extra_records.
	DefaultTTL uint32
	Records    []Record
	// Duplicates counts records given twice (same name, type and value),
	// which a name server serves once and this list holds once.
	Duplicates int
}

// ParseZone reads a zone file in BIND format (Mail-in-a-Box's export) whose
// apex is origin: $ORIGIN, $TTL, relative names, parentheses and
// multi-string TXT records are understood; $INCLUDE is refused.
func ParseZone(r io.Reader, origin, file string) (*Zone, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read the zone file %s: %w", file, err)
	}
	origin = strings.TrimSuffix(strings.ToLower(origin), ".")
	z := &Zone{Origin: origin, DefaultTTL: lastTTLDirective(data)}
	zp := dns.NewZoneParser(bytes.NewReader(data), origin+".", file)
	zp.SetIncludeAllowed(false)
	seen := map[string]bool{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rec, err := recordOf(rr)
		if err != nil {
			return nil, fmt.Errorf("%s: %v: %w", file, rr, err)
		}
		if rec.Name != origin && !strings.HasSuffix(rec.Name, "."+origin) {
			return nil, fmt.Errorf("%s: %s is outside the zone %s: export the zone of %s from Mail-in-a-Box (or give --zone)", file, rec.Name, origin, origin)
		}
		if seen[rec.key()] {
			z.Duplicates++
			continue
		}
		seen[rec.key()] = true
		z.Records = append(z.Records, rec)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("parse the zone file %s: %w (is it Mail-in-a-Box's zone file export, BIND format?)", file, err)
	}
	if len(z.Records) == 0 {
		return nil, fmt.Errorf("the zone file %s holds no record: export it again from Mail-in-a-Box (System > External DNS, or /admin/dns/zonefile/%s)", file, origin)
	}
	return z, nil
}

// lastTTLDirective finds the value of the last $TTL line, which miekg/dns
// applies without telling which records took it.
func lastTTLDirective(data []byte) uint32 {
	var ttl uint32
	s := bufio.NewScanner(bytes.NewReader(data))
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) >= 2 && strings.EqualFold(f[0], "$TTL") {
			if v, ok := parseTTL(f[1]); ok {
				ttl = v
			}
		}
	}
	return ttl
}

// parseTTL reads a TTL in seconds or BIND units (1h30m, 1d, 2w).
func parseTTL(s string) (uint32, bool) {
	if v, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(v), true
	}
	var total, n uint64
	digits := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= '0' && c <= '9':
			n, digits = n*10+uint64(c-'0'), true
		case digits && strings.ContainsRune("smhdw", c):
			total += n * map[rune]uint64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}[c]
			n, digits = 0, false
		default:
			return 0, false
		}
	}
	if s == "" || digits || total > 1<<31 {
		return 0, false
	}
	return uint32(total), true
}

func host(s string) string {
	if s == "." {
		return "."
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

func recordOf(rr dns.RR) (Record, error) {
	h := rr.Header()
	rec := Record{Name: host(h.Name), Type: dns.TypeToString[h.Rrtype], TTL: h.Ttl}
	if rec.Type == "" {
		rec.Type = "TYPE" + strconv.Itoa(int(h.Rrtype))
	}
	switch v := rr.(type) {
	case *dns.A:
		rec.Value = v.A.String()
	case *dns.AAAA:
		rec.Value = v.AAAA.String()
	case *dns.CNAME:
		rec.Value = host(v.Target)
	case *dns.NS:
		rec.Value = host(v.Ns)
	case *dns.MX:
		rec.Value = fmt.Sprintf("%d %s", v.Preference, host(v.Mx))
	case *dns.SRV:
		rec.Value = fmt.Sprintf("%d %d %d %s", v.Priority, v.Weight, v.Port, host(v.Target))
	case *dns.TXT:
		var b strings.Builder
		for _, s := range v.Txt {
			u, err := unescape(s)
			if err != nil {
				return rec, err
			}
			b.WriteString(u)
		}
		rec.Value = b.String()
	case *dns.CAA:
		u, err := unescape(v.Value)
		if err != nil {
			return rec, err
		}
		rec.Value = fmt.Sprintf("%d %s %q", v.Flag, strings.ToLower(v.Tag), u)
	default:
		// The presentation form without the header, for the report.
		rec.Value = strings.TrimSpace(strings.TrimPrefix(rr.String(), h.String()))
	}
	return rec, nil
}

// unescape turns a character-string of miekg/dns's presentation form
// (\" \\ \DDD) into its bytes.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n, _ := strconv.Atoi(s[i+1 : i+4])
			if n > 255 {
				return "", fmt.Errorf("bad escape \\%s", s[i+1:i+4])
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		if i+1 < len(s) {
			b.WriteByte(s[i+1])
			i++
		}
	}
	return b.String(), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// highestTTL is the TTL caches may hold an answer of this zone for.
func (z *Zone) highestTTL() uint32 {
	var m uint32
	for _, r := range z.Records {
		m = max(m, r.TTL)
	}
	return m
}

// sortRecords orders records by name, type and value, for stable output.
func sortRecords(rs []Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Name != rs[j].Name {
			return rs[i].Name < rs[j].Name
		}
		if rs[i].Type != rs[j].Type {
			return rs[i].Type < rs[j].Type
		}
		return rs[i].Value < rs[j].Value
	})
}
