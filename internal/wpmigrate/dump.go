package wpmigrate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// OpenDump returns the dump's SQL, gunzipped when it starts with gzip's
// magic bytes (mysqldump | gzip is how the Docker host's backups are made).
func OpenDump(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read dump: %w", err)
	}
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("dump looks gzipped but is not: %w", err)
		}
		return z, nil
	}
	return br, nil
}

// splitStatements calls fn with each statement of a mysqldump, without its
// delimiter: ';' (or the DELIMITER in force, for triggers and routines)
// outside quotes and comments. Line comments are dropped; /*!...*/
// conditional comments stay, they are statements MariaDB executes.
func splitStatements(r io.Reader, fn func(stmt string) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var stmt strings.Builder
	delim := ";"
	const (
		plain = iota
		single
		double
		backtick
		block
	)
	state := plain
	atLineStart := true
	flush := func() error {
		s := strings.TrimSpace(stmt.String())
		stmt.Reset()
		if s == "" {
			return nil
		}
		return fn(s)
	}
	for {
		if atLineStart && state == plain {
			// Whole-line constructs: comments and DELIMITER.
			peek, _ := br.Peek(10)
			switch {
			case bytes.HasPrefix(peek, []byte("-- ")) || bytes.Equal(peek, []byte("--\n")) || bytes.HasPrefix(peek, []byte("#")):
				if _, err := br.ReadString('\n'); err != nil {
					return flushAtEOF(err, flush)
				}
				continue
			case bytes.HasPrefix(bytes.ToUpper(peek), []byte("DELIMITER ")):
				line, err := br.ReadString('\n')
				if d := strings.TrimSpace(line[len("DELIMITER "):]); d != "" {
					delim = d
				}
				if err != nil {
					return flushAtEOF(err, flush)
				}
				continue
			}
		}
		c, err := br.ReadByte()
		if err != nil {
			return flushAtEOF(err, flush)
		}
		atLineStart = c == '\n'
		switch state {
		case plain:
			switch c {
			case '\'':
				state = single
			case '"':
				state = double
			case '`':
				state = backtick
			case '/':
				if n, _ := br.Peek(1); len(n) == 1 && n[0] == '*' {
					state = block
				}
			}
			if state == plain && c == delim[0] {
				rest, _ := br.Peek(len(delim) - 1)
				if string(rest) == delim[1:] {
					if _, err := br.Discard(len(delim) - 1); err != nil {
						return err
					}
					if err := flush(); err != nil {
						return err
					}
					continue
				}
			}
		case single, double:
			quote := byte('\'')
			if state == double {
				quote = '"'
			}
			if c == '\\' {
				stmt.WriteByte(c)
				n, err := br.ReadByte()
				if err != nil {
					return flushAtEOF(err, flush)
				}
				c = n
			} else if c == quote {
				state = plain
			}
		case backtick:
			if c == '`' {
				state = plain
			}
		case block:
			if c == '*' {
				if n, _ := br.Peek(1); len(n) == 1 && n[0] == '/' {
					stmt.WriteByte(c)
					c, _ = br.ReadByte()
					state = plain
				}
			}
		}
		stmt.WriteByte(c)
	}
}

func flushAtEOF(err error, flush func() error) error {
	if err != io.EOF {
		return fmt.Errorf("read dump: %w", err)
	}
	return flush()
}

var (
	createTableRe = regexp.MustCompile("(?is)^CREATE TABLE (?:IF NOT EXISTS )?`([^`]+)` \\((.*)\\)")
	columnRe      = regexp.MustCompile("(?m)^\\s*`([^`]+)` ")
	insertRe      = regexp.MustCompile("(?is)^(?:INSERT|REPLACE)(?: IGNORE)? INTO `([^`]+)`\\s*(\\([^)]*\\))?\\s*VALUES\\s*")
	skipRe        = regexp.MustCompile(`(?i)^(USE\s|CREATE DATABASE\s|/\*!\d+\s+CREATE DATABASE\s)`)
)

// dumpCounter counts the rows a dump inserts, per table, and the values of
// one column of interest per table (post_type of the posts table).
type dumpCounter struct {
	rows    map[string]int64
	columns map[string][]string
	// byValue[table] counts the rows per value of watch[table].
	watch   map[string]string
	byValue map[string]map[string]int64
}

func newDumpCounter(watch map[string]string) *dumpCounter {
	return &dumpCounter{rows: map[string]int64{}, columns: map[string][]string{}, watch: watch, byValue: map[string]map[string]int64{}}
}

// add reads one statement.
func (d *dumpCounter) add(stmt string) error {
	if m := createTableRe.FindStringSubmatch(stmt); m != nil {
		var cols []string
		for _, c := range columnRe.FindAllStringSubmatch(m[2], -1) {
			cols = append(cols, c[1])
		}
		d.columns[m[1]] = cols
		if _, ok := d.rows[m[1]]; !ok {
			d.rows[m[1]] = 0
		}
		return nil
	}
	m := insertRe.FindStringSubmatchIndex(stmt)
	if m == nil {
		return nil
	}
	table := stmt[m[2]:m[3]]
	cols := d.columns[table]
	if m[4] >= 0 {
		cols = nil
		for _, c := range strings.Split(stmt[m[4]+1:m[5]-1], ",") {
			cols = append(cols, strings.Trim(strings.TrimSpace(c), "`"))
		}
	}
	watchIdx := -1
	if w, ok := d.watch[table]; ok {
		for i, c := range cols {
			if c == w {
				watchIdx = i
			}
		}
		if watchIdx < 0 {
			return fmt.Errorf("dump: INSERT INTO %s without a known %s column (no CREATE TABLE before it?)", table, w)
		}
	}
	n, err := eachTuple(stmt[m[1]:], watchIdx, func(v string) {
		if d.byValue[table] == nil {
			d.byValue[table] = map[string]int64{}
		}
		d.byValue[table][v]++
	})
	if err != nil {
		return fmt.Errorf("dump: INSERT INTO %s: %w", table, err)
	}
	d.rows[table] += n
	return nil
}

// eachTuple counts the (...) tuples of a VALUES list, calling fn with the
// unquoted value at index watch of each (when watch >= 0).
func eachTuple(s string, watch int, fn func(string)) (int64, error) {
	var n int64
	i := 0
	for i < len(s) {
		switch c := s[i]; {
		case c == '(':
			vals, next, err := tupleValues(s, i+1, watch)
			if err != nil {
				return n, err
			}
			n++
			if watch >= 0 {
				fn(vals)
			}
			i = next
		case c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t':
			i++
		default:
			return n, fmt.Errorf("unexpected %q after %d rows", c, n)
		}
	}
	return n, nil
}

// tupleValues scans one tuple from s[i:] (after its '('), returning the
// value at index watch and the position after the ')'.
func tupleValues(s string, i, watch int) (string, int, error) {
	idx := 0
	var watched string
	for i < len(s) {
		// A charset introducer before a string: _binary '...'.
		if s[i] == '_' {
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\'' && s[j] != ',' && s[j] != ')' {
				j++
			}
			if j+1 < len(s) && s[j] == ' ' && s[j+1] == '\'' {
				i = j + 1
			}
		}
		start := i
		var val string
		if s[i] == '\'' {
			var b strings.Builder
			i++
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(unescape(s[i]))
					continue
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", i, fmt.Errorf("unterminated string")
			}
			i++
			val = b.String()
		} else {
			for i < len(s) && s[i] != ',' && s[i] != ')' {
				i++
			}
			val = strings.TrimSpace(s[start:i])
		}
		if idx == watch {
			watched = val
		}
		if i >= len(s) {
			break
		}
		switch s[i] {
		case ',':
			idx++
			i++
		case ')':
			return watched, i + 1, nil
		default:
			return "", i, fmt.Errorf("unexpected %q in a row", s[i])
		}
	}
	return "", i, fmt.Errorf("unterminated row")
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case '0':
		return 0
	case 'Z':
		return 26
	}
	return c
}
