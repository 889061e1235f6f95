package mailmigrate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/dovecottest"
)

const (
	alice      = "alice@fullfrontend.be"
	alicePw    = "alice-source-pw"
	aliceNewPw = "alice-target-pw é" // 8-bit: sent as a literal
	masterUser = "migrator"
	masterPw   = "master \"quoted\" pw"
	inboxSize  = 3000
)

// mailEnv is a Mail-in-a-Box-like source with alice's data and a master
// user, and a way to make fresh Mailu-like targets.
type mailEnv struct {
	ca   *dovecottest.CA
	src  *dovecottest.Server
	data *mailData
}

func newSourceEnv(t *testing.T, inbox int) *mailEnv {
	t.Helper()
	ca := dovecottest.NewCA(t)
	src := dovecottest.Start(t, ca, dovecottest.Config{Delim: ".", Users: map[string]string{alice: alicePw},
		Master: map[string]string{masterUser: masterPw}, Mailboxes: miabMailboxes})
	data := buildSource(t, src, ca, alice, alicePw, inbox)
	return &mailEnv{ca: ca, src: src, data: data}
}

func (e *mailEnv) newTarget(t *testing.T) *dovecottest.Server {
	t.Helper()
	return dovecottest.Start(t, e.ca, dovecottest.Config{Delim: "/", Layout: "fs", Users: map[string]string{alice: aliceNewPw}, Mailboxes: mailuMailboxes})
}

func (e *mailEnv) options(dst *dovecottest.Server, stateDir string, out *bytes.Buffer) CopyOptions {
	return CopyOptions{
		Source: serverOf(e.src, e.ca), Target: serverOf(dst, e.ca),
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

func checkTarget(t *testing.T, e *mailEnv, dst *dovecottest.Server) {
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
		// The rest of the batch confirmed with the 1234th message is
		// journaled and counted too.
		_, first, _, _, _ := totals(reps)
		if first < 1234 || first >= 1234+batchMessages {
			t.Fatalf("interrupted run copied %d, want 1234 to the end of its batch", first)
		}
		if n := len(dst.FetchAll(t, alice)); n != first {
			t.Fatalf("target holds %d messages, the interrupted run counted %d", n, first)
		}
		var out bytes.Buffer
		reps, err = Copy(context.Background(), e.options(dst, state, &out))
		if err != nil {
			t.Fatalf("resumed copy: %v\n%s", err, out.String())
		}
		if _, copied, there, after, _ := totals(reps); copied != total-first || there != first || after != total {
			t.Fatalf("resumed: copied %d already there %d after %d, want %d + %d = %d\n%s", copied, there, after, total-first, first, total, out.String())
		}
		checkTarget(t, e, dst)
	})

	// A run stopped while the target stores messages whose OK has not come
	// back: with MULTIAPPEND (a batch in one command) and with pipelined
	// APPENDs (a target without MULTIAPPEND).
	for _, hide := range [][]string{nil, {"MULTIAPPEND"}} {
		t.Run("stopped while the target stores a batch: journal only what was confirmed, no duplicate"+appendMode(hide), func(t *testing.T) {
			testStoppedMidBatch(t, e, hide)
		})
	}

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
		reps, _ := Copy(ctx, o)
		cancel()
		_, first, _, _, _ := totals(reps)
		if first < 2000 || first >= 2000+batchMessages {
			t.Fatalf("interrupted run copied %d, want 2000 to the end of its batch", first)
		}
		if err := os.RemoveAll(state); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		reps, err := Copy(context.Background(), e.options(dst, filepath.Join(t.TempDir(), "new"), &out))
		if err != nil {
			t.Fatalf("copy without journal: %v\n%s", err, out.String())
		}
		if _, copied, there, after, _ := totals(reps); there != first || copied != total-first || after != total {
			t.Fatalf("without journal: copied %d already there %d after %d, want %d, %d, %d\n%s", copied, there, after, total-first, first, total, out.String())
		}
		checkTarget(t, e, dst)
	})
}

func TestCopyDetectsLoss(t *testing.T) {
	e := newSourceEnv(t, 300)
	total := len(e.data.msgs)

	for _, hide := range [][]string{nil, {"MULTIAPPEND"}} {
		t.Run("a target that drops a message fails the run naming the folder"+appendMode(hide), func(t *testing.T) {
			dst := e.newTarget(t)
			state := t.TempDir()
			o := e.options(dst, state, &bytes.Buffer{})
			proxy := newAppendProxy(t, e.ca, dst.Addr)
			proxy.drop = 10
			proxy.hide = hide
			o.Target.Addr = proxy.addr
			_, err := Copy(context.Background(), o)
			var me *MissingError
			if !errors.As(err, &me) {
				t.Fatalf("copy through a lossy target: err %v, want a MissingError", err)
			}
			if !strings.Contains(err.Error(), `"INBOX" -> "INBOX": 1 of 300 source messages not found on the target (target holds 299)`) {
				t.Fatalf("error does not name the folder and the counts: %v", err)
			}
			// The next run, with a target that keeps what it is given, copies
			// the lost message and nothing else.
			var out bytes.Buffer
			reps, err := Copy(context.Background(), e.options(dst, state, &out))
			if err != nil {
				t.Fatalf("second run: %v\n%s", err, out.String())
			}
			if _, copied, _, after, _ := totals(reps); copied != 1 || after != total {
				t.Fatalf("second run copied %d, target holds %d; want 1 and %d\n%s", copied, after, total, out.String())
			}
			checkTarget(t, e, dst)
		})
	}

	t.Run("refusals: untrusted certificate, wrong password", func(t *testing.T) {
		dst := e.newTarget(t)
		o := e.options(dst, t.TempDir(), &bytes.Buffer{})
		o.Source.TLS = nil // the system's roots do not know the test's CA
		if _, err := Copy(context.Background(), o); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("untrusted source certificate: err %v", err)
		}
		o = e.options(dst, t.TempDir(), &bytes.Buffer{})
		o.Accounts[0].SourcePassword = "wrong"
		if _, err := Copy(context.Background(), o); err == nil || !strings.Contains(err.Error(), "source: log in as alice@fullfrontend.be*migrator") {
			t.Fatalf("wrong master password: err %v", err)
		}
		if n := len(dst.FetchAll(t, alice)); n != 0 {
			t.Fatalf("%d messages reached the target", n)
		}
	})

	t.Run("a message deleted on the target is copied again", func(t *testing.T) {
		dst := e.newTarget(t)
		state := t.TempDir()
		if _, err := Copy(context.Background(), e.options(dst, state, &bytes.Buffer{})); err != nil {
			t.Fatal(err)
		}
		id := "<Clients-Société-Été-3@test.fullfrontend.be>"
		dst.Doveadm(t, "expunge", "-u", alice, "mailbox", "Clients/Société/Été", "header", "Message-ID", id)
		// The check of the target data can fail: it sees the loss.
		if p := expectOnTarget(t, dst, alice, e.data.msgs, targetFolder); len(p) != 1 || !strings.Contains(p[0], id) {
			t.Fatalf("expectOnTarget after an expunge: %q, want one problem naming %s", p, id)
		}
		var out bytes.Buffer
		reps, err := Copy(context.Background(), e.options(dst, state, &out))
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		if _, copied, _, after, _ := totals(reps); copied != 1 || after != total {
			t.Fatalf("copied %d, target holds %d; want 1 and %d\n%s", copied, after, total, out.String())
		}
		checkTarget(t, e, dst)
	})
}

// TestCopyDelta is the run after the MX switch: new mail on the source is
// copied, flags changed on the source are carried over, flags the user
// changed on the target meanwhile are kept.
func TestCopyDelta(t *testing.T) {
	e := newSourceEnv(t, 60)
	dst := e.newTarget(t)
	state := t.TempDir()
	if _, err := Copy(context.Background(), e.options(dst, state, &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return "<INBOX-" + strconv.Itoa(i) + "@test.fullfrontend.be>" }
	want := append([]testMsg{}, e.data.msgs...)
	setFlags := func(i int, add, remove string) {
		for k := range want {
			if want[k].folder == "INBOX" && want[k].messageID() == id(i) {
				var f []string
				for _, x := range want[k].flags {
					if x != remove {
						f = append(f, x)
					}
				}
				if add != "" {
					f = append(f, add)
				}
				want[k].flags = f
				return
			}
		}
		t.Fatalf("no message %s", id(i))
	}
	// On the source (the user still reads mail on the old box):
	e.src.Doveadm(t, "flags", "add", "-u", alice, `\Flagged`, "mailbox", "INBOX", "header", "Message-ID", id(1))
	setFlags(1, `\Flagged`, "")
	e.src.Doveadm(t, "flags", "remove", "-u", alice, `\Seen`, "mailbox", "INBOX", "header", "Message-ID", id(2))
	setFlags(2, "", `\Seen`)
	// On the target (the user already reads mail on Mailu):
	dst.Doveadm(t, "flags", "remove", "-u", alice, `\Seen`, "mailbox", "INBOX", "header", "Message-ID", id(4))
	setFlags(4, "", `\Seen`)
	dst.Doveadm(t, "flags", "add", "-u", alice, "$Label9", "mailbox", "INBOX", "header", "Message-ID", id(5))
	setFlags(5, "$Label9", "")
	// New mail on the source before the MX switch reached everyone.
	c, err := dialIMAP(context.Background(), e.src.Addr, e.ca.TLS())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.login(context.Background(), alice, alicePw); err != nil {
		t.Fatal(err)
	}
	late := testMsg{folder: "INBOX", flags: nil, date: dateFor(3100), body: message("INBOX", 9999, "")}
	if _, _, err := c.appendMessage(context.Background(), "INBOX", nil, late.date, []byte(late.body)); err != nil {
		t.Fatal(err)
	}
	c.logout()
	want = append(want, late)

	if p := expectOnTarget(t, dst, alice, want, targetFolder); len(p) != 3 {
		t.Fatalf("before the delta run the target should differ by 3 messages (two source flag changes, one new): %d\n%s", len(p), strings.Join(p, "\n"))
	}
	var out bytes.Buffer
	reps, err := Copy(context.Background(), e.options(dst, state, &out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if p := expectOnTarget(t, dst, alice, want, targetFolder); len(p) > 0 {
		t.Fatalf("after the delta run:\n%s\n%s", strings.Join(p, "\n"), out.String())
	}
	f := reps[0].Folders[0]
	if f.Source != "INBOX" || f.Copied != 1 || f.FlagsSynced != 2 || f.SourceCount != 61 || f.TargetAfter != 61 {
		t.Fatalf("INBOX: %+v, want 1 copied, 2 flags synced, 61 on each side", f)
	}
	// A third run has nothing left to do.
	reps, err = Copy(context.Background(), e.options(dst, state, &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if f := reps[0].Folders[0]; f.Copied != 0 || f.FlagsSynced != 0 {
		t.Fatalf("third run: %+v", f)
	}
}

func testStoppedMidBatch(t *testing.T, e *mailEnv, hide []string) {
	total := len(e.data.msgs)
	dst := e.newTarget(t)
	state := t.TempDir()
	proxy := newAppendProxy(t, e.ca, dst.Addr)
	proxy.hold = 1500 // its command reaches the target, the OK never comes back
	proxy.hide = hide
	o := e.options(dst, state, &bytes.Buffer{})
	o.Target.Addr = proxy.addr
	var counted atomic.Int64
	o.Copied = func(string, string) { counted.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Once the client has taken in every OK that reached it: what
		// is left is only what the target stored without saying so.
		<-proxy.held
		for range 1000 {
			proxy.mu.Lock()
			confirmed := proxy.confirmed
			proxy.mu.Unlock()
			if counted.Load() >= int64(confirmed) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	reps, err := Copy(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err %v, want context.Canceled", err)
	}
	_, first, _, _, _ := totals(reps)
	proxy.mu.Lock()
	confirmed, unconfirmed, multi := proxy.confirmed, proxy.heldCount, proxy.multiAppend
	proxy.mu.Unlock()
	if (multi > 0) != (len(hide) == 0) {
		t.Fatalf("%d MULTIAPPEND command(s) with %v hidden", multi, hide)
	}
	j, err := openJournal(state, o.Source.Addr, alice, o.Target.Addr, alice)
	if err != nil {
		t.Fatal(err)
	}
	journaled := len(j.Recs)
	j.Close()
	onTarget := len(dst.FetchAll(t, alice))
	if first != confirmed || journaled != confirmed || onTarget < confirmed+unconfirmed || confirmed < 1400 {
		t.Fatalf("counted %d, journaled %d, target confirmed %d and holds %d; want the %d unconfirmed message(s) (and any sent after) on the target only",
			first, journaled, confirmed, onTarget, unconfirmed)
	}
	// The next run finds the unconfirmed messages by their identity.
	var out bytes.Buffer
	o.Out, o.Copied = &out, nil
	reps, err = Copy(context.Background(), o)
	if err != nil {
		t.Fatalf("resumed copy: %v\n%s", err, out.String())
	}
	if _, copied, there, after, _ := totals(reps); copied != total-onTarget || there != onTarget || after != total {
		t.Fatalf("resumed: copied %d already there %d after %d, want %d, %d, %d\n%s", copied, there, after, total-onTarget, onTarget, total, out.String())
	}
	checkTarget(t, e, dst)
}
