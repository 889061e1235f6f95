package mailmigrate

import (
	"fmt"
	"sort"
	"strings"
)

// specialUses are the RFC 6154 attributes a folder is mapped by: MiaB's
// Spam (\Junk) lands in Mailu's Junk (\Junk), whatever the names.
var specialUses = []string{`\sent`, `\drafts`, `\trash`, `\junk`, `\archive`}

// miabDefaults are the folders Mail-in-a-Box creates with each attribute
// (conf/dovecot-mailboxes.conf); it also marks "Sent Messages" \Sent and
// Junk \Junk when they exist, so two source folders may carry one
// attribute: then the one with the target's name wins, else MiaB's own.
var miabDefaults = map[string]string{`\sent`: "Sent", `\drafts`: "Drafts", `\trash`: "Trash", `\junk`: "Spam", `\archive`: "Archive"}

// folderPlan pairs a source folder with its target name.
type folderPlan struct {
	Source  string // UTF-8 name on the source
	Target  string // UTF-8 name on the target, in the target's hierarchy delimiter
	Special string // the special-use attribute it was mapped by, if any
}

func selectable(m mailboxInfo) bool {
	return !m.attr(`\Noselect`) && !m.attr(`\NonExistent`)
}

func splitName(name, delim string) []string {
	if delim == "" {
		return []string{name}
	}
	return strings.Split(name, delim)
}

// targetDelim is the target's hierarchy delimiter (from its INBOX).
func targetDelim(dst []mailboxInfo) string {
	for _, m := range dst {
		if m.Name == "INBOX" {
			return m.Delim
		}
	}
	for _, m := range dst {
		if m.Delim != "" {
			return m.Delim
		}
	}
	return ""
}

// planFolders decides where each selectable source folder goes: special-use
// folders to the target's folder of the same use, their subfolders with
// them, every other folder to the same path, the hierarchy delimiter
// translated. Two source folders landing in one target folder, or a name
// part holding the target's delimiter, is an error: the per-folder counts
// would no longer prove anything.
func planFolders(src, dst []mailboxInfo) ([]folderPlan, error) {
	tDelim := targetDelim(dst)
	type prefix struct {
		parts   []string
		target  []string
		special string
	}
	var prefixes []prefix
	for _, use := range specialUses {
		var sc, tc []mailboxInfo
		for _, m := range src {
			if selectable(m) && m.attr(use) {
				sc = append(sc, m)
			}
		}
		for _, m := range dst {
			if selectable(m) && m.attr(use) {
				tc = append(tc, m)
			}
		}
		if len(sc) == 0 || len(tc) == 0 {
			continue
		}
		sort.Slice(sc, func(i, j int) bool { return sc[i].Name < sc[j].Name })
		sort.Slice(tc, func(i, j int) bool { return tc[i].Name < tc[j].Name })
		t := tc[0]
		s, found := mailboxInfo{}, false
		for _, want := range []string{t.Name, miabDefaults[use]} {
			for _, m := range sc {
				if equalParts(splitName(m.Name, m.Delim), splitName(want, tDelim)) {
					s, found = m, true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			s = sc[0]
		}
		prefixes = append(prefixes, prefix{parts: splitName(s.Name, s.Delim), target: splitName(t.Name, tDelim), special: use})
	}
	var plans []folderPlan
	byTarget := map[string]string{}
	for _, m := range src {
		if !selectable(m) {
			continue
		}
		parts := splitName(m.Name, m.Delim)
		special := ""
		best := 0
		var mapped []string
		for _, p := range prefixes {
			if len(p.parts) <= len(parts) && len(p.parts) > best && equalParts(parts[:len(p.parts)], p.parts) {
				best = len(p.parts)
				mapped = append(append([]string{}, p.target...), parts[len(p.parts):]...)
				if len(p.parts) == len(parts) {
					special = p.special
				}
			}
		}
		if mapped == nil {
			mapped = parts
		}
		for _, part := range mapped {
			if tDelim != "" && strings.Contains(part, tDelim) {
				return nil, fmt.Errorf("source folder %q has %q in its name, the target's hierarchy delimiter: rename it on the source (webmail of the old box) and run again", m.Name, tDelim)
			}
			if part == "" {
				return nil, fmt.Errorf("source folder %q has an empty level: rename it on the source and run again", m.Name)
			}
		}
		target := strings.Join(mapped, tDelim)
		if strings.EqualFold(target, "INBOX") {
			target = "INBOX"
		}
		if other, dup := byTarget[target]; dup {
			return nil, fmt.Errorf("source folders %q and %q would both go to target folder %q: rename one on the source and run again", other, m.Name, target)
		}
		byTarget[target] = m.Name
		plans = append(plans, folderPlan{Source: m.Name, Target: target, Special: special})
	}
	sort.Slice(plans, func(i, j int) bool {
		if (plans[i].Source == "INBOX") != (plans[j].Source == "INBOX") {
			return plans[i].Source == "INBOX"
		}
		return plans[i].Source < plans[j].Source
	})
	return plans, nil
}

func equalParts(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(i == 0 && strings.EqualFold(a[i], "INBOX") && strings.EqualFold(b[i], "INBOX")) {
			return false
		}
	}
	return true
}
