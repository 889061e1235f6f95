package wpmigrate

import (
	"strconv"
	"strings"
)

// Replacer changes a site URL in WordPress values. A plain sed breaks PHP's
// serialize() format, which stores each string's length in bytes
// (s:20:"https://old.example/";): Replace rewrites serialized values
// structurally and recomputes every length, recursing into strings that
// hold serialized values themselves (plugins double-serialize). The
// JSON-escaped form of the URL (https:\/\/old.example, written by page
// builders) is replaced too.
type Replacer struct {
	pairs [][2]string
}

// NewReplacer replaces oldURL by newURL; both without a trailing slash.
func NewReplacer(oldURL, newURL string) Replacer {
	oldURL, newURL = strings.TrimSuffix(oldURL, "/"), strings.TrimSuffix(newURL, "/")
	r := Replacer{pairs: [][2]string{{oldURL, newURL}}}
	if esc := strings.ReplaceAll(oldURL, "/", `\/`); esc != oldURL {
		r.pairs = append(r.pairs, [2]string{esc, strings.ReplaceAll(newURL, "/", `\/`)})
	}
	return r
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
		p := parser{s: v, r: r}
		if out, ok := p.value(); ok && p.pos == len(v) {
			return out
		}
	}
	return r.plain(v)
}

func (r Replacer) plain(v string) string {
	for _, p := range r.pairs {
		v = strings.ReplaceAll(v, p[0], p[1])
	}
	return v
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
		// A string may hold serialized data itself.
		inner := p.r.Replace(str)
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
