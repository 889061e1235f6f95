package mailmigrate

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/dovecottest"
)

// appendProxy stands between the copy and a real target and meddles with
// APPEND commands. Messages are numbered from 1 across every APPEND of
// every connection, a MULTIAPPEND holding several. It expects the client
// to send literals with LITERAL+ (it does not answer "+").
type appendProxy struct {
	addr string
	// drop: swallow that message while the target answers OK for the
	// rest of its command (or the proxy does, when it was alone): a
	// target that loses a message without saying so.
	drop int
	// hold: forward the command holding that message to the target but
	// never its tagged response to the client; held is closed once the
	// target has answered it (the message is stored, unconfirmed).
	hold int
	held chan struct{}
	// hide: capabilities taken out of the target's answers (MULTIAPPEND:
	// a target that takes one message per APPEND).
	hide []string

	mu          sync.Mutex
	sent        int // messages forwarded or dropped so far
	heldCount   int // messages in the held command
	confirmed   int // messages of the APPENDs whose OK reached the client
	appendCmds  int
	multiAppend int // APPEND commands of more than one message
}

func newAppendProxy(t *testing.T, ca *dovecottest.CA, target string) *appendProxy {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(ca.CertFile, ca.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &appendProxy{addr: l.Addr().String(), held: make(chan struct{})}
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := tls.Dial("tcp", target, ca.TLS())
			if err != nil {
				client.Close()
				continue
			}
			c := &proxyConn{client: client, server: server, pending: map[string]int{}}
			go p.serverToClient(c)
			go p.clientToServer(c)
		}
	}()
	return p
}

var (
	literalEndRe = regexp.MustCompile(`\{(\d+)\+?\}\r\n$`)
	// The command's head, up to the first message: tag, APPEND, mailbox.
	appendHeadRe = regexp.MustCompile(`^(\S+) APPEND ("(?:[^"\\]|\\.)*"|[^ ]+)`)
)

// proxyConn is what the proxy knows of one connection.
type proxyConn struct {
	client, server net.Conn
	wmu            sync.Mutex     // both directions write to the client
	pending        map[string]int // APPEND tag -> its number of messages
	heldTag        string
	frozen         bool // nothing reaches the client after the held answer
}

// readUnit reads one logical IMAP line: lines and the literals they
// announce. lits[i] follows segs[i].
func readUnit(r *bufio.Reader) (segs []string, lits [][]byte, err error) {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, nil, err
		}
		segs = append(segs, line)
		m := literalEndRe.FindStringSubmatch(line)
		if m == nil {
			return segs, lits, nil
		}
		n, _ := strconv.Atoi(m[1])
		lit := make([]byte, n)
		if _, err := io.ReadFull(r, lit); err != nil {
			return nil, nil, err
		}
		lits = append(lits, lit)
	}
}

func join(segs []string, lits [][]byte) []byte {
	var b []byte
	for i, s := range segs {
		b = append(b, s...)
		if i < len(lits) {
			b = append(b, lits[i]...)
		}
	}
	return b
}

func (p *appendProxy) clientToServer(c *proxyConn) {
	client, server, wmu := c.client, c.server, &c.wmu
	defer server.Close()
	r := bufio.NewReader(client)
	for {
		segs, lits, err := readUnit(r)
		if err != nil {
			return
		}
		head := appendHeadRe.FindStringSubmatch(segs[0])
		if head == nil || len(lits) == 0 {
			if _, err := server.Write(join(segs, lits)); err != nil {
				return
			}
			continue
		}
		// segs[i] announces message i (lits[i]); segs[0] starts with the
		// head; the last segment ends the command.
		tag, n := head[1], len(lits)
		p.mu.Lock()
		first := p.sent + 1
		p.sent += n
		p.appendCmds++
		if n > 1 {
			p.multiAppend++
		}
		if p.hold >= first && p.hold < first+n {
			c.heldTag, p.heldCount = tag, n
		}
		drop := -1 // index in this command of the message to drop
		if p.drop >= first && p.drop < first+n {
			drop = p.drop - first
		}
		p.mu.Unlock()
		switch {
		case drop == 0 && n == 1:
			wmu.Lock()
			_, _ = client.Write([]byte(tag + " OK Append completed.\r\n"))
			wmu.Unlock()
			continue
		case drop >= 0:
			if drop == 0 { // the next message takes the head
				segs[1] = head[0] + segs[1]
			}
			segs = append(segs[:drop], segs[drop+1:]...)
			lits = append(lits[:drop], lits[drop+1:]...)
			n--
		}
		p.mu.Lock()
		c.pending[tag] = n
		p.mu.Unlock()
		if _, err := server.Write(join(segs, lits)); err != nil {
			return
		}
	}
}

func (p *appendProxy) serverToClient(c *proxyConn) {
	client, server, wmu := c.client, c.server, &c.wmu
	defer client.Close()
	r := bufio.NewReader(server)
	for {
		segs, lits, err := readUnit(r)
		if err != nil {
			return
		}
		tag, _, _ := strings.Cut(segs[0], " ")
		p.mu.Lock()
		n, isAppend := c.pending[tag]
		delete(c.pending, tag)
		if tag == c.heldTag {
			c.heldTag = ""
			c.frozen = true
			close(p.held)
		}
		frozen := c.frozen
		if !frozen && isAppend && strings.HasPrefix(segs[0], tag+" OK") {
			p.confirmed += n
		}
		p.mu.Unlock()
		if frozen {
			continue
		}
		if strings.Contains(strings.ToUpper(segs[0]), "CAPABILITY") {
			for _, h := range p.hide {
				segs[0] = strings.ReplaceAll(segs[0], " "+h, "")
			}
		}
		wmu.Lock()
		_, err = client.Write(join(segs, lits))
		wmu.Unlock()
		if err != nil {
			return
		}
	}
}

// appendMode names in a subtest how the copy appends when the proxy
// hides the capabilities hide.
func appendMode(hide []string) string {
	if len(hide) > 0 {
		return " (pipelined APPENDs, no " + strings.Join(hide, ", ") + ")"
	}
	return " (MULTIAPPEND)"
}
