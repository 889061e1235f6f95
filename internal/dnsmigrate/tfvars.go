package dnsmigrate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// varName is the variable of stacks/platform the file sets.
const varName = "dns_extra_records"

// Entry is one value of dns_extra_records (stacks/platform/variables.tf).
type Entry struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	TTL     *uint32  `json:"ttl"`
	Targets []string `json:"targets"`
}

// tfvars is the file: dns_extra_records and whatever else an operator put
// there, kept as is.
type tfvars struct {
	other   map[string]json.RawMessage
	entries map[string]json.RawMessage
	raw     []byte // as read; nil when there was no file
}

func readTfvars(path string) (*tfvars, error) {
	f := &tfvars{other: map[string]json.RawMessage{}, entries: map[string]json.RawMessage{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f.raw = data
	if err := json.Unmarshal(data, &f.other); err != nil {
		return nil, fmt.Errorf("%s is not JSON (%v): fix it or move it away, this command merges into it", path, err)
	}
	if raw, ok := f.other[varName]; ok {
		delete(f.other, varName)
		if err := json.Unmarshal(raw, &f.entries); err != nil || f.entries == nil {
			return nil, fmt.Errorf("%s: %s is not an object of records (%v): fix it or move the file away", path, varName, err)
		}
	}
	for k, raw := range f.entries {
		if _, err := decodeEntry(raw); err != nil {
			return nil, fmt.Errorf("%s: %s[%q]: %v: it needs name, type and targets (stacks/platform/variables.tf)", path, varName, k, err)
		}
	}
	return f, nil
}

func decodeEntry(raw json.RawMessage) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, err
	}
	if e.Name == "" || e.Type == "" {
		return e, errors.New("name or type missing")
	}
	return e, nil
}

// fqdn of an entry's name.
func (e Entry) fqdn(root string) string {
	if e.Name == "@" {
		return root
	}
	return strings.ToLower(e.Name) + "." + root
}

// encode writes JSON as tofu reads it and people review it: two-space
// indent, keys sorted, no HTML escaping (TXT values keep their & and <).
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (f *tfvars) bytes() ([]byte, error) {
	top := map[string]json.RawMessage{}
	for k, v := range f.other {
		top[k] = v
	}
	entries, err := encode(f.entries)
	if err != nil {
		return nil, err
	}
	top[varName] = entries
	return encode(top)
}

// rrset is the kept records of one name and type: one entry.
type rrset struct {
	name, typ string // FQDN and type
	rel       string
	ttl       *uint32
	targets   []string
}

// rrsets groups the kept records by name and type, sorted. A record at the
// zone's $TTL takes dns_ttl (null); others keep their TTL, within what
// DigitalOcean accepts (30 s to 1 day).
func rrsets(kept []Decision, root string, defaultTTL uint32) []rrset {
	by := map[string]*rrset{}
	var order []string
	for _, d := range kept {
		r := d.Record
		k := r.Name + " " + r.Type
		s := by[k]
		if s == nil {
			s = &rrset{name: r.Name, typ: r.Type, rel: relName(r.Name, root)}
			by[k] = s
			order = append(order, k)
		}
		s.targets = append(s.targets, r.Value)
		if r.TTL != defaultTTL {
			ttl := min(max(r.TTL, 30), 86400)
			if s.ttl == nil || ttl < *s.ttl {
				s.ttl = &ttl
			}
		}
	}
	sort.Strings(order)
	out := make([]rrset, 0, len(order))
	for _, k := range order {
		s := by[k]
		sort.Strings(s.targets)
		out = append(out, *s)
	}
	return out
}

var notKeyChars = regexp.MustCompile(`[^a-z0-9]+`)

// entryKey is the stable map key of a record set: "<name>-<type>", the
// apex as "apex" and "*" as "wildcard" ("dmarc-txt", "apex-mx",
// "wildcard-dev-a"), cut to 63 characters with a hash when longer.
func entryKey(rel, typ string) string {
	s := rel
	if s == "@" {
		s = "apex"
	}
	s = strings.ReplaceAll(s, "*", "wildcard")
	s = strings.Trim(notKeyChars.ReplaceAllString(s, "-"), "-")
	k := s + "-" + strings.ToLower(typ)
	if len(k) > 63 {
		sum := sha256.Sum256([]byte(rel + " " + typ))
		k = strings.Trim(k[:54], "-") + "-" + hex.EncodeToString(sum[:])[:8]
	}
	return k
}

// mergeResult says what the merge did to the file.
type mergeResult struct {
	added    []string // new entries
	extended []string // entries of the file that got targets
	notes    []string
}

// merge adds the kept record sets to the file. Nothing of the file is ever
// removed: a record set whose name and type an entry already has gets only
// the targets that entry lacks; the others become new entries.
func (f *tfvars) merge(sets []rrset, root string) (mergeResult, error) {
	var res mergeResult
	keys := make([]string, 0, len(f.entries))
	for k := range f.entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, s := range sets {
		var have []string // keys of entries with that name and type
		present := map[string]bool{}
		for _, k := range keys {
			e, _ := decodeEntry(f.entries[k])
			if e.fqdn(root) == s.name && e.Type == s.typ {
				have = append(have, k)
				for _, t := range e.Targets {
					present[t] = true
				}
			}
		}
		var missing []string
		for _, t := range s.targets {
			if !present[t] {
				missing = append(missing, t)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if len(have) > 0 {
			k := have[0]
			e, _ := decodeEntry(f.entries[k])
			e.Targets = append(e.Targets, missing...)
			raw, err := encode(e)
			if err != nil {
				return res, err
			}
			f.entries[k] = raw
			res.extended = append(res.extended, k)
			res.notes = append(res.notes, fmt.Sprintf("%s: added %s to your entry", k, strings.Join(showAll(s.typ, missing), ", ")))
			continue
		}
		k := entryKey(s.rel, s.typ)
		for i := 2; f.entries[k] != nil; i++ {
			base := entryKey(s.rel, s.typ)
			suffix := "-" + strconv.Itoa(i)
			if len(base)+len(suffix) > 63 {
				base = strings.Trim(base[:63-len(suffix)], "-")
			}
			k = base + suffix
		}
		raw, err := encode(Entry{Name: s.rel, Type: s.typ, TTL: s.ttl, Targets: s.targets})
		if err != nil {
			return res, err
		}
		f.entries[k] = raw
		keys = append(keys, k)
		sort.Strings(keys)
		res.added = append(res.added, k)
	}
	return res, nil
}

func showAll(typ string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = show(typ, s)
	}
	return out
}

// served lists what the file makes the stack serve: "name type target"
// triples, from the file as written on disk.
func servedBy(path, root string) (map[string]string, error) {
	f, err := readTfvars(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, raw := range f.entries {
		e, _ := decodeEntry(raw)
		for _, t := range e.Targets {
			out[e.fqdn(root)+" "+e.Type+" "+t] = k
		}
	}
	return out, nil
}

// writeFile replaces path atomically.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create the folder of %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dns-extra-records-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// overlaps lists the file's entries that collide with the stack's own
// records (an entry written before the stack took that name over).
func (f *tfvars) overlaps(v *stackView) []string {
	var out []string
	for k, raw := range f.entries {
		e, _ := decodeEntry(raw)
		n := e.fqdn(v.root)
		switch {
		case v.hosts[n]:
			out = append(out, fmt.Sprintf("%s (%s %s): %s is now a host of the stack; remove the entry", k, e.Name, e.Type, n))
		case n == v.root && slices.Contains([]string{"A", "AAAA", "CNAME"}, e.Type):
			out = append(out, fmt.Sprintf("%s (%s %s): the apex points at the load balancer now; remove the entry", k, e.Name, e.Type))
		case e.Type == "MX" && len(v.sets[n+" MX"]) > 0:
			out = append(out, fmt.Sprintf("%s (%s MX): the stack serves the MX of %s now; remove the entry (the plan refuses both)", k, e.Name, n))
		case e.Type == "TXT":
			for _, t := range e.Targets {
				for _, st := range v.sets[n+" TXT"] {
					if txtPurpose(n, t) == txtPurpose(n, st) && t != st {
						out = append(out, fmt.Sprintf("%s (%s TXT): the stack serves its own %s record at %s now; remove %s from the entry", k, e.Name, txtPurpose(n, st), n, show("TXT", t)))
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// stale lists the file's entries that still serve records this run
// replaces or drops (kept by an earlier run, before the stack took them
// over): the file is never trimmed by the command, the operator decides.
func (f *tfvars) stale(c Classification, root string) []string {
	gone := map[string]Decision{}
	for _, d := range append(append([]Decision{}, c.Managed...), c.Dropped...) {
		gone[d.Record.Name+" "+d.Record.Type+" "+d.Record.Value] = d
	}
	var out []string
	for k, raw := range f.entries {
		e, _ := decodeEntry(raw)
		for _, t := range e.Targets {
			if d, ok := gone[e.fqdn(root)+" "+e.Type+" "+t]; ok {
				out = append(out, fmt.Sprintf("%s still serves %s %s %s, which this run %s (%s): remove it from the file if that is right", k, e.Name, e.Type, show(e.Type, t), verdictVerb(d.Verdict), d.Reason))
			}
		}
	}
	sort.Strings(out)
	return out
}

func verdictVerb(v Verdict) string {
	if v == Managed {
		return "leaves to the stack"
	}
	return "drops"
}
