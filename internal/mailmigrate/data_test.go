package mailmigrate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/dovecottest"
)

// testMsg is one message of the test data, as the test expects to find
// it on the target.
type testMsg struct {
	folder string // source folder, "." hierarchy
	flags  []string
	date   time.Time
	body   string // CRLF line ends, as IMAP carries it
}

func (m testMsg) messageID() string { return headerValue(m.body, "Message-ID") }

// mailData is the content of one source account.
type mailData struct {
	user string
	msgs []testMsg
}

func (d *mailData) count(folder string) int {
	n := 0
	for _, m := range d.msgs {
		if m.folder == folder {
			n++
		}
	}
	return n
}

var zones = []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("EDT", -4*3600), time.FixedZone("IST", 5*3600+1800)}

// message builds a message body; a few have no Message-ID, which real
// mailboxes hold too (drafts of some clients, old imports).
func message(folder string, i int, extra string) string {
	var b strings.Builder
	if i%500 != 17 {
		fmt.Fprintf(&b, "Message-ID: <%s-%d@test.fullfrontend.be>\r\n", strings.NewReplacer(".", "-", " ", "_").Replace(folder), i)
	}
	fmt.Fprintf(&b, "From: Client %d <client%d@example.com>\r\nTo: alice@fullfrontend.be\r\n", i, i%37)
	fmt.Fprintf(&b, "Subject: =?utf-8?q?Message_%d_=C3=A9t=C3=A9?=\r\nMIME-Version: 1.0\r\n", i)
	if extra != "" {
		b.WriteString(extra)
		return b.String()
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n")
	for l := 0; l < 3+i%20; l++ {
		fmt.Fprintf(&b, "Ligne %d du message %d dans %s : déjà vu, à bientôt.\r\n", l, i, folder)
	}
	return b.String()
}

func flagsFor(i int) []string {
	var f []string
	if i%3 != 0 {
		f = append(f, `\Seen`)
	}
	if i%7 == 0 {
		f = append(f, `\Answered`)
	}
	if i%11 == 0 {
		f = append(f, `\Flagged`)
	}
	if i%97 == 0 {
		f = append(f, `\Draft`)
	}
	if i%5 == 0 {
		f = append(f, "$Label1")
	}
	if i%13 == 0 {
		f = append(f, "Projet")
	}
	return f
}

func dateFor(i int) time.Time {
	base := time.Date(2016, 1, 1, 8, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(i) * 26 * time.Hour).Add(time.Duration(i%60) * time.Minute).In(zones[i%len(zones)])
}

// buildSource fills alice's mailbox on a source Dovecot laid out like
// Mail-in-a-Box (Maildir++, "." separator): INBOX written as maildir
// files (fast, and the way the box stores them), the other folders by
// IMAP APPEND. inbox is the number of INBOX messages.
func buildSource(t testing.TB, src *dovecottest.Server, ca *dovecottest.CA, user, password string, inbox int) *mailData {
	t.Helper()
	d := &mailData{user: user}
	local, domain, _ := strings.Cut(user, "@")
	root := filepath.Join(src.MailRoot, domain, local)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Keywords in maildir file names are letters a, b... indexed by this file.
	writeFile(t, filepath.Join(root, "dovecot-keywords"), "0 $Label1\n1 Projet\n")
	letters := map[string]string{`\Draft`: "D", `\Flagged`: "F", `\Answered`: "R", `\Seen`: "S", "$Label1": "a", "Projet": "b"}
	for i := range inbox {
		m := testMsg{folder: "INBOX", flags: flagsFor(i), date: dateFor(i), body: message("INBOX", i, "")}
		var fl []string
		for _, f := range m.flags {
			fl = append(fl, letters[f])
		}
		sort.Strings(fl)
		p := filepath.Join(root, "cur", fmt.Sprintf("%d.M%dP1.test:2,%s", m.date.Unix(), i, strings.Join(fl, "")))
		writeFile(t, p, strings.ReplaceAll(m.body, "\r\n", "\n"))
		if err := os.Chtimes(p, m.date, m.date); err != nil {
			t.Fatal(err)
		}
		d.msgs = append(d.msgs, m)
	}
	src.Chown(t, filepath.Join(src.MailRoot, domain))

	big := func(i int) string {
		raw := make([]byte, 3<<20+i*1000)
		if _, err := rand.Read(raw); err != nil {
			t.Fatal(err)
		}
		enc := base64.StdEncoding.EncodeToString(raw)
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCi-joint les plans.\r\n")
		b.WriteString("--b1\r\nContent-Type: application/pdf; name=\"plans.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n--b1--\r\n")
		return b.String()
	}
	folders := []struct {
		name string
		n    int
	}{
		{"Sent", 40}, {"Sent Messages", 3}, {"Drafts", 5}, {"Trash", 10}, {"Spam", 20}, {"Archive", 30},
		{"INBOX.Factures", 12}, {"Clients.2024.Projet", 10}, {"Clients.Société.Été", 15},
	}
	ctx := context.Background()
	c, err := dialIMAP(ctx, src.Addr, ca.TLS())
	if err != nil {
		t.Fatal(err)
	}
	defer c.logout()
	if err := c.login(ctx, user, password); err != nil {
		t.Fatal(err)
	}
	for _, f := range folders {
		if err := c.create(ctx, f.name); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatal(err)
		}
		for i := range f.n {
			m := testMsg{folder: f.name, flags: flagsFor(i + 1), date: dateFor(i * 7), body: message(f.name, i, "")}
			if f.name == "Drafts" {
				m.flags = append(m.flags, `\Draft`)
			}
			if f.name == "Trash" && i%2 == 0 {
				m.flags = append(m.flags, `\Deleted`)
			}
			d.msgs = append(d.msgs, m)
		}
	}
	// Large attachments (a few MiB each).
	for i := range 3 {
		d.msgs = append(d.msgs, testMsg{folder: "Clients.2024.Projet", flags: []string{`\Seen`}, date: dateFor(3000 + i), body: message("Clients.2024.Projet", 100+i, big(i))})
	}
	// Two identical messages (same Message-ID, date and size): both must arrive.
	dup := testMsg{folder: "Archive", flags: []string{`\Seen`}, date: dateFor(42), body: message("Archive", 4242, "")}
	d.msgs = append(d.msgs, dup, dup)
	for _, m := range d.msgs {
		if m.folder == "INBOX" {
			continue
		}
		if _, _, err := c.appendMessage(ctx, m.folder, m.flags, m.date, []byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// miabMailboxes are Mail-in-a-Box's special folders
// (conf/dovecot-mailboxes.conf); mailuMailboxes are Mailu's.
var (
	miabMailboxes  = map[string]string{"Sent": `\Sent`, "Sent Messages": `\Sent`, "Drafts": `\Drafts`, "Trash": `\Trash`, "Spam": `\Junk`, "Archive": `\Archive`}
	mailuMailboxes = map[string]string{"Sent": `\Sent`, "Drafts": `\Drafts`, "Trash": `\Trash`, "Junk": `\Junk`}
)

// targetFolder is where the test expects a source folder on a Mailu-like
// target ("/" separator, Junk for \Junk): written out by hand, not
// computed by the code under test.
var targetFolder = map[string]string{
	"INBOX": "INBOX", "Sent": "Sent", "Sent Messages": "Sent Messages", "Drafts": "Drafts", "Trash": "Trash",
	"Spam": "Junk", "Archive": "Archive", "INBOX.Factures": "INBOX/Factures",
	"Clients.2024.Projet": "Clients/2024/Projet", "Clients.Société.Été": "Clients/Société/Été",
}

// expectOnTarget checks, with doveadm (no IMAP), that the target holds
// exactly the expected messages in each folder (and nothing else in
// those folders): same headers and body, flags, INTERNALDATE and size.
// It returns the problems found.
func expectOnTarget(t testing.TB, dst *dovecottest.Server, user string, want []testMsg, mapping map[string]string) []string {
	t.Helper()
	got := dst.FetchAll(t, user)
	type key struct{ folder, id string }
	norm := func(flags []string) string {
		var out []string
		for _, f := range flags {
			if !strings.EqualFold(f, `\Recent`) {
				out = append(out, strings.ToLower(f))
			}
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	desc := func(flags string, date, size int64, text string) string {
		return fmt.Sprintf("flags=[%s] date=%d size=%d text=%x", flags, date, size, hashText(text))
	}
	wantBy := map[key][]string{}
	folders := map[string]bool{}
	for _, m := range want {
		f := mapping[m.folder]
		folders[f] = true
		k := key{f, m.messageID()}
		wantBy[k] = append(wantBy[k], desc(norm(m.flags), m.date.Unix(), int64(len(m.body)), m.body))
	}
	gotBy := map[key][]string{}
	for _, g := range got {
		if !folders[g.Mailbox] {
			continue
		}
		k := key{g.Mailbox, g.MessageID}
		gotBy[k] = append(gotBy[k], desc(norm(g.Flags), g.Date, g.Size, g.Text))
	}
	var problems []string
	for k, w := range wantBy {
		g := gotBy[k]
		sort.Strings(w)
		sort.Strings(g)
		if strings.Join(w, "\n") != strings.Join(g, "\n") {
			problems = append(problems, fmt.Sprintf("%s %s: want\n  %s\ngot\n  %s", k.folder, k.id, strings.Join(w, "\n  "), strings.Join(g, "\n  ")))
		}
	}
	for k, g := range gotBy {
		if _, ok := wantBy[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s %s: unexpected on the target (%d)", k.folder, k.id, len(g)))
		}
	}
	sort.Strings(problems)
	return problems
}

// hashText compares bodies whatever the line ends the storage keeps,
// and keeps a failure's output short.
func hashText(s string) [8]byte {
	sum := sha256.Sum256([]byte(strings.ReplaceAll(s, "\r\n", "\n")))
	return [8]byte(sum[:8])
}
