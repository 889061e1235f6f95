package mailmigrate

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/dovecottest"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// The benchmarks compare the copy with Dovecot's own migration tool on
// the same data and machine: doveadm backup pulling over IMAP (imapc),
// the way Dovecot's documentation migrates from another IMAP server.
// Both are measured in messages per second over loopback TLS, a fresh
// target each iteration:
//
//	go test ./internal/mailmigrate/ -run '^$' -bench . -benchtime 3x
//
// The figures go into docs/migration-mail.md.

func benchEnv(b *testing.B) (*mailEnv, int) {
	b.Helper()
	ca := dovecottest.NewCA(b)
	src := dovecottest.Start(b, ca, dovecottest.Config{Delim: ".", Users: map[string]string{alice: alicePw},
		Master: map[string]string{masterUser: masterPw}, Mailboxes: miabMailboxes})
	data := buildSource(b, src, ca, alice, alicePw, inboxSize)
	return &mailEnv{ca: ca, src: src, data: data}, len(data.msgs)
}

func BenchmarkCopy(b *testing.B) {
	e, total := benchEnv(b)
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		dst := dovecottest.Start(b, e.ca, dovecottest.Config{Delim: "/", Layout: "fs", Users: map[string]string{alice: aliceNewPw}, Mailboxes: mailuMailboxes})
		o := CopyOptions{Source: serverOf(e.src, e.ca), Target: serverOf(dst, e.ca),
			Accounts: []Account{{Address: alice, SourceUser: alice + "*" + masterUser, SourcePassword: masterPw, TargetUser: alice, TargetPassword: aliceNewPw}},
			StateDir: b.TempDir(), Out: &bytes.Buffer{}}
		b.StartTimer()
		start := time.Now()
		reps, err := Copy(context.Background(), o)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if _, copied, _, _, _ := totals(reps); copied != total {
			b.Fatalf("copied %d of %d", copied, total)
		}
	}
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "msgs/s")
}

func BenchmarkDoveadmBackup(b *testing.B) {
	e, total := benchEnv(b)
	doveadm := testenv.SystemTool(b, "doveadm")
	host, port, _ := strings.Cut(e.src.Addr, ":")
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		dst := dovecottest.Start(b, e.ca, dovecottest.Config{Delim: "/", Layout: "fs", Users: map[string]string{alice: aliceNewPw}, Mailboxes: mailuMailboxes})
		cmd := exec.Command(doveadm, "-c", dst.Conf,
			"-o", "imapc_host="+host, "-o", "imapc_port="+port, "-o", "imapc_ssl=imaps", "-o", "ssl_client_ca_file="+e.ca.CAFile,
			"-o", "imapc_user="+alice, "-o", "imapc_master_user="+masterUser, "-o", "imapc_password="+masterPw,
			"-o", "imapc_features=rfc822.size fetch-headers",
			"backup", "-R", "-u", alice, "imapc:")
		b.StartTimer()
		start := time.Now()
		out, err := cmd.CombinedOutput()
		elapsed += time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatalf("doveadm backup: %v\n%s", err, out)
		}
		if n := len(dst.FetchAll(b, alice)); n != total {
			b.Fatalf("doveadm backup brought %d of %d messages\n%s", n, total, out)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "msgs/s")
}
