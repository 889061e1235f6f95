package stacks

import (
	"fmt"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/testsupport/dovecottest"
	"fullfrontend.be/infra/internal/testsupport/postfixtest"
	"fullfrontend.be/infra/internal/testsupport/smtpsink"
)

// checkMailRelay runs Postfix's relay decision on a real Postfix (Debian's
// 3.7; Mailu 2024.06 ships 3.8) with the postfix overrides of the rendered
// Mailu chart, applied as Mailu's start.py applies them, over the decisive
// lines of Mailu 2024.06.52's main.cf and master.cf (copied below as
// facts: the image's files are not here). The pod network becomes
// 127.0.0.0/8, where the test stands its peers:
//   - 127.0.0.2, the front: it passes on what a client claims (XCLIENT);
//   - 127.0.0.4, Dovecot: its forwards and vacation replies.
//
// The NetworkPolicies that keep everyone else off these ports are checked
// by planscan.MailTrust.
func checkMailRelay(t *testing.T, p *planscan.Plan) {
	var env, over, dovecotOver map[string]any
	for _, m := range p.Rendered {
		if m.Kind() != "ConfigMap" || !strings.HasPrefix(m.Name(), "mailu-") {
			continue
		}
		data, _ := m.Object["data"].(map[string]any)
		switch m.Name() {
		case "mailu-envvars":
			env = data
		case "mailu-postfix-override":
			over = data
		case "mailu-dovecot-override":
			dovecotOver = data
		}
	}
	subnet, _ := env["SUBNET"].(string)
	if subnet == "" || over == nil {
		t.Fatalf("no rendered Mailu with SUBNET (%q) and postfix overrides (%v)", subnet, over)
	}
	local := func(v any) []string {
		s, _ := v.(string)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(strings.ReplaceAll(s, subnet, "127.0.0.0/8")), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") { // start.py's is_valid_postconf_line
				out = append(out, l)
			}
		}
		return out
	}
	relay := smtpsink.Start(t, "relay-user", "relay-password")
	pf := postfixtest.Start(t, postfixtest.Config{
		Main: []string{
			"myhostname = mail.fullfrontend.be",
			"mydomain = fullfrontend.be",
			"mydestination =",
			"virtual_mailbox_domains = fullfrontend.be",
			"virtual_mailbox_maps = inline:{ alice@fullfrontend.be=alice }",
			"virtual_transport = discard:mailboxes are Dovecot's, not this test's",
			// Mailu's main.cf, SUBNET being 127.0.0.0/8 here.
			"mynetworks = 127.0.0.1/32 127.0.0.0/8",
			"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
			"smtpd_authorized_xclient_hosts = 127.0.0.0/8",
			"relayhost = [127.0.0.1]:" + strings.TrimPrefix(relay.Addr, "127.0.0.1:"),
			"smtp_sasl_auth_enable = yes",
			"smtp_sasl_password_maps = inline:{ [127.0.0.1]:" + strings.TrimPrefix(relay.Addr, "127.0.0.1:") + "=relay-user:relay-password }",
			// Mailu adds noplaintext (its relay speaks TLS); the sink does not.
			"smtp_sasl_security_options = noanonymous",
		},
		PostconfMaster: append([]string{
			// Mailu's master.cf: port 25, and 10025 for logged-in senders
			// (front's Dovecot relays them with XCLIENT LOGIN=...).
			"smtp/inet=smtp inet n - n - - smtpd",
			"10025/inet=10025 inet n - n - - smtpd",
		}, local(over["postfix.master"])...),
		Postconf: local(over["postfix.cf"]),
		Services: append([]string{"smtp", "10025"}, forwardServices(local(over["postfix.master"]))...),
	})
	forward := forwardServices(local(over["postfix.master"]))

	const front, dovecot = "127.0.0.2", "127.0.0.4"
	cases := []struct {
		name, service, from, xclient, rcpt string
		want                               int
	}{
		{"a client claiming 127.0.0.1 through a PROXY header", "smtp", front, "ADDR=127.0.0.1", "someone@example.net", 554},
		{"a pod passed on by front as itself", "smtp", front, "ADDR=127.0.0.9", "someone@example.net", 554},
		{"a client claiming 127.0.0.1 on the submission relay port", "10025", front, "ADDR=127.0.0.1", "someone@example.net", 554},
		{"inbound mail for a mailbox", "smtp", front, "ADDR=203.0.113.7", "alice@fullfrontend.be", 250},
	}
	if len(forward) == 1 {
		cases = append(cases, struct {
			name, service, from, xclient, rcpt string
			want                               int
		}{"Dovecot's forward", forward[0], dovecot, "", "someone@example.net", 250})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := pf.Dial(t, tc.service, tc.from)
			s.Cmd(t, "EHLO peer.test")
			if tc.xclient != "" {
				if code, text := s.Cmd(t, "XCLIENT "+tc.xclient); code != 220 {
					t.Fatalf("XCLIENT %s from front: %d %s", tc.xclient, code, text)
				}
				s.Cmd(t, "EHLO peer.test")
			}
			if code, text := s.Cmd(t, "MAIL FROM:<bob@example.org>"); code != 250 {
				t.Fatalf("MAIL FROM: %d %s", code, text)
			}
			if code, text := s.Cmd(t, "RCPT TO:<"+tc.rcpt+">"); code != tc.want {
				t.Errorf("RCPT TO:<%s>: %d %s; want %d", tc.rcpt, code, text, tc.want)
			}
		})
	}

	if len(forward) != 1 {
		t.Fatalf("want one Postfix port for Dovecot's forwards in postfix.master, got %v", forward)
	}
	t.Run("XCLIENT refused on the forward port", func(t *testing.T) {
		s := pf.Dial(t, forward[0], dovecot)
		s.Cmd(t, "EHLO dovecot.test")
		if code, text := s.Cmd(t, "XCLIENT LOGIN=alice@fullfrontend.be"); code/100 != 5 {
			t.Errorf("XCLIENT on the forward port: %d %s; want a refusal", code, text)
		}
	})

	t.Run("a forward leaves through the relay", func(t *testing.T) {
		s := pf.Dial(t, forward[0], dovecot)
		s.Cmd(t, "EHLO dovecot.test")
		for _, c := range []string{"MAIL FROM:<alice@fullfrontend.be>", "RCPT TO:<someone@example.net>", "DATA"} {
			if code, text := s.Cmd(t, c); code/100 != 2 && code != 354 {
				t.Fatalf("%s: %d %s", c, code, text)
			}
		}
		if code, text := s.Cmd(t, "Subject: vacation\r\n\r\nAway until Monday.\r\n."); code != 250 {
			t.Fatalf("end of DATA: %d %s", code, text)
		}
		s.Cmd(t, "QUIT")
		deadline := time.Now().Add(60 * time.Second)
		for len(relay.Messages()) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the relay received nothing in 60 s (refused: %v)", relay.Refused())
			}
			time.Sleep(200 * time.Millisecond)
		}
		if m := relay.Messages()[0]; len(m.To) != 1 || m.To[0] != "someone@example.net" || !strings.Contains(m.Data, "Away until Monday.") {
			t.Errorf("the relay received %+v", m)
		}
	})
	t.Run("Dovecot's sieve forward and vacation reply leave through the relay", func(t *testing.T) {
		conf, _ := dovecotOver["dovecot.conf"].(string)
		checkDovecotForward(t, conf, fmt.Sprintf("127.0.0.1:%d", pf.Ports[forward[0]]), relay)
	})
}

// checkDovecotForward delivers a message over LMTP to a real Dovecot
// (Debian's 2.3 with Pigeonhole, as Mailu's image) whose user has a sieve
// script with a redirect and a vacation reply. Dovecot reads Mailu's
// submission_host for PROXY protocol on port 25 (the public name), then
// the rendered override, as Mailu's dovecot.conf does with its last line
// (!include_try /overrides/dovecot.conf). The override's Service name
// resolves to Postfix in the cluster; here it is replaced by the test's
// Postfix port. Both mails must reach the relay.
func checkDovecotForward(t *testing.T, override, postfixAddr string, relay *smtpsink.Sink) {
	m := regexp.MustCompile(`(?m)^submission_host = (\S+)$`).FindStringSubmatch(override)
	if m == nil {
		t.Fatalf("the rendered Dovecot override sets no submission_host:\n%s", override)
	}
	dir := t.TempDir()
	overrideFile := filepath.Join(dir, "dovecot-override.conf")
	if err := os.WriteFile(overrideFile, []byte(strings.ReplaceAll(override, m[1], postfixAddr)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lmtpPort := dovecottest.FreePort(t)
	ca := dovecottest.NewCA(t)
	d := dovecottest.Start(t, ca, dovecottest.Config{Delim: "/", Users: map[string]string{"alice@fullfrontend.be": "alice-password"},
		Extra: fmt.Sprintf(`protocols = imap lmtp
postmaster_address = postmaster@fullfrontend.be
hostname = mail.fullfrontend.be
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %d
  }
}
protocol lmtp {
  mail_plugins = $mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_vacation_dont_check_recipient = yes
  sieve_vacation_send_from_recipient = yes
}
submission_host = mail.fullfrontend.be
!include_try %s
`, lmtpPort, overrideFile)})
	home := filepath.Join(d.MailRoot, "fullfrontend.be", "alice")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	dovecottest.WriteFile(t, filepath.Join(home, ".dovecot.sieve"), `require ["vacation"];
redirect "alice.forward@example.net";
vacation :days 1 :subject "Absente" "De retour lundi.";
`)
	for _, p := range []string{home, filepath.Join(home, ".dovecot.sieve"), filepath.Join(d.MailRoot, "fullfrontend.be")} {
		if err := os.Chown(p, d.MailUID, d.MailGID); err != nil {
			t.Fatal(err)
		}
	}

	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", lmtpPort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tp := textproto.NewConn(c)
	step := func(cmd string, want int) {
		t.Helper()
		if cmd != "" {
			if err := tp.PrintfLine("%s", cmd); err != nil {
				t.Fatal(err)
			}
		}
		if _, msg, err := tp.ReadResponse(want); err != nil {
			t.Fatalf("LMTP %q: %v %s", cmd, err, msg)
		}
	}
	step("", 220)
	step("LHLO test", 250)
	step("MAIL FROM:<bob@example.org>", 250)
	step("RCPT TO:<alice@fullfrontend.be>", 250)
	step("DATA", 354)
	w := tp.DotWriter()
	fmt.Fprint(w, "From: Bob <bob@example.org>\r\nTo: alice@fullfrontend.be\r\nSubject: devis\r\nMessage-ID: <devis-1@example.org>\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\n\r\nBonjour Alice.\r\n")
	w.Close()
	step("", 250)

	want := map[string]bool{"alice.forward@example.net": false, "bob@example.org": false}
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, msg := range relay.Messages() {
			for _, to := range msg.To {
				if _, ok := want[to]; ok {
					want[to] = true
				}
			}
		}
		if want["alice.forward@example.net"] && want["bob@example.org"] {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(filepath.Dir(d.Conf), "dovecot.log"))
			t.Fatalf("after 60 s the relay has the forward: %v, the vacation reply: %v (refused: %v)\nDovecot's log:\n%s",
				want["alice.forward@example.net"], want["bob@example.org"], relay.Refused(), log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// forwardServices are the master.cf service names of postconf -M lines.
func forwardServices(master []string) []string {
	var out []string
	for _, l := range master {
		if name, _, ok := strings.Cut(l, "="); ok {
			out = append(out, strings.TrimSuffix(name, "/inet"))
		}
	}
	return out
}
