package wpmigrate

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Replacer changes a site URL in WordPress values. A plain sed breaks PHP's
// serialize() format, which stores each string's length in bytes
// (s:20:"https://old.example/";): Replace rewrites serialized values
// structurally and recomputes every length, recursing into strings that
// hold serialized values themselves (plugins double-serialize).
//
// A real site holds its address in many forms; every form of every old
// host is rewritten in one pass (see forms), and counted.
type Replacer struct {
	pairs  [][2]string // old form, new form; first match wins at a position
	counts []int64     // per pair, shared by copies of the Replacer
}

// NewReplacer replaces every form of oldURL (and of the hosts in also) by
// the same form of newURL; URLs without a trailing slash. A host is taken
// with and without "www.".
func NewReplacer(oldURL, newURL string, also ...string) Replacer {
	oldURL, newURL = strings.TrimSuffix(oldURL, "/"), strings.TrimSuffix(newURL, "/")
	_, oldRest, _ := strings.Cut(oldURL, "://")
	_, newRest, _ := strings.Cut(newURL, "://")
	if oldRest == "" { // not a URL: the string itself only
		return Replacer{pairs: [][2]string{{oldURL, newURL}}, counts: make([]int64, 1)}
	}
	host, path, _ := strings.Cut(oldRest, "/")
	if path != "" {
		path = "/" + path
	}
	var hosts []string
	for _, h := range append([]string{host}, also...) {
		h = strings.TrimSuffix(h, "/")
		if _, rest, ok := strings.Cut(h, "://"); ok {
			h = rest
		}
		other := "www." + h
		if strings.HasPrefix(h, "www.") {
			other = strings.TrimPrefix(h, "www.")
		}
		for _, x := range []string{h, other} {
			if !slices.Contains(hosts, x) {
				hosts = append(hosts, x)
			}
		}
	}
	r := Replacer{}
	add := func(o, n string) {
		for _, p := range r.pairs {
			if p[0] == o {
				return
			}
		}
		r.pairs = append(r.pairs, [2]string{o, n})
	}
	json := func(s string) string { return strings.ReplaceAll(s, "/", `\/`) }
	for _, h := range hosts {
		old := h + path
		for _, scheme := range []string{"https", "http"} {
			add(scheme+"://"+old, newURL)
			add(json(scheme+"://"+old), json(newURL))
			enc := url.QueryEscape(scheme + "://" + old)
			add(enc, url.QueryEscape(newURL))
			add(strings.ToLower(enc), strings.ToLower(url.QueryEscape(newURL)))
		}
		// Protocol-relative, last: inside a URL with a scheme, the forms
		// above match first.
		add("//"+old, "//"+newRest)
		add(json("//"+old), json("//"+newRest))
	}
	r.counts = make([]int64, len(r.pairs))
	return r
}

// Forms are the old forms and how many of each Replace has rewritten.
func (r Replacer) Forms() []FormCount {
	out := make([]FormCount, len(r.pairs))
	for i, p := range r.pairs {
		out[i] = FormCount{Form: p[0], Count: r.counts[i]}
	}
	return out
}

// FormCount is one form of the old address and its rewrites.
type FormCount struct {
	Form  string
	Count int64
}

// Contains reports whether v holds the old URL in any form.
func (r Replacer) Contains(v string) bool {
	for _, p := range r.pairs {
		if strings.Contains(v, p[0]) {
			return true
		}
	}
	return false
}

// Replace returns v with the URL replaced. A value that parses as PHP
// serialized data stays valid serialized data.
func (r Replacer) Replace(v string) string {
	if !r.Contains(v) {
		return v
	}
	if looksSerialized(v) {
		p := parser{s: v, r: r, dry: true}
		if _, ok := p.value(); ok && p.pos == len(v) {
			p = parser{s: v, r: r}
			out, _ := p.value()
			return out
		}
	}
	return r.plain(v)
}

// plain rewrites every form in one left-to-right pass: at each position
// the first form (in pairs' order) that matches is replaced, so a rewritten
// part is never matched again.
func (r Replacer) plain(v string) string {
	return r.scan(v, true)
}

func (r Replacer) scan(v string, count bool) string {
	var b strings.Builder
	for i := 0; i < len(v); {
		matched := false
		for k, p := range r.pairs {
			if strings.HasPrefix(v[i:], p[0]) {
				b.WriteString(p[1])
				i += len(p[0])
				if count && r.counts != nil {
					r.counts[k]++
				}
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(v[i])
			i++
		}
	}
	return b.String()
}

func looksSerialized(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 2 {
		return false
	}
	switch v[0] {
	case 'a', 'O', 's', 'i', 'b', 'd', 'N', 'E':
		return v == "N;" || v[1] == ':'
	}
	return false
}

// parser rewrites one serialized value at s[pos:], or reports !ok.
type parser struct {
	s   string
	pos int
	r   Replacer
	dry bool
}

func (p *parser) value() (string, bool) {
	if p.pos >= len(p.s) {
		return "", false
	}
	start := p.pos
	switch p.s[p.pos] {
	case 'N':
		if strings.HasPrefix(p.s[p.pos:], "N;") {
			p.pos += 2
			return "N;", true
		}
	case 'b', 'i', 'd', 'r', 'R':
		// scalar or reference: up to the next ';'
		if p.pos+1 < len(p.s) && p.s[p.pos+1] == ':' {
			end := strings.IndexByte(p.s[p.pos:], ';')
			if end > 2 {
				p.pos += end + 1
				return p.s[start:p.pos], true
			}
		}
	case 's', 'E':
		kind := p.s[p.pos]
		str, ok := p.lengthString()
		if !ok || !p.eat(";") {
			return "", false
		}
		if kind == 'E' {
			return p.s[start:p.pos], true
		}
		// A string may hold serialized data itself. A dry pass only
		// checks the structure (nothing is rewritten, nothing counted).
		inner := str
		if !p.dry {
			inner = p.r.Replace(str)
		}
		return "s:" + strconv.Itoa(len(inner)) + ":\"" + inner + "\";", true
	case 'a':
		p.pos++
		if !p.eat(":") {
			return "", false
		}
		n, ok := p.number()
		if !ok || !p.eat(":{") {
			return "", false
		}
		body, ok := p.members(2 * n)
		if !ok {
			return "", false
		}
		return "a:" + strconv.Itoa(n) + ":{" + body + "}", true
	case 'O':
		// O:<len>:"Class":<n>:{...}; the class name is kept as it is.
		if _, ok := p.lengthString(); !ok || !p.eat(":") {
			return "", false
		}
		head := p.s[start:p.pos]
		n, ok := p.number()
		if !ok || !p.eat(":{") {
			return "", false
		}
		body, ok := p.members(2 * n)
		if !ok {
			return "", false
		}
		return head + strconv.Itoa(n) + ":{" + body + "}", true
	}
	// C: (custom serialization) and anything else: not ours to rewrite.
	return "", false
}

// members rewrites n values and the closing brace.
func (p *parser) members(n int) (string, bool) {
	var b strings.Builder
	for i := 0; i < n; i++ {
		v, ok := p.value()
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	if !p.eat("}") {
		return "", false
	}
	return b.String(), true
}

// lengthString reads <k>:<len>:"<len bytes>" and returns the bytes.
func (p *parser) lengthString() (string, bool) {
	p.pos++ // the kind letter
	if !p.eat(":") {
		return "", false
	}
	n, ok := p.number()
	if !ok || !p.eat(":\"") || p.pos+n+1 > len(p.s) || p.s[p.pos+n] != '"' {
		return "", false
	}
	str := p.s[p.pos : p.pos+n]
	p.pos += n + 1
	return str, true
}

func (p *parser) number() (int, bool) {
	end := p.pos
	for end < len(p.s) && p.s[end] >= '0' && p.s[end] <= '9' {
		end++
	}
	if end == p.pos || end-p.pos > 10 {
		return 0, false
	}
	n, err := strconv.Atoi(p.s[p.pos:end])
	p.pos = end
	return n, err == nil
}

func (p *parser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}
