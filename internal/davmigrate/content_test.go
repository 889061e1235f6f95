package davmigrate

import (
	"net/url"
	"strings"
	"testing"
)

const cardA = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:p-1\r\nFN:Zoë Łukasiewicz with a name long enough to be folded by a server\r\n" +
	"TEL;type=home;type=voice:+32 2 555 01 01\r\nEMAIL;TYPE=INTERNET,WORK:zoe@example.be\r\nPRODID:-//client//EN\r\nEND:VCARD\r\n"

// cardA as Radicale (vobject) stores it: properties sorted, parameters
// merged, long lines folded, LF line ends after an XML round trip.
const cardARadicale = "BEGIN:VCARD\nVERSION:3.0\nUID:p-1\nEMAIL;TYPE=INTERNET,WORK:zoe@example.be\n" +
	"FN:Zoë Łukasiewicz with a name long enough to be folded by a \n server\nTEL;TYPE=home,voice:+32 2 555 01 01\nPRODID:-//Radicale//EN\nEND:VCARD\n"

const eventA = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Brussels\r\nEND:VTIMEZONE\r\n" +
	"BEGIN:VEVENT\r\nUID:e-1\r\nDTSTART;TZID=Europe/Brussels:20240105T090000\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n" +
	"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:e-1\r\nRECURRENCE-ID;TZID=Europe/Brussels:20240119T090000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestCanonical(t *testing.T) {
	for _, c := range []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"identical", cardA, cardA, true},
		{"as a server re-serializes it", cardA, cardARadicale, true},
		{"value changed", cardA, strings.Replace(cardA, "+32 2 555 01 01", "+32 2 555 01 02", 1), false},
		{"parameter value changed", cardA, strings.Replace(cardA, "type=voice", "type=cell", 1), false},
		{"property added", cardA, strings.Replace(cardA, "END:VCARD", "NOTE:new\r\nEND:VCARD", 1), false},
		{"components reordered", eventA, reorderEvents(eventA), true},
		{"property moved to another component", eventA, strings.Replace(strings.Replace(eventA, "SUMMARY:Moved\r\n", "", 1), "RRULE", "SUMMARY:Moved\r\nRRULE", 1), false},
		{"alarm changed", eventA, strings.Replace(eventA, "-PT15M", "-PT30M", 1), false},
		{"quoted colon in a parameter", "X;A=\"a:b\":v\r\n", "x;a=\"a:b\":v\n", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := canonical(c.a) == canonical(c.b); got != c.equal {
				t.Errorf("canonical equal = %v, want %v\n%s\n---\n%s", got, c.equal, canonical(c.a), canonical(c.b))
			}
			if got := contentHash(c.a) == contentHash(c.b); got != c.equal {
				t.Errorf("contentHash equal = %v, want %v", got, c.equal)
			}
		})
	}
}

// reorderEvents swaps the two VEVENTs of eventA.
func reorderEvents(s string) string {
	i := strings.Index(s, "BEGIN:VEVENT")
	j := strings.LastIndex(s, "BEGIN:VEVENT")
	end := strings.Index(s, "END:VCALENDAR")
	return s[:i] + s[j:end] + s[i:j] + s[end:]
}

func TestUIDOf(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"vcard", cardA, "p-1"},
		{"event after a time zone", eventA, "e-1"},
		{"folded", "BEGIN:VCARD\r\nUID:abc\r\n def\r\nEND:VCARD\r\n", "abcdef"},
		{"grouped", "BEGIN:VCARD\nitem1.UID:g-1\nEND:VCARD\n", "g-1"},
		{"none", "BEGIN:VCARD\nFN:x\nEND:VCARD\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := uidOf(c.in); got != c.want {
				t.Errorf("uidOf = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCRLF(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"LF from XML", "BEGIN:VCARD\nFN:a\nEND:VCARD\n", "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\n"},
		{"already CRLF", "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\n", "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\n"},
		{"no final newline, leading blank", "\nBEGIN:VCARD\nEND:VCARD", "BEGIN:VCARD\r\nEND:VCARD\r\n"},
		{"folding kept", "A:12\n 34\n", "A:12\r\n 34\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(crlf(c.in)); got != c.want {
				t.Errorf("crlf = %q, want %q", got, c.want)
			}
		})
	}
}

func TestMemberAndBaseName(t *testing.T) {
	coll, _ := url.Parse("https://cloud.example.be/remote.php/dav/addressbooks/users/alice%40example.be/contacts/")
	for _, c := range []struct {
		name   string
		isColl bool
		want   string
	}{
		{"abc.vcf", false, "https://cloud.example.be/remote.php/dav/addressbooks/users/alice%40example.be/contacts/abc.vcf"},
		{"café ☕ #1.vcf", false, "https://cloud.example.be/remote.php/dav/addressbooks/users/alice%40example.be/contacts/caf%C3%A9%20%E2%98%95%20%231.vcf"},
		{"work", true, "https://cloud.example.be/remote.php/dav/addressbooks/users/alice%40example.be/contacts/work/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := member(coll, c.name, c.isColl)
			if u.String() != c.want {
				t.Errorf("member = %s, want %s", u, c.want)
			}
			back, err := url.Parse(u.String())
			if err != nil {
				t.Fatal(err)
			}
			if baseName(back) != c.name {
				t.Errorf("baseName = %q, want %q", baseName(back), c.name)
			}
		})
	}
}

func TestSkipReason(t *testing.T) {
	principal, _ := url.Parse("https://box.example.be/cloud/remote.php/dav/principals/users/alice@example.be/")
	for _, c := range []struct {
		name  string
		coll  collection
		wants string // part of the reason; "" = copied
	}{
		{"own address book", collection{kind: AddressBook, name: "contacts", owner: "principals/users/alice@example.be"}, ""},
		{"own, owner as a full href", collection{kind: Calendar, name: "personal", owner: "/cloud/remote.php/dav/principals/users/alice%40example.be/"}, ""},
		{"no owner exposed (Radicale)", collection{kind: Calendar, name: "personal"}, ""},
		{"system address book", collection{kind: AddressBook, name: "z-server-generated--system", owner: "principals/system/system"}, "generated"},
		{"recently contacted", collection{kind: AddressBook, name: "z-app-generated--contactsinteraction--recent", owner: "principals/users/alice@example.be"}, "generated"},
		{"birthdays", collection{kind: Calendar, name: "contact_birthdays", owner: "principals/users/alice@example.be"}, "generated"},
		{"deck board", collection{kind: Calendar, name: "app-generated--deck--board-3"}, "generated"},
		{"shared by bob", collection{kind: Calendar, name: "team_shared_by_bob@example.be", owner: "principals/users/bob@example.be"}, "shared by principals/users/bob@example.be"},
		{"owner whose name ends like ours", collection{kind: Calendar, name: "x", owner: "principals/users/malice@example.be"}, "shared by"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := skipReason(&c.coll, principal)
			if (c.wants == "") != (got == "") || !strings.Contains(got, c.wants) {
				t.Errorf("skipReason = %q, want it to contain %q", got, c.wants)
			}
		})
	}
}

func TestSourceIsReadOnly(t *testing.T) {
	c := newClient("source", Endpoint{URL: "http://127.0.0.1:1/", User: "u"}, nil, true)
	u, _ := url.Parse("http://127.0.0.1:1/x.vcf")
	for _, method := range []string{"PUT", "DELETE", "MKCOL", "MKCALENDAR", "PROPPATCH", "MOVE"} {
		t.Run(method, func(t *testing.T) {
			_, err := c.do(t.Context(), method, u, nil, nil)
			if err == nil || !strings.Contains(err.Error(), "read-only") {
				t.Errorf("%s on the source: err = %v, want a read-only refusal", method, err)
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, c := range []struct {
		name    string
		e       Endpoint
		want    string // URL after parsing
		wantErr string
	}{
		{"Mail-in-a-Box", Endpoint{URL: MailInABoxURL("box.example.be"), User: "alice@example.be"}, "https://box.example.be/cloud/remote.php/dav/", ""},
		{"Nextcloud", Endpoint{URL: NextcloudURL("cloud.example.be"), User: "alice"}, "https://cloud.example.be/remote.php/dav/", ""},
		{"trailing slash added", Endpoint{URL: "https://cloud.example.be/remote.php/dav", User: "alice"}, "https://cloud.example.be/remote.php/dav/", ""},
		{"plain http on loopback (tests)", Endpoint{URL: "http://127.0.0.1:5232/", User: "alice"}, "http://127.0.0.1:5232/", ""},
		{"plain http elsewhere", Endpoint{URL: "http://cloud.example.be/remote.php/dav/", User: "alice"}, "", "plain http"},
		{"no user", Endpoint{URL: "https://cloud.example.be/remote.php/dav/"}, "", "user not set"},
		{"not a URL", Endpoint{URL: "cloud.example.be", User: "alice"}, "", "want https://"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := parseEndpoint("target", c.e)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || u.String() != c.want {
				t.Fatalf("parseEndpoint = %v, %v; want %s", u, err, c.want)
			}
		})
	}
}
