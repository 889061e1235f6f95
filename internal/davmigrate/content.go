package davmigrate

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// crlf gives vCard and iCalendar text the CRLF line ends RFC 6350 and
// RFC 5545 require: data read from a multiget went through an XML parser,
// which turns CRLF into LF.
func crlf(s string) []byte {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimLeft(s, "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// unfold returns the logical content lines (RFC 5545 3.1, RFC 6350 3.2).
func unfold(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\n ", "")
	s = strings.ReplaceAll(s, "\n\t", "")
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimRight(l, " \t"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// canonical is a form of a vCard or iCalendar object that two servers
// agree on when they hold the same data: Radicale (vobject) and
// Nextcloud (sabre/vobject) store what they parsed, refolded, with
// properties reordered, parameter names upper-cased and repeated
// parameters merged. So lines are unfolded, property and parameter names
// upper-cased, parameter values merged and sorted, properties and
// sub-components sorted within each component. PRODID, which names the
// software that last wrote the object, is left out.
func canonical(s string) string {
	type node struct {
		name     string
		props    []string
		children []string
	}
	root := &node{}
	stack := []*node{root}
	for _, l := range unfold(s) {
		name, params, value := splitLine(l)
		switch name {
		case "BEGIN":
			stack = append(stack, &node{name: strings.ToUpper(value)})
			continue
		case "END":
			if len(stack) > 1 {
				n := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				sort.Strings(n.props)
				sort.Strings(n.children)
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, "BEGIN:"+n.name+"\n"+strings.Join(n.props, "")+strings.Join(n.children, "")+"END:"+n.name+"\n")
			}
			continue
		case "PRODID":
			continue
		}
		top := stack[len(stack)-1]
		top.props = append(top.props, name+params+":"+value+"\n")
	}
	// Unclosed components (broken data) still count, as they are.
	for len(stack) > 1 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		stack[len(stack)-1].children = append(stack[len(stack)-1].children, "BEGIN:"+n.name+"\n"+strings.Join(n.props, "")+strings.Join(n.children, ""))
	}
	sort.Strings(root.props)
	sort.Strings(root.children)
	return strings.Join(root.props, "") + strings.Join(root.children, "")
}

// contentHash is the SHA-256 of the canonical form.
func contentHash(s string) string {
	h := sha256.Sum256([]byte(canonical(s)))
	return hex.EncodeToString(h[:])
}

// splitLine splits a content line into its upper-cased name (with any
// group prefix), canonical parameters (";KEY=v1,v2", sorted) and value.
func splitLine(l string) (name, params, value string) {
	head, value := l, ""
	inQuote := false
	for i, r := range l {
		if r == '"' {
			inQuote = !inQuote
		}
		if r == ':' && !inQuote {
			head, value = l[:i], l[i+1:]
			break
		}
	}
	parts := splitUnquoted(head, ';')
	name = strings.ToUpper(parts[0])
	vals := map[string][]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		k = strings.ToUpper(k)
		if !ok {
			// vCard 2.1 bare parameters ("TEL;HOME") are types.
			k, v = "TYPE", p
		}
		for _, x := range splitUnquoted(v, ',') {
			vals[k] = append(vals[k], strings.Trim(x, `"`))
		}
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := vals[k]
		sort.Strings(v)
		b.WriteString(";" + k + "=" + strings.Join(v, ","))
	}
	return name, b.String(), value
}

func splitUnquoted(s string, sep rune) []string {
	var out []string
	inQuote, start := false, 0
	for i, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
		case r == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + len(string(sep))
		}
	}
	return append(out, s[start:])
}

// uidOf is the UID of a vCard or of the components of an iCalendar
// object (all components of one calendar object share it, RFC 4791 4.1).
func uidOf(s string) string {
	for _, l := range unfold(s) {
		name, _, value := splitLine(l)
		if name == "UID" || strings.HasSuffix(name, ".UID") {
			return strings.TrimSpace(value)
		}
	}
	return ""
}
