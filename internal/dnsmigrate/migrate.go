// Package dnsmigrate moves the zone of the root domain from Mail-in-a-Box,
// its authoritative DNS today, to DigitalOcean DNS as the platform serves
// it (infra migrate dns), so that no record of the operator's is lost.
//
// It reads the zone file Mail-in-a-Box exports (BIND format) and what the
// stack serves itself (doctor.json, the `doctor` output of
// stacks/platform: the ingress hosts and the stack's own record sets), and
// sorts every record of the zone into exactly one of three lists:
//   - replaced by the stack: the stack serves that name and type (the apex
//     and the ingress hosts point at the load balancer; MX, SPF, DKIM,
//     DMARC... once the stack has them), with the old and new values;
//   - dropped on purpose, each with its reason: the box's SOA and NS, its
//     name server addresses, DNSSEC data, TLSA and SSHFP (DigitalOcean
//     serves neither, and both need a signed zone), and, once the stack
//     receives the mail, the box's own mail records (its host name, DKIM
//     selector "mail", MTA-STS, autoconfiguration, DAV discovery); records
//     DigitalOcean cannot hold (null MX...), flagged when they are the
//     operator's;
//   - kept: everything else, written as dns_extra_records entries into a
//     tfvars JSON file that stacks/platform reads
//     (dns-extra-records.auto.tfvars.json), merged into the file already
//     there without removing anything from it.
//
// While the stack publishes no MX for the root domain (doctor.json; the
// stack's mail_mx_switched) the box still receives the mail, so its mail
// records are kept; running the command again once the stack publishes it
// shows which entries to remove.
//
// Counts before (records of the zone = replaced + dropped + kept) and after
// (what the stack will serve: its own records + the kept ones) are printed
// and checked: every record must be in exactly one list, and every kept
// record must be in the file as written on disk, or the command fails and
// names the records. A second run with the same inputs writes nothing and
// says "unchanged".
package dnsmigrate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
)

// Options of one run.
type Options struct {
	ZoneFile string // Mail-in-a-Box's zone file export
	Expect   string // doctor.json
	Out      string // the tfvars JSON file to merge into
	// Box is Mail-in-a-Box's host name; empty: read from the zone's SOA.
	Box string
	// Out: the report; nil discards it.
	Stdout io.Writer

	classify classifier // nil: classifyZone
}

// Report is what a run found and did.
type Report struct {
	Zone                   string
	Records, Duplicates    int
	Managed, Dropped, Kept []Decision
	StackRecords           int // records the stack serves itself
	FileRecords, YourOwn   int // records of the file; those not from this zone's kept ones
	Added, Extended        []string
	Changed                bool
	HighestTTL             uint32
	Box                    string
	Warnings               []string
	NameServers            []string
	keptAtBox, mailsOn     bool
}

// Run classifies the zone, merges the kept records into Out and prints the
// report.
func Run(o Options) (*Report, error) {
	out := o.Stdout
	if out == nil {
		out = io.Discard
	}
	if o.ZoneFile == "" || o.Expect == "" || o.Out == "" {
		return nil, errors.New("give --zone-file (Mail-in-a-Box's zone export), --expect (doctor.json) and --out (the tfvars JSON file)")
	}
	sf, err := os.Open(o.Expect)
	if err != nil {
		return nil, fmt.Errorf("open the stack's doctor output: %w (%s)", err, doctorHowTo)
	}
	stack, err := ReadStack(sf, o.Expect)
	sf.Close()
	if err != nil {
		return nil, err
	}
	zf, err := os.Open(o.ZoneFile)
	if err != nil {
		return nil, fmt.Errorf("open the zone file: %w (download it from Mail-in-a-Box: System > External DNS, or /admin/dns/zonefile/%s)", err, stack.RootDomain)
	}
	zone, err := ParseZone(zf, stack.RootDomain, o.ZoneFile)
	zf.Close()
	if err != nil {
		return nil, err
	}
	v := newStackView(stack)
	box := findBox(zone, o.Box)
	classify := o.classify
	if classify == nil {
		classify = classifyZone
	}
	c := classify(zone, v, box)
	if err := account(zone, c); err != nil {
		return nil, err
	}

	rep := &Report{Zone: zone.Origin, Records: len(zone.Records), Duplicates: zone.Duplicates,
		Managed: c.Managed, Dropped: c.Dropped, Kept: c.Kept, StackRecords: v.count,
		HighestTTL: zone.highestTTL(), Box: box.name, NameServers: stack.NameServers, mailsOn: v.mail}

	f, err := readTfvars(o.Out)
	if err != nil {
		return nil, err
	}
	res, err := f.merge(rrsets(c.Kept, v.root, zone.DefaultTTL), v.root)
	if err != nil {
		return nil, err
	}
	rep.Added, rep.Extended = res.added, res.extended
	data, err := f.bytes()
	if err != nil {
		return nil, err
	}
	// Unchanged when nothing was added: the file stays byte for byte, even
	// if an operator formatted it differently.
	rep.Changed = f.raw == nil || len(res.added)+len(res.extended) > 0
	if rep.Changed && !bytes.Equal(data, f.raw) {
		if err := writeFile(o.Out, data); err != nil {
			return nil, err
		}
	}
	if err := rep.checkFile(o.Out, v.root); err != nil {
		return nil, err
	}
	rep.Warnings = append(rep.Warnings, f.stale(c, v.root)...)
	rep.Warnings = append(rep.Warnings, f.overlaps(v)...)
	names := map[string][]string{}
	for _, d := range c.Kept {
		if d.Box {
			rep.keptAtBox = true
		}
		if !slices.Contains(names[d.Record.Name], d.Record.Type) {
			names[d.Record.Name] = append(names[d.Record.Name], d.Record.Type)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if ts := names[n]; slices.Contains(ts, "CNAME") && len(ts) > 1 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s has a CNAME and %s records in the zone: a CNAME shares its name with nothing, the plan refuses it; keep one in the file", n, strings.Join(slices.DeleteFunc(slices.Clone(ts), func(t string) bool { return t == "CNAME" }), ", ")))
		}
	}
	rep.print(out, o.Out, res.notes)
	return rep, nil
}

// account checks that every record of the zone got exactly one verdict.
func account(z *Zone, c Classification) error {
	seen := make([]Verdict, len(z.Records))
	var problems []string
	for _, list := range []struct {
		v  Verdict
		ds []Decision
	}{{Managed, c.Managed}, {Dropped, c.Dropped}, {Kept, c.Kept}} {
		for _, d := range list.ds {
			switch {
			case d.Index < 0 || d.Index >= len(z.Records) || z.Records[d.Index] != d.Record:
				problems = append(problems, fmt.Sprintf("%s is %s but not a record of the zone", d.Record, list.v))
			case seen[d.Index] != 0:
				problems = append(problems, fmt.Sprintf("%s is both %s and %s", d.Record, seen[d.Index], list.v))
			default:
				seen[d.Index] = list.v
			}
		}
	}
	for i, v := range seen {
		if v == 0 {
			problems = append(problems, fmt.Sprintf("%s is neither replaced, dropped nor kept", z.Records[i]))
		}
	}
	if n := len(c.Managed) + len(c.Dropped) + len(c.Kept); n != len(z.Records) || len(problems) > 0 {
		return fmt.Errorf("the counts do not add up: the zone has %d records, %d replaced + %d dropped + %d kept = %d; %s (a bug of infra migrate dns: nothing was written)",
			len(z.Records), len(c.Managed), len(c.Dropped), len(c.Kept), n, strings.Join(problems, "; "))
	}
	return nil
}

// checkFile reads the file back and checks that it serves every kept
// record.
func (r *Report) checkFile(path, root string) error {
	served, err := servedBy(path, root)
	if err != nil {
		return fmt.Errorf("read back %s: %w", path, err)
	}
	var lost []string
	fromZone := 0
	for _, d := range r.Kept {
		k := d.Record.Name + " " + d.Record.Type + " " + d.Record.Value
		if _, ok := served[k]; ok {
			fromZone++
		} else {
			lost = append(lost, d.Record.String())
		}
	}
	if len(lost) > 0 {
		return fmt.Errorf("%s does not serve %d of the %d kept records: %s (a bug of infra migrate dns: check the file before applying)", path, len(lost), len(r.Kept), strings.Join(lost, "; "))
	}
	r.FileRecords, r.YourOwn = len(served), len(served)-fromZone
	return nil
}

func (r *Report) print(w io.Writer, path string, notes []string) {
	fmt.Fprintf(w, "zone %s: %d records", r.Zone, r.Records)
	if r.Duplicates > 0 {
		fmt.Fprintf(w, " (%d duplicates ignored)", r.Duplicates)
	}
	fmt.Fprintf(w, ", highest TTL %d s\n", r.HighestTTL)
	if r.Box != "" {
		mail := "no (doctor.json has no MX for " + r.Zone + "): the box keeps its mail records"
		if r.mailsOn {
			mail = "yes (doctor.json has its MX): the box's mail records give way"
		}
		fmt.Fprintf(w, "Mail-in-a-Box: %s; the stack receives the mail: %s\n", r.Box, mail)
	}

	fmt.Fprintf(w, "\nreplaced by the stack (%d):\n", len(r.Managed))
	for _, d := range r.Managed {
		same := len(d.With) == 1 && d.With[0] == d.Record.Value
		if same {
			fmt.Fprintf(w, "  %s %s: same value %s\n", d.Record.Name, d.Record.Type, show(d.Record.Type, d.Record.Value))
		} else {
			fmt.Fprintf(w, "  %s %s: %s -> %s (%s)\n", d.Record.Name, d.Record.Type, show(d.Record.Type, d.Record.Value), strings.Join(d.With, ", "), d.Reason)
		}
	}
	fmt.Fprintf(w, "\ndropped on purpose (%d):\n", len(r.Dropped))
	for _, d := range r.Dropped {
		fmt.Fprintf(w, "  %s: %s\n", d.Record, d.Reason)
	}
	fmt.Fprintf(w, "\nkept, in %s (%d):\n", path, len(r.Kept))
	for _, d := range r.Kept {
		line := "  " + d.Record.String()
		if d.Reason != "" {
			line += ": " + d.Reason
		}
		fmt.Fprintln(w, line)
	}

	fmt.Fprintf(w, "\nbefore: %d records in the zone = %d replaced by the stack + %d dropped + %d kept\n", r.Records, len(r.Managed), len(r.Dropped), len(r.Kept))
	fmt.Fprintf(w, "after:  %d records served = %d of the stack + %d kept", r.StackRecords+r.FileRecords, r.StackRecords, len(r.Kept))
	if r.YourOwn > 0 {
		fmt.Fprintf(w, " + %d more of the file", r.YourOwn)
	}
	fmt.Fprintln(w)

	switch {
	case !r.Changed:
		fmt.Fprintf(w, "%s: unchanged\n", path)
	case len(r.Added)+len(r.Extended) == 0:
		fmt.Fprintf(w, "%s: written (no record to keep)\n", path)
	default:
		fmt.Fprintf(w, "%s: written, %d entries added, %d extended\n", path, len(r.Added), len(r.Extended))
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}

	var decide []string
	for _, d := range r.Dropped {
		if d.Unservable {
			decide = append(decide, d.Record.String()+": "+d.Reason)
		}
	}
	if len(decide) > 0 || len(r.Warnings) > 0 || (r.keptAtBox && r.mailsOn) {
		fmt.Fprintln(w, "\nneeds your decision:")
		for _, s := range decide {
			fmt.Fprintf(w, "  not migrated: %s\n", s)
		}
		for _, s := range r.Warnings {
			fmt.Fprintf(w, "  %s\n", s)
		}
		if r.keptAtBox && r.mailsOn {
			var names []string
			for _, d := range r.Kept {
				if d.Box {
					names = append(names, d.Record.Name+" "+d.Record.Type)
				}
			}
			sort.Strings(names)
			fmt.Fprintf(w, "  kept records that point at the box, which goes away: %s\n", strings.Join(names, ", "))
		}
	}

	fmt.Fprintln(w, "\nnext (docs/migration-dns.md): review and commit the file, apply stacks/platform, check with infra doctor, then:")
	fmt.Fprintf(w, "  lower the TTLs to 300 s on Mail-in-a-Box now, wait %s (%d s, the highest TTL of the zone) before switching the NS at the registrar",
		human(r.HighestTTL), r.HighestTTL)
	if len(r.NameServers) > 0 {
		fmt.Fprintf(w, " to %s", strings.Join(r.NameServers, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  first remove any DS record of %s at the registrar (dig +short DS %s): DigitalOcean does not sign the zone\n", r.Zone, r.Zone)
}

// human writes a duration in seconds the way the runbook says it.
func human(s uint32) string {
	switch {
	case s >= 3600 && s%3600 == 0:
		return fmt.Sprintf("%d h", s/3600)
	case s >= 60 && s%60 == 0:
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d s", s)
}
