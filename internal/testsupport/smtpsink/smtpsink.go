// Package smtpsink is an SMTP server on loopback that keeps what it is sent,
// standing in for the platform's outbound relay (a mail provider that cannot
// be reached from here). Like a relay's submission port, it advertises AUTH
// PLAIN and refuses mail from a client that has not logged in with the
// expected account.
package smtpsink

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

// Message is one mail the sink accepted.
type Message struct {
	From string
	To   []string
	Data string // headers and body, dot-unstuffed
}

// Sink is a running server.
type Sink struct {
	Addr     string // 127.0.0.1:port
	user     string
	password string

	mu       sync.Mutex
	messages []Message
	refused  []string
}

// Start serves on a free loopback port until the test ends. Mail is
// accepted only after AUTH PLAIN as user with password.
func Start(t testing.TB, user, password string) *Sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Sink{Addr: l.Addr().String(), user: user, password: password}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
	return s
}

// Messages returns what was accepted so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Refused returns the commands refused so far (a wrong login, mail
// without one), as the client sent them.
func (s *Sink) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

func (s *Sink) refuse(cmd string) {
	s.mu.Lock()
	s.refused = append(s.refused, cmd)
	s.mu.Unlock()
}

func (s *Sink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	reply("220 smtpsink ESMTP")
	var authed bool
	var msg Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply("250-smtpsink")
			reply("250 AUTH PLAIN")
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				reply("504 5.5.4 only PLAIN")
				continue
			}
			if resp == "" {
				reply("334 ")
				if resp, err = r.ReadString('\n'); err != nil {
					return
				}
				resp = strings.TrimSpace(resp)
			}
			raw, _ := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if len(parts) == 3 && parts[1] == s.user && parts[2] == s.password {
				authed = true
				reply("235 2.7.0 authenticated")
			} else {
				s.refuse("AUTH PLAIN " + strings.Join(parts[1:], ":"))
				reply("535 5.7.8 bad credentials")
			}
		case "MAIL":
			if !authed {
				s.refuse(line)
				reply("530 5.7.0 authentication required")
				continue
			}
			msg = Message{From: addr(arg)}
			reply("250 2.1.0 ok")
		case "RCPT":
			msg.To = append(msg.To, addr(arg))
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(l, "\r\n") == "." {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			msg.Data = b.String()
			s.mu.Lock()
			s.messages = append(s.messages, msg)
			s.mu.Unlock()
			msg = Message{}
			reply("250 2.0.0 queued")
		case "RSET":
			msg = Message{}
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 not implemented")
		}
	}
}

// addr takes the address out of "FROM:<a@b> ..." or "TO:<a@b>".
func addr(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest = strings.TrimSpace(rest)
	if i := strings.Index(rest, ">"); strings.HasPrefix(rest, "<") && i > 0 {
		return rest[1:i]
	}
	return rest
}
