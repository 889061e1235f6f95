// Package dovecottest runs real Dovecot IMAP servers (Debian's
// dovecot-imapd) on 127.0.0.1 for tests: each with its own configuration,
// passwd-file users, optional master users and maildir storage in a
// temporary directory, over TLS with a certificate from a CA the test
// makes. doveadm reads the storage back without IMAP, so a test can check
// an IMAP client's work independently of that client.
package dovecottest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// CA is a certificate authority made by the test, and a server
// certificate for 127.0.0.1 signed by it: the copy verifies the servers'
// certificates as in production, against this CA instead of the system's.
type CA struct {
	CertFile, KeyFile, CAFile string
	Pool                      *x509.CertPool
}

func NewCA(t testing.TB) *CA {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailmigrate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), CAFile: filepath.Join(dir, "ca.pem"), Pool: x509.NewCertPool()}
	ca.Pool.AddCert(caCert)
	write := func(p, typ string, b []byte, mode os.FileMode) {
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(ca.CertFile, "CERTIFICATE", der, 0o644)
	write(ca.KeyFile, "PRIVATE KEY", keyDER, 0o600)
	write(ca.CAFile, "CERTIFICATE", caDER, 0o644)
	return ca
}

func (ca *CA) TLS() *tls.Config { return &tls.Config{RootCAs: ca.Pool} }

// Config is what differs between the test servers.
type Config struct {
	Delim  string            // hierarchy separator: "." like Mail-in-a-Box, "/" to test the mapping
	Layout string            // "" (Maildir++) or "fs"
	Users  map[string]string // address -> password
	Master map[string]string // master user -> password ("" map: none)
	// mailboxes are the namespace's special folders: name -> attribute.
	Mailboxes map[string]string
	// Extra is appended to dovecot.conf (a later setting wins): more
	// protocols, plugins, includes.
	Extra string
}

// Server is a real Dovecot (Debian's dovecot-imapd) started by the test
// on 127.0.0.1, with its own configuration, passwd-file users and maildir
// storage in a temporary directory.
type Server struct {
	Addr     string // 127.0.0.1:<port>, IMAP over TLS
	dir      string
	Conf     string // its dovecot.conf, for doveadm -c
	MailRoot string // maildirs: <MailRoot>/<domain>/<local part>
	MailUID  int    // owner of the mail files
	MailGID  int
	cmd      *exec.Cmd
	exited   chan struct{}
}

// Debian's dovecot-core creates these system users; as another user
// (a developer without root) everything runs as that user.
func dovecotUsers(t testing.TB) (internal, login, mail string, uid, gid int) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		return u.Username, u.Username, u.Username, uid, gid
	}
	m, err := user.Lookup("mail")
	if err != nil {
		testenv.Missing(t, "system user mail (Debian's base system has it): %v", err)
	}
	for _, name := range []string{"dovecot", "dovenull"} {
		if _, err := user.Lookup(name); err != nil {
			testenv.Missing(t, "system user %s (created by Debian's dovecot-core): %v", name, err)
		}
	}
	uid, _ = strconv.Atoi(m.Uid)
	gid, _ = strconv.Atoi(m.Gid)
	return "dovecot", "dovenull", "mail", uid, gid
}

// openForOthers lets Dovecot's unprivileged processes reach dir through
// the test's private temporary directories.
func openForOthers(t testing.TB, dir string) {
	if os.Geteuid() != 0 {
		return
	}
	for d := dir; d != "/" && d != "." && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// Start runs a Dovecot with c, stopped when the test ends.
func Start(t testing.TB, ca *CA, c Config) *Server {
	t.Helper()
	bin := testenv.SystemTool(t, "dovecot")
	testenv.SystemTool(t, "doveadm")
	internal, login, mailUser, uid, gid := dovecotUsers(t)
	dir := t.TempDir()
	openForOthers(t, dir)
	// Unix socket paths are limited to 108 bytes: the sockets live in a
	// short directory of their own.
	run, err := os.MkdirTemp("", "mm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	openForOthers(t, run)
	d := &Server{dir: dir, MailRoot: filepath.Join(dir, "mail"), MailUID: uid, MailGID: gid}
	if err := os.MkdirAll(d.MailRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d.MailRoot, uid, gid); err != nil {
		t.Fatal(err)
	}
	var users, masters strings.Builder
	for u, p := range c.Users {
		fmt.Fprintf(&users, "%s:{PLAIN}%s\n", u, p)
	}
	for u, p := range c.Master {
		fmt.Fprintf(&masters, "%s:{PLAIN}%s\n", u, p)
	}
	WriteFile(t, filepath.Join(dir, "users"), users.String())
	WriteFile(t, filepath.Join(dir, "masters"), masters.String())
	var mb strings.Builder
	for name, use := range c.Mailboxes {
		fmt.Fprintf(&mb, "  mailbox \"%s\" {\n    special_use = %s\n    auto = subscribe\n  }\n", name, use)
	}
	layout := ""
	if c.Layout != "" {
		layout = ":LAYOUT=" + c.Layout
	}
	masterDB := ""
	if len(c.Master) > 0 {
		masterDB = fmt.Sprintf("auth_master_user_separator = *\npassdb {\n  driver = passwd-file\n  args = %s\n  master = yes\n  pass = yes\n}\n", filepath.Join(dir, "masters"))
	}
	var lastErr error
	// The free port is handed to Dovecot after it was closed here:
	// another process may take it in between, so try a few.
	for attempt := range 3 {
		port := FreePort(t)
		d.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		conf := fmt.Sprintf(`base_dir = %[16]s/%[2]d
state_dir = %[1]s/state
instance_name = mailmigrate-%[3]d
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <%[4]s
ssl_key = <%[5]s
default_internal_user = %[6]s
default_login_user = %[7]s
first_valid_uid = %[8]d
first_valid_gid = %[9]d
mail_location = maildir:%[10]s/%%d/%%n%[11]s
mail_fsync = never
auth_mechanisms = plain
%[12]s
passdb {
  driver = passwd-file
  args = %[1]s/users
}
userdb {
  driver = static
  args = uid=%[13]s gid=%[13]s home=%[10]s/%%d/%%n
}
namespace inbox {
  inbox = yes
  separator = %[14]s
%[15]s}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = %[3]d
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
%[17]s
`, dir, attempt, port, ca.CertFile, ca.KeyFile, internal, login, uid, gid, d.MailRoot, layout, masterDB, mailUser, c.Delim, mb.String(), run, c.Extra)
		d.Conf = filepath.Join(dir, "dovecot.conf")
		WriteFile(t, d.Conf, conf)
		var out bytes.Buffer
		cmd := exec.Command(bin, "-F", "-c", d.Conf)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start dovecot: %v", err)
		}
		d.cmd, d.exited = cmd, make(chan struct{})
		go func() { _ = cmd.Wait(); close(d.exited) }()
		if lastErr = d.waitReady(ca); lastErr == nil {
			t.Cleanup(d.stop)
			return d
		}
		d.stop()
		log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		lastErr = fmt.Errorf("%w\n%s\n%s", lastErr, out.String(), log)
	}
	t.Fatalf("dovecot did not start: %v", lastErr)
	return nil
}

// waitReady waits for a greeting that announces capabilities: Dovecot
// greets "Waiting for authentication process" until its auth is up.
func (d *Server) waitReady(ca *CA) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			return fmt.Errorf("dovecot exited")
		default:
		}
		if greeted(d.Addr, ca) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("dovecot on %s not ready within 15s", d.Addr)
}

func (d *Server) stop() {
	select {
	case <-d.exited:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}

// greeted reports whether the server greets with its capabilities over
// TLS: until its auth process is up, Dovecot first says "Waiting for
// authentication process".
func greeted(addr string, ca *CA) bool {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "* OK [CAPABILITY ")
}

// Chown gives the mail user everything under dir (maildir files a test
// wrote itself).
func (d *Server) Chown(t testing.TB, dir string) {
	t.Helper()
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, d.MailUID, d.MailGID)
	}); err != nil {
		t.Fatal(err)
	}
}

// Message is one message as doveadm reads it from the storage, without
// IMAP: the independent view a test checks an IMAP client against.
type Message struct {
	Mailbox   string
	UID       uint32
	Flags     []string
	Date      int64
	Size      int64
	MessageID string
	Text      string
}

// FetchAll reads every message of user with doveadm fetch.
func (d *Server) FetchAll(t testing.TB, user string) []Message {
	t.Helper()
	out, err := exec.Command(testenv.SystemTool(t, "doveadm"), "-c", d.Conf, "-f", "json", "fetch", "-u", user,
		"mailbox uid flags date.received.unixtime size.virtual hdr.message-id text", "all").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("doveadm fetch -u %s: %v\n%s", user, err, stderr)
	}
	var rows []map[string]string
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("doveadm fetch output: %v\n%.500s", err, out)
	}
	var msgs []Message
	for _, r := range rows {
		uid, _ := strconv.ParseUint(r["uid"], 10, 32)
		date, err := strconv.ParseInt(r["date.received.unixtime"], 10, 64)
		if err != nil {
			t.Fatalf("doveadm date.received.unixtime %q: %v", r["date.received.unixtime"], err)
		}
		size, _ := strconv.ParseInt(r["size.virtual"], 10, 64)
		msgs = append(msgs, Message{Mailbox: r["mailbox"], UID: uint32(uid), Flags: strings.Fields(r["flags"]),
			Date: date, Size: size, MessageID: strings.TrimSpace(r["hdr.message-id"]), Text: r["text"]})
	}
	return msgs
}

// Doveadm runs a doveadm command against this instance.
func (d *Server) Doveadm(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(testenv.SystemTool(t, "doveadm"), append([]string{"-c", d.Conf}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("doveadm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// WriteFile writes a file or fails the test.
func WriteFile(t testing.TB, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FreePort returns a TCP port free on 127.0.0.1 a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
