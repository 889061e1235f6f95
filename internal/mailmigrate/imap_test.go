package mailmigrate

import (
	"bufio"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMailboxUTF7(t *testing.T) {
	for _, tc := range []struct{ utf8, wire string }{
		{"INBOX", "INBOX"},
		{"Société", "Soci&AOk-t&AOk-"},
		{"Clients.Société.Été", "Clients.Soci&AOk-t&AOk-.&AMk-t&AOk-"},
		{"R&D", "R&-D"},
		{"日本語", "&ZeVnLIqe-"},
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"}, // RFC 3501's example
		{"😀", "&2D3eAA-"},
	} {
		if got := encodeMailbox(tc.utf8); got != tc.wire {
			t.Errorf("encode %q = %q, want %q", tc.utf8, got, tc.wire)
		}
		if got, err := decodeMailbox(tc.wire); err != nil || got != tc.utf8 {
			t.Errorf("decode %q = %q, %v; want %q", tc.wire, got, err, tc.utf8)
		}
	}
	for _, bad := range []string{"Soci&AOk", "Soci&AOk-t\xc3\xa9", "&AGE-", "&2D0-", "&A-"} {
		if got, err := decodeMailbox(bad); err == nil {
			t.Errorf("decode %q = %q, want an error", bad, got)
		}
	}
}

func parseOne(t *testing.T, wire string) *resp {
	t.Helper()
	c := &imapClient{r: bufio.NewReader(strings.NewReader(wire))}
	r, err := c.readResp()
	if err != nil {
		t.Fatalf("parse %q: %v", wire, err)
	}
	return r
}

func TestParseResponses(t *testing.T) {
	r := parseOne(t, "* OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS] Dovecot ready.\r\n")
	if r.status != "OK" || r.code != "CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS" || r.text != "Dovecot ready." {
		t.Errorf("greeting: %+v", r)
	}
	r = parseOne(t, "m3 OK [APPENDUID 1796307555 42] Append completed.\r\n")
	if r.tag != "m3" || r.code != "APPENDUID 1796307555 42" {
		t.Errorf("tagged: %+v", r)
	}
	r = parseOne(t, "* 12 EXISTS\r\n")
	if r.kind != "EXISTS" || r.num != 12 {
		t.Errorf("exists: %+v", r)
	}
	r = parseOne(t, "+ \r\n")
	if r.tag != "+" {
		t.Errorf("continuation: %+v", r)
	}

	// LIST with special-use, a literal name, a NIL delimiter, escapes.
	for _, tc := range []struct {
		wire string
		want mailboxInfo
	}{
		{`* LIST (\HasNoChildren \Junk) "." Spam` + "\r\n", mailboxInfo{Name: "Spam", Delim: ".", Attrs: map[string]bool{`\hasnochildren`: true, `\junk`: true}}},
		{`* LIST () "/" "Clients/Soci&AOk-t&AOk-"` + "\r\n", mailboxInfo{Name: "Clients/Société", Delim: "/", Attrs: map[string]bool{}}},
		{"* LIST (\\Noselect) \"/\" {10}\r\nA \"quoted\"\r\n", mailboxInfo{Name: `A "quoted"`, Delim: "/", Attrs: map[string]bool{`\noselect`: true}}},
		{`* LIST () NIL "a\\b"` + "\r\n", mailboxInfo{Name: `a\b`, Attrs: map[string]bool{}}},
		{`* LIST () "." inbox` + "\r\n", mailboxInfo{Name: "INBOX", Delim: ".", Attrs: map[string]bool{}}},
	} {
		r := parseOne(t, tc.wire)
		got, err := parseList(r.fields)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("LIST %q = %+v, %v; want %+v", tc.wire, got, err, tc.want)
		}
	}

	// FETCH with the header section as a literal (its name holds spaces
	// and parentheses) and a folded Message-ID.
	hdr := "Message-ID:\r\n <abc@x>\r\n\r\n"
	wire := "* 7 FETCH (UID 34 FLAGS (\\Seen \\Recent $Label1) INTERNALDATE \" 5-Mar-2021 10:00:00 +0100\" RFC822.SIZE 4286 BODY[HEADER.FIELDS (MESSAGE-ID)] {" +
		strconv.Itoa(len(hdr)) + "}\r\n" + hdr + ")\r\n"
	r = parseOne(t, wire)
	items, err := fetchItems(r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMsgInfo(items)
	if err != nil {
		t.Fatal(err)
	}
	want := msgInfo{UID: 34, Flags: []string{`\Seen`, "$Label1"}, Date: time.Date(2021, 3, 5, 9, 0, 0, 0, time.UTC), Size: 4286, MessageID: "<abc@x>"}
	if m.UID != want.UID || !reflect.DeepEqual(m.Flags, want.Flags) || !m.Date.Equal(want.Date) || m.Size != want.Size || m.MessageID != want.MessageID {
		t.Errorf("FETCH = %+v, want %+v", m, want)
	}

	// What the parser must refuse rather than guess.
	for _, bad := range []string{
		"* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n", // list cut by the end of the line
		"* LIST () \"/\" \"unterminated\r\n",
		"* 1 FETCH (BODY[] {999999999999})\r\n", // above the literal limit
		"m1 FOO bar\r\n",                        // a tagged response without status
	} {
		c := &imapClient{r: bufio.NewReader(strings.NewReader(bad))}
		if r, err := c.readResp(); err == nil {
			t.Errorf("parse %q = %+v, want an error", bad, r)
		}
	}
}

func TestUIDSet(t *testing.T) {
	for _, tc := range []struct {
		in   []uint32
		want string
	}{
		{[]uint32{1}, "1"},
		{[]uint32{1, 2, 3, 5, 7, 8}, "1:3,5,7:8"},
		{[]uint32{4, 9}, "4,9"},
	} {
		if got := uidSet(tc.in); got != tc.want {
			t.Errorf("uidSet(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if got := parseUIDSet(tc.want); !reflect.DeepEqual(got, tc.in) {
			t.Errorf("parseUIDSet(%q) = %v, want %v", tc.want, got, tc.in)
		}
	}
	if got := parseUIDSet("9:7"); !reflect.DeepEqual(got, []uint32{7, 8, 9}) {
		t.Errorf("parseUIDSet(9:7) = %v", got)
	}
	for _, bad := range []string{"", "0", "1:*", "a", "1,,2", "1:4294967295"} {
		if got := parseUIDSet(bad); got != nil {
			t.Errorf("parseUIDSet(%q) = %v, want nil", bad, got)
		}
	}
}

func TestFlagDelta(t *testing.T) {
	for _, tc := range []struct {
		name              string
		src, tgt, base    []string
		known             bool
		wantAdd, wantDrop []string
	}{
		{"same", []string{`\Seen`}, []string{`\seen`}, []string{`\Seen`}, true, nil, nil},
		{"read on the source since", []string{`\Seen`}, nil, nil, true, []string{`\Seen`}, nil},
		{"unread on the source since", nil, []string{`\Seen`}, []string{`\Seen`}, true, nil, []string{`\Seen`}},
		{"unread on the target by the user: kept", []string{`\Seen`}, nil, []string{`\Seen`}, true, nil, nil},
		{"flagged on the target by the user: kept", nil, []string{`\Flagged`}, nil, true, nil, nil},
		{"no journal: only additions", []string{`\Seen`, "$Label1"}, []string{`\Flagged`}, nil, false, []string{"$Label1", `\Seen`}, nil},
	} {
		add, drop := flagDelta(tc.src, tc.tgt, tc.base, tc.known)
		if !reflect.DeepEqual(add, tc.wantAdd) || !reflect.DeepEqual(drop, tc.wantDrop) {
			t.Errorf("%s: add %v remove %v, want %v %v", tc.name, add, drop, tc.wantAdd, tc.wantDrop)
		}
	}
}

func TestPlanFolders(t *testing.T) {
	box := func(name, delim string, attrs ...string) mailboxInfo {
		m := mailboxInfo{Name: name, Delim: delim, Attrs: map[string]bool{}}
		for _, a := range attrs {
			m.Attrs[strings.ToLower(a)] = true
		}
		return m
	}
	mailu := []mailboxInfo{box("INBOX", "."), box("Sent", ".", `\Sent`), box("Junk", ".", `\Junk`), box("Trash", ".", `\Trash`), box("Drafts", ".", `\Drafts`)}
	slash := []mailboxInfo{box("INBOX", "/"), box("Sent", "/", `\Sent`), box("Junk", "/", `\Junk`)}
	for _, tc := range []struct {
		name     string
		src, dst []mailboxInfo
		want     map[string]string
		err      string
	}{
		{
			name: "Mail-in-a-Box to Mailu",
			src: []mailboxInfo{box("INBOX", "."), box("Spam", ".", `\Junk`), box("Sent", ".", `\Sent`), box("Sent Messages", ".", `\Sent`),
				box("Archive", ".", `\Archive`), box("Spam.Old", "."), box("Clients", ".", `\Noselect`), box("Clients.Été", ".")},
			dst:  mailu,
			want: map[string]string{"INBOX": "INBOX", "Spam": "Junk", "Sent": "Sent", "Sent Messages": "Sent Messages", "Archive": "Archive", "Spam.Old": "Junk.Old", "Clients.Été": "Clients.Été"},
		},
		{
			name: "separator translated",
			src:  []mailboxInfo{box("INBOX", "."), box("INBOX.Factures", "."), box("Clients.2024.Projet", ".")},
			dst:  slash,
			want: map[string]string{"INBOX": "INBOX", "INBOX.Factures": "INBOX/Factures", "Clients.2024.Projet": "Clients/2024/Projet"},
		},
		{
			name: "the source folder with the target's name wins the attribute",
			src:  []mailboxInfo{box("INBOX", "."), box("Spam", ".", `\Junk`), box("Junk", ".", `\Junk`)},
			dst:  mailu,
			want: map[string]string{"INBOX": "INBOX", "Spam": "Spam", "Junk": "Junk"},
		},
		{
			name: "without special-use on the source, names only",
			src:  []mailboxInfo{box("INBOX", "/"), box("Spam", "/"), box("Sent", "/")},
			dst:  slash,
			want: map[string]string{"INBOX": "INBOX", "Spam": "Spam", "Sent": "Sent"},
		},
		{
			name: "two source folders into one target folder",
			src:  []mailboxInfo{box("INBOX", "."), box("Spam", ".", `\Junk`), box("Junk", ".")},
			dst:  mailu,
			err:  `would both go to target folder "Junk"`,
		},
		{
			name: "a name holding the target's separator",
			src:  []mailboxInfo{box("INBOX", "."), box("a/b", ".")},
			dst:  slash,
			err:  `source folder "a/b" has "/" in its name`,
		},
	} {
		plans, err := planFolders(tc.src, tc.dst)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := map[string]string{}
		for _, p := range plans {
			got[p.Source] = p.Target
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if plans[0].Source != "INBOX" {
			t.Errorf("%s: INBOX is not first: %v", tc.name, plans)
		}
	}
}
