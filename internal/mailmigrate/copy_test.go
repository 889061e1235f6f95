package mailmigrate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	alice       = "alice@fullfrontend.be"
	alicePw     = "alice-source-pw"
	aliceNewPw  = "alice-target-pw é" // 8-bit: sent as a literal
	masterUser  = "migrator"
	masterPw    = "master \"quoted\" pw"
	inboxSize   = 3000
)

// mailEnv is a Mail-in-a-Box-like source with alice's data and a master
// user, and a way to make fresh Mailu-like targets.
type mailEnv struct {
	ca   *testCA
	src  *dovecot
	data *mailData
}

func newSourceEnv(t *testing.T, inbox int) *mailEnv {
	t.Helper()
	ca := newTestCA(t)
	src := startDovecot(t, ca, dovecotConf{delim: ".", users: map[string]string{alice: alicePw},
		master: map[string]string{masterUser: masterPw}, mailboxes: miabMailboxes})
	data := buildSource(t, src, ca, alice, alicePw, inbox)
	return &mailEnv{ca: ca, src: src, data: data}
}

func (e *mailEnv) newTarget(t *testing.T) *dovecot {
	t.Helper()
	return startDovecot(t, e.ca, dovecotConf{delim: "/", layout: "fs", users: map[string]string{alice: aliceNewPw}, mailboxes: mailuMailboxes})
}

func (e *mailEnv) options(dst *dovecot, stateDir string, out *bytes.Buffer) CopyOptions {
	return CopyOptions{
		Source: e.src.server(e.ca), Target: dst.server(e.ca),
		Accounts: []Account{{Address: alice, SourceUser: alice + "*" + masterUser, SourcePassword: masterPw,
			TargetUser: alice, TargetPassword: aliceNewPw}},
		StateDir: stateDir, Out: out,
	}
}

func totals(reps []AccountReport) (src, copied, there, after, missing int) {
	for _, r := range reps {
		for _, f := range r.Folders {
			src += f.SourceCount
			copied += f.Copied
			there += f.AlreadyThere
			after += f.TargetAfter
			missing += f.Missing
		}
	}
	return
}

func checkTarget(t *testing.T, e *mailEnv, dst *dovecot) {
	t.Helper()
	if problems := expectOnTarget(t, dst, alice, e.data.msgs, targetFolder); len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], "...")
		}
		t.Fatalf("target differs from the source data:\n%s", strings.Join(problems, "\n"))
	}
}

func TestCopy(t *testing.T) {
	e := newSourceEnv(t, inboxSize)
	total := len(e.data.msgs)
	if total < inboxSize+100 {
		t.Fatalf("test data has %d messages", total)
	}

	t.Run("full copy then a second run copies nothing", func(t *testing.T) {
		dst := e.newTarget(t)
		state := t.TempDir()
		var out bytes.Buffer
		reps, err := Copy(context.Background(), e.options(dst, state, &out))
		if err != nil {
			t.Fatalf("copy: %v\n%s", err, out.String())
		}
		src, copied, there, after, missing := totals(reps)
		if src != total || copied != total || there != 0 || after != total || missing != 0 {
			t.Fatalf("source %d copied %d already %d after %d missing %d, want %d copied\n%s", src, copied, there, after, missing, total, out.String())
		}
		for _, want := range []string{`"Spam" -> "Junk"`, `"Clients.Société.Été" -> "Clients/Société/Été"`, `"INBOX" -> "INBOX": source 3000, target before 0, copied 3000`} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		t.Log(out.String())
		checkTarget(t, e, dst)

		out.Reset()
		reps, err = Copy(context.Background(), e.options(dst, state, &out))
		if err != nil {
			t.Fatalf("second copy: %v\n%s", err, out.String())
		}
		if src, copied, there, after, _ := totals(reps); copied != 0 || there != total || after != total || src != total {
			t.Fatalf("second run: copied %d already there %d after %d, want 0, %d, %d\n%s", copied, there, after, total, total, out.String())
		}
		checkTarget(t, e, dst)
	})

	t.Run("interrupted run resumed: exact counts, no duplicate", func(t *testing.T) {
		dst := e.newTarget(t)
		state := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o := e.options(dst, state, &bytes.Buffer{})
		n := 0
		o.Copied = func(string, string) {
			if n++; n == 1234 {
				cancel()
			}
		}
		reps, err := Copy(ctx, o)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run: err %v, want context.Canceled", err)
		}
		if _, copied, _, _, _ := totals(reps); copied != 1234 {
			t.Fatalf("interrupted run copied %d, want 1234", copied)
		}
		var out bytes.Buffer
		reps, err = Copy(context.Background(), e.options(dst, state, &out))
		if err != nil {
			t.Fatalf("resumed copy: %v\n%s", err, out.String())
		}
		if _, copied, there, after, _ := totals(reps); copied+there != total || after != total || copied != total-1234 {
			t.Fatalf("resumed: copied %d already there %d after %d, want %d + 1234 = %d\n%s", copied, there, after, total-1234, total, out.String())
		}
		checkTarget(t, e, dst)
	})

	t.Run("lost journal: nothing copied twice", func(t *testing.T) {
		dst := e.newTarget(t)
		state := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		o := e.options(dst, state, &bytes.Buffer{})
		n := 0
		o.Copied = func(string, string) {
			if n++; n == 2000 {
				cancel()
			}
		}
		_, _ = Copy(ctx, o)
		cancel()
		if err := os.RemoveAll(state); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		reps, err := Copy(context.Background(), e.options(dst, filepath.Join(t.TempDir(), "new"), &out))
		if err != nil {
			t.Fatalf("copy without journal: %v\n%s", err, out.String())
		}
		if _, copied, there, after, _ := totals(reps); there != 2000 || copied != total-2000 || after != total {
			t.Fatalf("without journal: copied %d already there %d after %d, want %d, 2000, %d\n%s", copied, there, after, total-2000, total, out.String())
		}
		checkTarget(t, e, dst)
	})
}
