package doctor

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"fullfrontend.be/infra/internal/testsupport/certtest"
)

// fakeMail is a tiny SMTP or IMAP server: enough of the protocol for the
// doctor's probe (greeting, EHLO, STARTTLS, QUIT / LOGOUT).
type fakeMail struct {
	greeting string           // first line, e.g. "220 mail.fullfrontend.be ESMTP"
	imap     bool             // IMAP instead of SMTP
	implicit *tls.Certificate // TLS from the first byte
	starttls *tls.Certificate // offer STARTTLS with this certificate
	auth     bool             // offer AUTH once TLS is on
}

// start listens on 127.0.0.1 and returns the port.
func (m fakeMail) start(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go m.serve(conn)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func (m fakeMail) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	secure := false
	if m.implicit != nil {
		conn = tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{*m.implicit}})
		secure = true
	}
	rd := bufio.NewReader(conn)
	fmt.Fprintf(conn, "%s\r\n", m.greeting)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case m.imap && strings.HasSuffix(cmd, "LOGOUT"):
			fmt.Fprintf(conn, "* BYE\r\na1 OK LOGOUT completed\r\n")
			return
		case m.imap:
			fmt.Fprintf(conn, "a1 BAD\r\n")
		case strings.HasPrefix(cmd, "EHLO "):
			fmt.Fprintf(conn, "250-mail.fullfrontend.be hello\r\n")
			if m.starttls != nil && !secure {
				fmt.Fprintf(conn, "250-STARTTLS\r\n")
			}
			if m.auth && secure {
				fmt.Fprintf(conn, "250-AUTH PLAIN LOGIN\r\n")
			}
			fmt.Fprintf(conn, "250 8BITMIME\r\n")
		case cmd == "STARTTLS" && m.starttls != nil && !secure:
			fmt.Fprintf(conn, "220 2.0.0 Ready to start TLS\r\n")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{*m.starttls}})
			if tc.Handshake() != nil {
				return
			}
			conn, rd, secure = tc, bufio.NewReader(tc), true
		case cmd == "QUIT":
			fmt.Fprintf(conn, "221 2.0.0 Bye\r\n")
			return
		default:
			fmt.Fprintf(conn, "502 5.5.2 Error: command not recognized\r\n")
		}
	}
}

func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestMail(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Test Root")
	good := ca.Issue(t, certtest.Leaf{DNSNames: []string{"mail.fullfrontend.be"}})
	expired := ca.Issue(t, certtest.Leaf{DNSNames: []string{"mail.fullfrontend.be"}, NotBefore: time.Now().AddDate(0, -4, 0), NotAfter: time.Now().AddDate(0, -1, 0)})
	smtp := fakeMail{greeting: "220 mail.fullfrontend.be ESMTP Postfix", starttls: &good}
	smtps := fakeMail{greeting: "220 mail.fullfrontend.be ESMTP Postfix", implicit: &good, auth: true}
	submission := fakeMail{greeting: "220 mail.fullfrontend.be ESMTP Postfix", starttls: &good, auth: true}
	imaps := fakeMail{greeting: "* OK [CAPABILITY IMAP4rev1] Dovecot ready.", imap: true, implicit: &good}
	// A zone whose SPF does not go through a relay: a wrong PTR is an error.
	noRelay := func(e *Expect) {
		for i, r := range e.DNSRecords {
			if r.RecordType == "TXT" && r.DNSName == "fullfrontend.be" {
				e.DNSRecords[i].Targets = []string{"v=spf1 mx -all"}
			}
		}
	}
	tests := []struct {
		name                           string
		smtp, smtps, submission, imaps *fakeMail // nil: the healthy server
		closeIMAPS                     bool      // nothing listens on the IMAPS port
		expect                         func(*Expect)
		resolver                       []string // added to the good resolver's records
		dropPTR                        bool
		wants                          map[string]want
	}{
		{name: "healthy mail server", wants: map[string]want{
			"port 25 (smtp)":             {OK, "220 mail.fullfrontend.be ESMTP Postfix; STARTTLS; certificate valid until"},
			"port 465 (smtps)":           {OK, "certificate valid until"},
			"port 993 (imaps)":           {OK, `"* OK [CAPABILITY IMAP4rev1] Dovecot ready."`},
			"reverse DNS 127.0.0.1":      {OK, "PTR mail.fullfrontend.be"},
			"blocklist zen.spamhaus.org": {OK, "127.0.0.1 not listed"},
		}},
		{name: "wrong banner on 25", smtp: &fakeMail{greeting: "554 5.7.1 No SMTP service here"},
			wants: map[string]want{"port 25 (smtp)": {Error, "no SMTP 220 greeting: answered 554"}}},
		{name: "a web server on 587", submission: &fakeMail{greeting: "HTTP/1.1 400 Bad Request"},
			wants: map[string]want{"port 587 (submission)": {Error, "no SMTP 220 greeting"}}},
		{name: "993 closed", closeIMAPS: true,
			wants: map[string]want{"port 993 (imaps)": {Error, "no answer"}}},
		{name: "no STARTTLS on 587", submission: &fakeMail{greeting: "220 mail.fullfrontend.be ESMTP", auth: true},
			wants: map[string]want{"port 587 (submission)": {Error, "STARTTLS not offered"}}},
		{name: "IMAP refuses", imaps: &fakeMail{greeting: "* BYE server overloaded", imap: true, implicit: &good},
			wants: map[string]want{"port 993 (imaps)": {Error, `greeting "* BYE server overloaded"`}}},
		{name: "expired certificate on 465", smtps: &fakeMail{greeting: "220 mail.fullfrontend.be ESMTP", implicit: &expired, auth: true},
			wants: map[string]want{"port 465 (smtps)": {Error, "certificate expired on"}}},
		{name: "expired certificate behind STARTTLS", smtp: &fakeMail{greeting: "220 mail.fullfrontend.be ESMTP", starttls: &expired},
			wants: map[string]want{"port 25 (smtp)": {Error, "STARTTLS; certificate expired on"}}},
		{name: "25 greets under another name", smtp: &fakeMail{greeting: "220 box.fullfrontend.be ESMTP", starttls: &good},
			wants: map[string]want{"port 25 (smtp)": {Warning, `greets as "box.fullfrontend.be"`}}},
		{name: "no AUTH on submission", submission: &fakeMail{greeting: "220 mail.fullfrontend.be ESMTP", starttls: &good},
			wants: map[string]want{"port 587 (submission)": {Warning, "AUTH not offered"}}},
		{name: "PTR of the old box, mail relayed", resolver: []string{"1.0.0.127.in-addr.arpa. 300 IN PTR box.fullfrontend.be."}, dropPTR: true,
			wants: map[string]want{"reverse DNS 127.0.0.1": {Warning, "PTR is box.fullfrontend.be, not mail.fullfrontend.be (outgoing mail goes through the SPF relay"}}},
		{name: "no PTR, mail sent directly", expect: noRelay, dropPTR: true,
			wants: map[string]want{"reverse DNS 127.0.0.1": {Error, "no PTR record"}}},
		{name: "listed on SpamCop and Spamhaus", resolver: []string{
			"1.0.0.127.bl.spamcop.net. 300 IN A 127.0.0.2",
			"1.0.0.127.zen.spamhaus.org. 300 IN A 127.0.0.4",
		}, wants: map[string]want{
			"blocklist bl.spamcop.net":   {Error, "127.0.0.1 is listed (answer 127.0.0.2)"},
			"blocklist zen.spamhaus.org": {Error, "is listed (answer 127.0.0.4)"},
		}},
		{name: "Spamhaus refuses a public resolver", resolver: []string{"1.0.0.127.zen.spamhaus.org. 300 IN A 127.255.255.254"},
			wants: map[string]want{"blocklist zen.spamhaus.org": {Warning, "unknown: the list refused the query (answer 127.255.255.254"}}},
		{name: "a resolver that rewrites missing names", resolver: []string{"1.0.0.127.b.barracudacentral.org. 300 IN A 198.51.100.80"},
			wants: map[string]want{"blocklist b.barracudacentral.org": {Warning, "unexpected answer 198.51.100.80"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pick := func(override *fakeMail, def fakeMail) int {
				if override != nil {
					return override.start(t)
				}
				return def.start(t)
			}
			ports := MailPorts{SMTP: pick(tt.smtp, smtp), SMTPS: pick(tt.smtps, smtps), Submission: pick(tt.submission, submission), IMAPS: pick(tt.imaps, imaps)}
			if tt.closeIMAPS {
				ports.IMAPS = closedPort(t)
			}
			_, res := dnsWorld(t)
			if tt.dropPTR {
				res.replace(t, "1.0.0.127.in-addr.arpa", dns.TypePTR)
			}
			res.add(t, tt.resolver...)
			e := testExpect(t)
			if tt.expect != nil {
				tt.expect(&e)
			}
			rep := runGroups(t, Options{Expect: e, Resolver: res.addr, MailAddr: "127.0.0.1", MailPorts: ports, Roots: ca.Pool()}, GroupMail)
			expectChecks(t, rep, []string{GroupMail}, tt.wants)
			if len(rep.Checks) != 8 {
				t.Errorf("%d mail checks, want 4 ports + PTR + 3 blocklists:\n%s", len(rep.Checks), dumpChecks(rep))
			}
		})
	}
}

func TestMailDisabled(t *testing.T) {
	t.Parallel()
	e := testExpect(t)
	e.MailHost = ""
	rep := runGroups(t, Options{Expect: e, Resolver: "127.0.0.1:1"}, GroupMail)
	expectChecks(t, rep, []string{GroupMail}, map[string]want{"mail": {OK, "runs no mail server"}})
}
