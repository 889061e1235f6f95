package mailmigrate

// A small IMAP4rev1 client (RFC 3501, with LITERAL+, UIDPLUS and
// SPECIAL-USE when the server has them), written on the standard library
// rather than taken from github.com/emersion/go-imap: its v2 is a beta,
// its v1 pulls go-message and go-sasl for the dozen commands used here,
// hides APPENDUID (which the journal keeps) behind a separate extension
// module, and cannot send a literal without waiting for the server when
// LITERAL+ allows it. The commands a copy needs are few and their
// responses regular; the parser below reads every form the RFC allows for
// them (atoms, quoted strings, literals, lists, NIL) and nothing else.

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxLiteral bounds a literal the server may send: above it the reply is
// refused instead of filling memory (Mailu's own limit on a message is
// 50 MiB by default).
const maxLiteral = 256 << 20

// idleTimeout bounds a silence of the server (or of the network) during
// a command; a long transfer that keeps moving is never cut.
const idleTimeout = 2 * time.Minute

// idleConn gives each read and write its own deadline.
type idleConn struct{ net.Conn }

func (c idleConn) Read(b []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(idleTimeout))
	return c.Conn.Read(b)
}

func (c idleConn) Write(b []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(idleTimeout))
	return c.Conn.Write(b)
}

type atom string

// resp is one server response.
type resp struct {
	tag    string // "*", "+" or the command's tag
	status string // OK, NO, BAD, BYE, PREAUTH; "" for data
	code   string // the [response code] without brackets
	text   string
	num    uint32 // "* <num> EXISTS|EXPUNGE|FETCH"
	kind   string // data keyword, upper case: FETCH, LIST, CAPABILITY...
	fields []any  // the data: atom, string, []any, nil (NIL)
}

// imapClient is one connection. Its methods are not safe for concurrent
// use.
type imapClient struct {
	addr string
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	tagN int
	caps map[string]bool
	stop func() bool
}

// dialIMAP connects over TLS (port 993, implicit TLS) and reads the
// greeting. A cancelled ctx closes the connection.
func dialIMAP(ctx context.Context, addr string, conf *tls.Config) (*imapClient, error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 30 * time.Second}, Config: conf}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s over TLS: %w", addr, err)
	}
	ic := idleConn{conn}
	c := &imapClient{addr: addr, conn: conn, r: bufio.NewReaderSize(ic, 64<<10), w: bufio.NewWriterSize(ic, 64<<10)}
	// Closing unblocks any read or write in flight when the run is
	// cancelled; the connection is not used after that.
	c.stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
	g, err := c.readResp()
	if err != nil {
		c.close()
		return nil, fmt.Errorf("%s: read greeting: %w", addr, err)
	}
	if g.tag != "*" || g.status != "OK" {
		c.close()
		return nil, fmt.Errorf("%s: server greeting %q %q: not an IMAP server ready for login", addr, g.status, g.text)
	}
	c.setCaps(g.code)
	return c, nil
}

func (c *imapClient) close() {
	c.stop()
	_ = c.conn.Close()
}

// logout says goodbye; errors do not matter any more.
func (c *imapClient) logout() {
	_, _ = c.run(context.Background(), []any{"LOGOUT"}, nil)
	c.close()
}

func (c *imapClient) setCaps(code string) {
	f := strings.Fields(code)
	if len(f) == 0 || !strings.EqualFold(f[0], "CAPABILITY") {
		return
	}
	c.caps = map[string]bool{}
	for _, x := range f[1:] {
		c.caps[strings.ToUpper(x)] = true
	}
}

func (c *imapClient) has(cap string) bool { return c.caps[cap] }

// literal is a command argument sent as an IMAP literal.
type literal []byte

// quoted is a command argument sent as a quoted string, or as a literal
// when it holds what a quoted string cannot (8-bit, CR, LF).
type quoted string

// run sends one command made of raw strings, quoted strings and literals,
// hands every untagged response to onData and returns the tagged one; a
// NO or BAD is an error that quotes the server.
func (c *imapClient) run(ctx context.Context, parts []any, onData func(*resp) error) (*resp, error) {
	tag, err := c.send(ctx, parts, onData)
	if err != nil {
		return nil, err
	}
	r, err := c.readTagged(ctx, commandName(parts), onData)
	switch {
	case err != nil:
		return nil, err
	case r.tag != tag:
		return nil, c.commandErr(ctx, commandName(parts), fmt.Errorf("response for unknown tag %q", r.tag))
	case r.status != "OK":
		return nil, c.commandErr(ctx, commandName(parts), fmt.Errorf("server answered %s %s", r.status, r.text))
	}
	return r, nil
}

func commandName(parts []any) string {
	if s, ok := parts[0].(string); ok {
		return strings.Fields(s)[0]
	}
	return ""
}

// commandErr names the server and the command; a cancelled run says so
// instead (its connection was closed under the command).
func (c *imapClient) commandErr(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%s: %s: %w", c.addr, name, err)
}

// send writes one command and returns its tag without waiting for the
// answer, except for the continuation a literal needs without LITERAL+
// (untagged responses meanwhile go to onData).
func (c *imapClient) send(ctx context.Context, parts []any, onData func(*resp) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c.tagN++
	tag := fmt.Sprintf("m%d", c.tagN)
	fail := func(err error) (string, error) { return "", c.commandErr(ctx, commandName(parts), err) }
	if _, err := c.w.WriteString(tag + " "); err != nil {
		return fail(err)
	}
	sendLiteral := func(data []byte) error {
		if c.has("LITERAL+") {
			fmt.Fprintf(c.w, "{%d+}\r\n", len(data))
		} else {
			fmt.Fprintf(c.w, "{%d}\r\n", len(data))
			if err := c.w.Flush(); err != nil {
				return err
			}
			for {
				r, err := c.readResp()
				if err != nil {
					return err
				}
				if r.tag == "+" {
					break
				}
				if r.tag == tag {
					return fmt.Errorf("server refused the literal: %s %s", r.status, r.text)
				}
				if onData != nil {
					if err := onData(r); err != nil {
						return err
					}
				}
			}
		}
		_, err := c.w.Write(data)
		return err
	}
	for _, p := range parts {
		var err error
		switch v := p.(type) {
		case string:
			_, err = c.w.WriteString(v)
		case quoted:
			if needsLiteral(string(v)) {
				err = sendLiteral([]byte(v))
			} else {
				_, err = c.w.WriteString(quoteString(string(v)))
			}
		case literal:
			err = sendLiteral(v)
		default:
			panic(fmt.Sprintf("imap: argument of type %T", p))
		}
		if err != nil {
			return fail(err)
		}
	}
	if _, err := c.w.WriteString("\r\n"); err != nil {
		return fail(err)
	}
	if err := c.w.Flush(); err != nil {
		return fail(err)
	}
	return tag, nil
}

// readTagged reads responses up to the next tagged one, whatever its
// status, handing the untagged ones to onData; name is the command the
// errors mention.
func (c *imapClient) readTagged(ctx context.Context, name string, onData func(*resp) error) (*resp, error) {
	for {
		r, err := c.readResp()
		if err != nil {
			return nil, c.commandErr(ctx, name, err)
		}
		switch {
		case r.tag == "*":
			if r.status == "BYE" {
				return nil, c.commandErr(ctx, name, fmt.Errorf("server closed the connection: %s", r.text))
			}
			if onData != nil {
				if err := onData(r); err != nil {
					return nil, c.commandErr(ctx, name, err)
				}
			}
		case r.tag == "+":
			return nil, c.commandErr(ctx, name, errors.New("unexpected continuation request"))
		default:
			return r, nil
		}
	}
}

func needsLiteral(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == '\r' || s[i] == '\n' || s[i] == 0 {
			return true
		}
	}
	return false
}

func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// --- response parser ---

func (c *imapClient) readResp() (*resp, error) {
	first, err := c.readToken()
	if err != nil {
		return nil, err
	}
	r := &resp{tag: first}
	if first == "+" {
		r.text, err = c.restOfLine()
		return r, err
	}
	if err := c.expect(' '); err != nil {
		return nil, err
	}
	second, err := c.readToken()
	if err != nil {
		return nil, err
	}
	upper := strings.ToUpper(second)
	switch {
	case upper == "OK" || upper == "NO" || upper == "BAD" || upper == "BYE" || upper == "PREAUTH":
		r.status = upper
		return r, c.readRespText(r)
	case first != "*":
		return nil, fmt.Errorf("tagged response %q %q without a status", first, second)
	}
	if n, err := strconv.ParseUint(second, 10, 32); err == nil {
		r.num = uint32(n)
		if err := c.expect(' '); err != nil {
			return nil, err
		}
		kind, err := c.readToken()
		if err != nil {
			return nil, err
		}
		r.kind = strings.ToUpper(kind)
	} else {
		r.kind = upper
	}
	r.fields, err = c.readLineValues()
	return r, err
}

// readRespText reads " [code] text" up to the end of the line.
func (c *imapClient) readRespText(r *resp) error {
	b, err := c.r.ReadByte()
	if err != nil {
		return err
	}
	if b == '\r' {
		return c.expect('\n')
	}
	if b != ' ' {
		return fmt.Errorf("expected a space after %s, got %q", r.status, b)
	}
	if p, err := c.r.Peek(1); err == nil && p[0] == '[' {
		_, _ = c.r.ReadByte()
		code, err := c.r.ReadString(']')
		if err != nil {
			return err
		}
		r.code = strings.TrimSuffix(code, "]")
	}
	text, err := c.restOfLine()
	r.text = strings.TrimSpace(text)
	return err
}

func (c *imapClient) restOfLine() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *imapClient) expect(want byte) error {
	b, err := c.r.ReadByte()
	if err != nil {
		return err
	}
	if b != want {
		return fmt.Errorf("expected %q, got %q", want, b)
	}
	return nil
}

// readToken reads the bytes up to a space or the end of the line.
func (c *imapClient) readToken() (string, error) {
	var b strings.Builder
	for {
		p, err := c.r.Peek(1)
		if err != nil {
			return "", err
		}
		if p[0] == ' ' || p[0] == '\r' || p[0] == '\n' {
			if b.Len() == 0 {
				return "", fmt.Errorf("empty token before %q", p[0])
			}
			return b.String(), nil
		}
		_, _ = c.r.ReadByte()
		b.WriteByte(p[0])
		if b.Len() > 1024 {
			return "", errors.New("token longer than 1024 bytes")
		}
	}
}

// readLineValues reads space-separated values to the end of the line.
func (c *imapClient) readLineValues() ([]any, error) {
	var out []any
	for {
		p, err := c.r.Peek(1)
		if err != nil {
			return nil, err
		}
		switch p[0] {
		case '\r':
			_, _ = c.r.ReadByte()
			return out, c.expect('\n')
		case '\n':
			_, _ = c.r.ReadByte()
			return out, nil
		case ' ':
			_, _ = c.r.ReadByte()
			continue
		}
		v, err := c.readValue(0)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

func (c *imapClient) readValue(depth int) (any, error) {
	if depth > 32 {
		return nil, errors.New("lists nested deeper than 32")
	}
	p, err := c.r.Peek(1)
	if err != nil {
		return nil, err
	}
	switch p[0] {
	case '(':
		_, _ = c.r.ReadByte()
		list := []any{}
		for {
			p, err := c.r.Peek(1)
			if err != nil {
				return nil, err
			}
			switch p[0] {
			case ')':
				_, _ = c.r.ReadByte()
				return list, nil
			case ' ':
				_, _ = c.r.ReadByte()
				continue
			case '\r', '\n':
				return nil, errors.New("line ends inside a list")
			}
			v, err := c.readValue(depth + 1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	case '"':
		_, _ = c.r.ReadByte()
		var b strings.Builder
		for {
			ch, err := c.r.ReadByte()
			if err != nil {
				return nil, err
			}
			switch ch {
			case '"':
				return b.String(), nil
			case '\\':
				if ch, err = c.r.ReadByte(); err != nil {
					return nil, err
				}
			case '\r', '\n':
				return nil, errors.New("line ends inside a quoted string")
			}
			b.WriteByte(ch)
		}
	case '{':
		_, _ = c.r.ReadByte()
		spec, err := c.r.ReadString('}')
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSuffix(spec, "}"), "+"), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad literal length {%s", spec)
		}
		if n > maxLiteral {
			return nil, fmt.Errorf("literal of %d bytes is above the %d-byte limit", n, maxLiteral)
		}
		if err := c.expect('\r'); err != nil {
			return nil, err
		}
		if err := c.expect('\n'); err != nil {
			return nil, err
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf), nil
	}
	// An atom; a fetch item such as BODY[HEADER.FIELDS (MESSAGE-ID)]
	// keeps its bracketed section, spaces and parentheses included.
	var b strings.Builder
	for {
		p, err := c.r.Peek(1)
		if err != nil {
			return nil, err
		}
		ch := p[0]
		if ch == ' ' || ch == '(' || ch == ')' || ch == '\r' || ch == '\n' || ch == '{' || ch == '"' {
			break
		}
		_, _ = c.r.ReadByte()
		b.WriteByte(ch)
		if ch == '[' && isSectionItem(b.String()) {
			sec, err := c.r.ReadString(']')
			if err != nil {
				return nil, err
			}
			b.WriteString(sec)
		}
		if b.Len() > 4096 {
			return nil, errors.New("atom longer than 4096 bytes")
		}
	}
	if b.Len() == 0 {
		return nil, fmt.Errorf("unexpected %q", p[0])
	}
	if strings.EqualFold(b.String(), "NIL") {
		return nil, nil
	}
	return atom(b.String()), nil
}

func isSectionItem(s string) bool {
	u := strings.ToUpper(s)
	return u == "BODY[" || u == "BODY.PEEK[" || u == "BINARY[" || u == "BINARY.PEEK["
}

// str is the text of an atom or string value.
func str(v any) (string, bool) {
	switch s := v.(type) {
	case atom:
		return string(s), true
	case string:
		return s, true
	}
	return "", false
}

// --- commands ---

// login authenticates with LOGIN (a Dovecot master user logs in as
// "user*master" the same way).
func (c *imapClient) login(ctx context.Context, user, password string) error {
	r, err := c.run(ctx, []any{"LOGIN ", quoted(user), " ", quoted(password)}, nil)
	if err != nil {
		return fmt.Errorf("log in as %s: %w", user, err)
	}
	c.setCaps(r.code)
	if c.caps == nil || !c.has("IMAP4REV1") {
		if _, err := c.run(ctx, []any{"CAPABILITY"}, func(r *resp) error {
			if r.kind == "CAPABILITY" {
				c.caps = map[string]bool{}
				for _, f := range r.fields {
					if s, ok := str(f); ok {
						c.caps[strings.ToUpper(s)] = true
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// mailboxInfo is one LIST entry, its name decoded to UTF-8.
type mailboxInfo struct {
	Name  string
	Delim string // "" when the server has no hierarchy
	Attrs map[string]bool
}

func (m mailboxInfo) attr(a string) bool { return m.Attrs[strings.ToLower(a)] }

// list returns every mailbox, with its special-use attributes when the
// server supports RFC 6154.
func (c *imapClient) list(ctx context.Context) ([]mailboxInfo, error) {
	cmd := `LIST "" "*"`
	if c.has("SPECIAL-USE") && c.has("LIST-EXTENDED") {
		cmd += " RETURN (SPECIAL-USE)"
	}
	var out []mailboxInfo
	_, err := c.run(ctx, []any{cmd}, func(r *resp) error {
		if r.kind != "LIST" {
			return nil
		}
		m, err := parseList(r.fields)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

func parseList(f []any) (mailboxInfo, error) {
	if len(f) < 3 {
		return mailboxInfo{}, fmt.Errorf("LIST response with %d fields", len(f))
	}
	m := mailboxInfo{Attrs: map[string]bool{}}
	attrs, ok := f[0].([]any)
	if !ok {
		return m, errors.New("LIST response without attribute list")
	}
	for _, a := range attrs {
		if s, ok := str(a); ok {
			m.Attrs[strings.ToLower(s)] = true
		}
	}
	if f[1] != nil {
		d, ok := str(f[1])
		if !ok || len(d) != 1 {
			return m, fmt.Errorf("LIST response with delimiter %v", f[1])
		}
		m.Delim = d
	}
	raw, ok := str(f[2])
	if !ok {
		return m, errors.New("LIST response without mailbox name")
	}
	name, err := decodeMailbox(raw)
	if err != nil {
		return m, err
	}
	if strings.EqualFold(name, "INBOX") {
		name = "INBOX"
	}
	m.Name = name
	return m, nil
}

// mailboxStatus is what SELECT or EXAMINE tells.
type mailboxStatus struct {
	Exists      uint32
	UIDValidity uint32
	UIDNext     uint32
}

// selectMailbox opens a mailbox: EXAMINE (read-only) for the source, so
// that not even \Recent changes there, SELECT for the target.
func (c *imapClient) selectMailbox(ctx context.Context, name string, readOnly bool) (mailboxStatus, error) {
	verb := "SELECT "
	if readOnly {
		verb = "EXAMINE "
	}
	var st mailboxStatus
	_, err := c.run(ctx, []any{verb, quoted(encodeMailbox(name))}, func(r *resp) error {
		switch {
		case r.kind == "EXISTS":
			st.Exists = r.num
		case r.status == "OK":
			f := strings.Fields(r.code)
			if len(f) == 2 {
				n, _ := strconv.ParseUint(f[1], 10, 32)
				switch strings.ToUpper(f[0]) {
				case "UIDVALIDITY":
					st.UIDValidity = uint32(n)
				case "UIDNEXT":
					st.UIDNext = uint32(n)
				}
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	if st.UIDValidity == 0 {
		return st, fmt.Errorf("%s: mailbox %q has no UIDVALIDITY: UIDs cannot be trusted", c.addr, name)
	}
	return st, nil
}

func (c *imapClient) create(ctx context.Context, name string) error {
	_, err := c.run(ctx, []any{"CREATE ", quoted(encodeMailbox(name))}, nil)
	return err
}

func (c *imapClient) subscribe(ctx context.Context, name string) error {
	_, err := c.run(ctx, []any{"SUBSCRIBE ", quoted(encodeMailbox(name))}, nil)
	return err
}

// msgInfo is what the copy knows of a message without its body.
type msgInfo struct {
	UID       uint32
	Flags     []string // as the server sent them, \Recent left out
	Date      time.Time
	Size      int64
	MessageID string
}

const internalDateLayout = "_2-Jan-2006 15:04:05 -0700"

// fetchIndex lists every message of the selected mailbox (which has
// exists messages) with its flags, INTERNALDATE, size and Message-ID.
func (c *imapClient) fetchIndex(ctx context.Context, exists uint32) ([]msgInfo, error) {
	if exists == 0 {
		return nil, nil
	}
	var out []msgInfo
	_, err := c.run(ctx, []any{"UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"}, func(r *resp) error {
		if r.kind != "FETCH" {
			return nil
		}
		items, err := fetchItems(r)
		if err != nil {
			return err
		}
		// Unsolicited FETCH responses (a flag changed by another session)
		// carry no date or size: they are not index entries.
		if _, ok := items["INTERNALDATE"]; !ok {
			return nil
		}
		m, err := parseMsgInfo(items)
		if err != nil {
			return fmt.Errorf("message %d: %w", r.num, err)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

func fetchItems(r *resp) (map[string]any, error) {
	if len(r.fields) != 1 {
		return nil, fmt.Errorf("FETCH %d: expected one list, got %d values", r.num, len(r.fields))
	}
	list, ok := r.fields[0].([]any)
	if !ok || len(list)%2 != 0 {
		return nil, fmt.Errorf("FETCH %d: malformed item list", r.num)
	}
	items := map[string]any{}
	for i := 0; i < len(list); i += 2 {
		k, ok := list[i].(atom)
		if !ok {
			return nil, fmt.Errorf("FETCH %d: item name %v is not an atom", r.num, list[i])
		}
		key := strings.ToUpper(string(k))
		if strings.HasPrefix(key, "BODY[HEADER") {
			key = "HEADER"
		}
		items[key] = list[i+1]
	}
	return items, nil
}

func parseMsgInfo(items map[string]any) (msgInfo, error) {
	var m msgInfo
	uid, err := numberItem(items, "UID")
	if err != nil {
		return m, err
	}
	m.UID = uint32(uid)
	if m.Size, err = numberItem(items, "RFC822.SIZE"); err != nil {
		return m, err
	}
	d, ok := str(items["INTERNALDATE"])
	if !ok {
		return m, errors.New("no INTERNALDATE")
	}
	if m.Date, err = time.Parse(internalDateLayout, d); err != nil {
		return m, fmt.Errorf("INTERNALDATE %q: %w", d, err)
	}
	flags, ok := items["FLAGS"].([]any)
	if !ok {
		return m, errors.New("no FLAGS")
	}
	for _, f := range flags {
		s, ok := str(f)
		if !ok {
			return m, fmt.Errorf("flag %v is not an atom", f)
		}
		if !strings.EqualFold(s, `\Recent`) {
			m.Flags = append(m.Flags, s)
		}
	}
	if h, ok := str(items["HEADER"]); ok {
		m.MessageID = headerValue(h, "Message-ID")
	}
	return m, nil
}

func numberItem(items map[string]any, name string) (int64, error) {
	s, ok := str(items[name])
	if !ok {
		return 0, fmt.Errorf("no %s", name)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s %q is not a number", name, s)
	}
	return n, nil
}

// headerValue finds a header field in a header block, unfolded.
func headerValue(block, name string) string {
	lines := strings.Split(strings.ReplaceAll(block, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), name) {
			continue
		}
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || strings.HasPrefix(lines[i+1], "\t")) {
			i++
			v += " " + strings.TrimSpace(lines[i])
		}
		return strings.TrimSpace(v)
	}
	return ""
}

// fetchBodies fetches the full messages of uids (BODY.PEEK[], so the
// source's \Seen does not change) and calls fn for each one that arrives.
func (c *imapClient) fetchBodies(ctx context.Context, uids []uint32, fn func(uid uint32, body []byte) error) error {
	_, err := c.run(ctx, []any{"UID FETCH " + uidSet(uids) + " (UID BODY.PEEK[])"}, func(r *resp) error {
		if r.kind != "FETCH" {
			return nil
		}
		items, err := fetchItems(r)
		if err != nil {
			return err
		}
		body, ok := items["BODY[]"]
		if !ok {
			return nil
		}
		uid, err := numberItem(items, "UID")
		if err != nil {
			return err
		}
		s, ok := str(body)
		if !ok {
			// NIL: the message vanished between the index and the fetch.
			return nil
		}
		return fn(uint32(uid), []byte(s))
	})
	return err
}

// appendMessage stores a message with its flags and INTERNALDATE; the
// UIDs come from APPENDUID when the server has UIDPLUS (0 otherwise).
func (c *imapClient) appendMessage(ctx context.Context, mailbox string, flags []string, date time.Time, body []byte) (uidValidity, uid uint32, err error) {
	uv, uids, err := c.appendMessages(ctx, mailbox, []appendItem{{flags, date, body}})
	if err != nil || len(uids) != 1 {
		return 0, 0, err
	}
	return uv, uids[0], nil
}

// appendItem is one message to store with APPEND.
type appendItem struct {
	flags []string
	date  time.Time
	body  []byte
}

// appendMessages stores msgs with one APPEND command: several messages
// need MULTIAPPEND (RFC 3502), which the server stores in one transaction,
// all or none, instead of one transaction per message. With LITERAL+ the
// whole command goes out without waiting for the server. The UIDs come
// from APPENDUID, in the order of msgs; nil when the server gives none
// (no UIDPLUS) or not one per message.
func (c *imapClient) appendMessages(ctx context.Context, mailbox string, msgs []appendItem) (uidValidity uint32, uids []uint32, err error) {
	if len(msgs) > 1 && !c.has("MULTIAPPEND") {
		return 0, nil, fmt.Errorf("%s does not announce MULTIAPPEND: append one message at a time", c.addr)
	}
	r, err := c.run(ctx, appendParts(mailbox, msgs), nil)
	if err != nil {
		return 0, nil, err
	}
	uidValidity, uids = appendUIDs(r, len(msgs))
	return uidValidity, uids, nil
}

// appendEach stores each message with its own APPEND, all of them sent
// before the first answer is read: with LITERAL+ a literal needs no
// continuation, so the target stores one message while the next ones
// travel. confirmed is called for each message the target stored, as its
// OK arrives; a refusal does not stop the reading of the other answers,
// so that every stored message is confirmed, and the first refusal is
// returned. The answers, a few short lines per message, fit in the
// socket buffers while the client is still sending.
func (c *imapClient) appendEach(ctx context.Context, mailbox string, msgs []appendItem, confirmed func(i int, uidValidity, uid uint32) error) error {
	if !c.has("LITERAL+") {
		return fmt.Errorf("%s does not announce LITERAL+: append one message at a time", c.addr)
	}
	pending := map[string]int{}
	for i, m := range msgs {
		tag, err := c.send(ctx, appendParts(mailbox, []appendItem{m}), nil)
		if err != nil {
			return err
		}
		pending[tag] = i
	}
	var refused error
	for len(pending) > 0 {
		r, err := c.readTagged(ctx, "APPEND", nil)
		if err != nil {
			return err
		}
		i, ok := pending[r.tag]
		if !ok {
			return c.commandErr(ctx, "APPEND", fmt.Errorf("response for unknown tag %q", r.tag))
		}
		delete(pending, r.tag)
		if r.status != "OK" {
			if refused == nil {
				refused = c.commandErr(ctx, "APPEND", fmt.Errorf("message %d of %d: server answered %s %s", i+1, len(msgs), r.status, r.text))
			}
			continue
		}
		var uid uint32
		uv, uids := appendUIDs(r, 1)
		if uids != nil {
			uid = uids[0]
		}
		if err := confirmed(i, uv, uid); err != nil {
			return err
		}
	}
	return refused
}

// appendParts is an APPEND command of msgs (MULTIAPPEND when several).
func appendParts(mailbox string, msgs []appendItem) []any {
	parts := []any{"APPEND ", quoted(encodeMailbox(mailbox))}
	for _, m := range msgs {
		parts = append(parts, " ("+strings.Join(m.flags, " ")+") ", `"`+m.date.Format("02-Jan-2006 15:04:05 -0700")+`" `, literal(m.body))
	}
	return parts
}

// appendUIDs reads APPENDUID from the tagged OK of an APPEND of n
// messages: nil UIDs when it is absent or does not name n messages.
func appendUIDs(r *resp, n int) (uidValidity uint32, uids []uint32) {
	f := strings.Fields(r.code)
	if len(f) != 3 || !strings.EqualFold(f[0], "APPENDUID") {
		return 0, nil
	}
	v, err := strconv.ParseUint(f[1], 10, 32)
	uids = parseUIDSet(f[2])
	if err != nil || len(uids) != n {
		return 0, nil
	}
	return uint32(v), uids
}

// parseUIDSet expands an APPENDUID uid-set ("7", "7:9", "7,9:10"), in
// its order; nil if it is not one.
func parseUIDSet(s string) []uint32 {
	var out []uint32
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b, err2 := strconv.ParseUint(hi, 10, 32)
		if err1 != nil || err2 != nil || a == 0 || b == 0 {
			return nil
		}
		if a > b {
			a, b = b, a
		}
		if b-a >= 1<<20 {
			return nil // more UIDs than any command sends
		}
		for u := a; u <= b; u++ {
			out = append(out, uint32(u))
		}
	}
	return out
}

// store changes flags of messages of the selected mailbox: op is
// "+FLAGS.SILENT" or "-FLAGS.SILENT".
func (c *imapClient) store(ctx context.Context, uids []uint32, op string, flags []string) error {
	_, err := c.run(ctx, []any{"UID STORE " + uidSet(uids) + " " + op + " (" + strings.Join(flags, " ") + ")"}, nil)
	return err
}

// uidSet writes uids (ascending) as an IMAP sequence set with ranges.
func uidSet(uids []uint32) string {
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j == i {
			b.WriteString(strconv.FormatUint(uint64(uids[i]), 10))
		} else {
			fmt.Fprintf(&b, "%d:%d", uids[i], uids[j])
		}
		i = j + 1
	}
	return b.String()
}
