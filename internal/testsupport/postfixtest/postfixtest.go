// Package postfixtest runs a real Postfix (Debian's postfix) on 127.0.0.1
// for tests, with a configuration directory and queue of its own, and
// speaks SMTP to it from a chosen loopback address (the whole of
// 127.0.0.0/8 is local on Linux), so that a test can stand several peers —
// a front, a Dovecot, a stranger — in front of the same Postfix.
package postfixtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// Server is a running Postfix.
type Server struct {
	dir  string
	conf string
	// Ports maps each smtpd service name given to Start to the loopback
	// port it listens on.
	Ports map[string]int
	log   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Config is what the test gives Postfix on top of a bare main.cf.
type Config struct {
	// Main are main.cf lines, applied in order with `postconf -e`.
	Main []string
	// Postconf are lines applied as Mailu's start.py applies its overrides:
	// `postconf -e "<line>"` (or -Me for Master) through /bin/sh.
	Postconf, PostconfMaster []string
	// Services are the smtpd services whose port the test reaches: each
	// is a master.cf service name (smtp, 10025, ...) whose listening
	// address is moved to a free loopback port.
	Services []string
}

// Start runs Postfix in the foreground with c until the test ends. Its
// master process runs as root (it binds and drops privileges to the
// postfix user, as in Mailu's image).
func Start(t testing.TB, c Config) *Server {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root: Postfix's master process starts as root and drops to the postfix user")
	}
	postfix, postconf := testenv.SystemTool(t, "postfix"), testenv.SystemTool(t, "postconf")
	pf, err := user.Lookup("postfix")
	if err != nil {
		testenv.Missing(t, "system user postfix (created by Debian's postfix): %v", err)
	}
	uid, _ := strconv.Atoi(pf.Uid)
	dir := t.TempDir()
	s := &Server{dir: dir, conf: filepath.Join(dir, "conf"), Ports: map[string]int{}, log: &syncBuffer{}}
	for _, d := range []string{"conf", "queue", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(dir, "data"), uid, -1); err != nil {
		t.Fatal(err)
	}
	// The queue is reached by postfix-owned processes through the test's
	// private temporary directories.
	for d := dir; d != "/" && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	master, err := os.ReadFile("/etc/postfix/master.cf") // Debian's stock services
	if err != nil {
		testenv.Missing(t, "Debian's /etc/postfix/master.cf: %v", err)
	}
	// Only the services Postfix itself needs: the test adds the smtpd ones.
	var keep []string
	for _, line := range strings.Split(string(master), "\n") {
		if strings.HasPrefix(line, "smtp ") && strings.Contains(line, " inet ") {
			continue
		}
		keep = append(keep, line)
	}
	if err := os.WriteFile(filepath.Join(s.conf, "master.cf"), []byte(strings.Join(keep, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.conf, "main.cf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{
		"queue_directory = " + filepath.Join(dir, "queue"),
		"data_directory = " + filepath.Join(dir, "data"),
		"mail_owner = postfix",
		"setgid_group = postdrop",
		"compatibility_level = 3.6",
		"inet_interfaces = loopback-only",
		"inet_protocols = ipv4",
		"maillog_file = /dev/stdout",
		"alias_maps =",
		"alias_database =",
		"smtpd_banner = $myhostname ESMTP",
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, l := range append(base, c.Main...) {
		run(postconf, "-c", s.conf, "-e", l)
	}
	// As Mailu's start.py: os.system('postconf -e "{}"'.format(line)).
	for _, l := range c.Postconf {
		run("/bin/sh", "-c", fmt.Sprintf(`%s -c %s -e "%s"`, postconf, s.conf, l))
	}
	for _, l := range c.PostconfMaster {
		run("/bin/sh", "-c", fmt.Sprintf(`%s -c %s -Me "%s"`, postconf, s.conf, l))
	}
	ports := freePorts(t, len(c.Services))
	for i, name := range c.Services {
		port := ports[i]
		run(postconf, "-c", s.conf, "-Fe", fmt.Sprintf("%s/inet/service=127.0.0.1:%d", name, port))
		s.Ports[name] = port
	}
	run(postfix, "-c", s.conf, "check")

	cmd := exec.Command(postfix, "-c", s.conf, "start-fg")
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command(postfix, "-c", s.conf, "stop").Run()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("Postfix's log:\n%s", s.log)
		}
	})
	for name, port := range s.Ports {
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Postfix service %s not listening on port %d: %v\n%s", name, port, err, s.log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return s
}

// freePorts returns n distinct free loopback ports: each listener stays
// open until all are chosen, or the kernel may hand out one port twice
// (two services on one address, and Postfix keeps only the last).
func freePorts(t testing.TB, n int) []int {
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// Log is what Postfix logged so far.
func (s *Server) Log() string { return s.log.String() }

// Session is one SMTP conversation.
type Session struct {
	conn net.Conn
	r    *bufio.Reader
}

// Dial opens a session with service from the loopback address from.
func (s *Server) Dial(t testing.TB, service, from string) *Session {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Ports[service]))
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	sess := &Session{conn: c, r: bufio.NewReader(c)}
	if code, text := sess.reply(t); code != 220 {
		t.Fatalf("greeting: %d %s", code, text)
	}
	return sess
}

func (s *Session) reply(t testing.TB) (int, string) {
	t.Helper()
	var text []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the reply: %v (so far %q)", err, text)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 {
			t.Fatalf("bad reply line %q", line)
		}
		text = append(text, line[4:])
		if line[3] == ' ' {
			code, _ := strconv.Atoi(line[:3])
			return code, strings.Join(text, "\n")
		}
	}
}

// Cmd sends one command and returns the reply's code and text.
func (s *Session) Cmd(t testing.TB, cmd string) (int, string) {
	t.Helper()
	if _, err := fmt.Fprintf(s.conn, "%s\r\n", cmd); err != nil {
		t.Fatal(err)
	}
	return s.reply(t)
}
