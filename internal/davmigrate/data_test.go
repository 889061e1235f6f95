package davmigrate

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// The test data is built here, deterministic: vCards with photos and
// non-ASCII names, events with time zones, recurrence, exceptions and
// alarms, all-day events and todos.

var firstNames = []string{"Zoë", "Jérôme", "Łukasz", "Ærøn", "Søren", "李", "Mónica", "Ñandú", "Chloé", "Jürgen", "Ольга", "Ahmed"}
var lastNames = []string{"Łukasiewicz", "Dupont", "Müller", "Van den Broeck", "García Núñez", "王", "Øvergård", "D'Hondt", "Ελευθερίου"}

// fold folds a content line at 75 octets without splitting a UTF-8
// character, as RFC 6350 and RFC 5545 ask.
func fold(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		l := len(string(r))
		if n+l > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += l
	}
	return b.String() + "\r\n"
}

// photo is a deterministic pseudo-JPEG of about size bytes.
func photo(seed string, size int) string {
	var raw []byte
	h := sha256.Sum256([]byte(seed))
	raw = append(raw, 0xff, 0xd8, 0xff, 0xe0)
	for len(raw) < size {
		h = sha256.Sum256(h[:])
		raw = append(raw, h[:]...)
	}
	return base64.StdEncoding.EncodeToString(raw[:size])
}

func vcard(book string, i int, withPhoto bool, extra string) string {
	uid := fmt.Sprintf("%s-%04d@test.fullfrontend.be", book, i)
	first, last := firstNames[i%len(firstNames)], lastNames[i%len(lastNames)]
	var b strings.Builder
	b.WriteString("BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//fullfrontend//davmigrate test//EN\r\n")
	b.WriteString(fold("UID:" + uid))
	b.WriteString(fold(fmt.Sprintf("FN:%s %s %d", first, last, i)))
	b.WriteString(fold(fmt.Sprintf("N:%s;%s;;;", last, first)))
	b.WriteString(fold(fmt.Sprintf("EMAIL;TYPE=INTERNET,WORK:contact%d@example.be", i)))
	b.WriteString(fold(fmt.Sprintf("TEL;TYPE=CELL:+32 470 %02d %02d %02d", i%100, (i/100)%100, i%7)))
	b.WriteString(fold("ADR;TYPE=WORK:;;Rue de la Loi 16;Bruxelles;;1000;Belgique"))
	b.WriteString(fold(fmt.Sprintf("NOTE:Contact n°%d\\, suivi par l'équipe 🙂\\nDeuxième ligne", i)))
	b.WriteString(fold("ORG:Full Frontend;Développement"))
	if withPhoto {
		b.WriteString(fold("PHOTO;ENCODING=b;TYPE=JPEG:" + photo(uid, 3000+i%5*1000)))
	}
	if extra != "" {
		b.WriteString(fold(extra))
	}
	b.WriteString("REV:20240101T101010Z\r\nEND:VCARD\r\n")
	return b.String()
}

const vtimezone = "BEGIN:VTIMEZONE\r\nTZID:Europe/Brussels\r\n" +
	"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
	"END:VTIMEZONE\r\n"

// event varies by i: weekly recurrence with an exception and an EXDATE,
// an all-day event, or a plain one; every other one has an alarm.
func event(cal string, i int, extra string) string {
	uid := fmt.Sprintf("%s-evt-%04d@test.fullfrontend.be", cal, i)
	day := 1 + i%20 // +7 for the moved occurrence stays in the month
	month := 1 + (i/28)%12
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fullfrontend//davmigrate test//EN\r\nCALSCALE:GREGORIAN\r\n")
	b.WriteString(vtimezone)
	b.WriteString("BEGIN:VEVENT\r\n")
	b.WriteString(fold("UID:" + uid))
	b.WriteString("DTSTAMP:20240101T000000Z\r\n")
	switch i % 3 {
	case 0:
		fmt.Fprintf(&b, "DTSTART;TZID=Europe/Brussels:2026%02d%02dT090000\r\nDTEND;TZID=Europe/Brussels:2026%02d%02dT100000\r\n", month, day, month, day)
		b.WriteString("RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE\r\n")
		fmt.Fprintf(&b, "EXDATE;TZID=Europe/Brussels:2026%02d%02dT090000\r\n", month, day)
	case 1:
		fmt.Fprintf(&b, "DTSTART;VALUE=DATE:2026%02d%02d\r\nDTEND;VALUE=DATE:2026%02d%02d\r\n", month, day, month, day+1)
	default:
		fmt.Fprintf(&b, "DTSTART:2026%02d%02dT130000Z\r\nDURATION:PT1H30M\r\n", month, day)
	}
	b.WriteString(fold(fmt.Sprintf("SUMMARY:Réunion n°%d — équipe « %s »", i, cal)))
	b.WriteString(fold("DESCRIPTION:Ordre du jour\\n1. Café ☕\\n2. Déploiement\\, puis questions"))
	b.WriteString(fold("LOCATION:Salle Ærøskøbing\\, 2e étage"))
	if extra != "" {
		b.WriteString(fold(extra))
	}
	if i%2 == 0 {
		b.WriteString("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Rappel\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n")
	}
	b.WriteString("END:VEVENT\r\n")
	if i%3 == 0 {
		// The second occurrence moved by an hour.
		b.WriteString("BEGIN:VEVENT\r\n")
		b.WriteString(fold("UID:" + uid))
		b.WriteString("DTSTAMP:20240101T000000Z\r\n")
		fmt.Fprintf(&b, "RECURRENCE-ID;TZID=Europe/Brussels:2026%02d%02dT090000\r\n", month, day+7)
		fmt.Fprintf(&b, "DTSTART;TZID=Europe/Brussels:2026%02d%02dT100000\r\nDTEND;TZID=Europe/Brussels:2026%02d%02dT110000\r\n", month, day+7, month, day+7)
		b.WriteString(fold(fmt.Sprintf("SUMMARY:Réunion n°%d (déplacée)", i)))
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

func todo(cal string, i int) string {
	uid := fmt.Sprintf("%s-todo-%04d@test.fullfrontend.be", cal, i)
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fullfrontend//davmigrate test//EN\r\nBEGIN:VTODO\r\n")
	b.WriteString(fold("UID:" + uid))
	b.WriteString("DTSTAMP:20240101T000000Z\r\n")
	fmt.Fprintf(&b, "DUE;VALUE=DATE:202603%02d\r\nPRIORITY:%d\r\nSTATUS:%s\r\n", 1+i%28, 1+i%9, []string{"NEEDS-ACTION", "IN-PROCESS", "COMPLETED"}[i%3])
	b.WriteString(fold(fmt.Sprintf("SUMMARY:Tâche %d : vérifier la facture n°%d", i, 1000+i)))
	b.WriteString("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Échéance\r\nTRIGGER;RELATED=END:-P1D\r\nEND:VALARM\r\n")
	b.WriteString("END:VTODO\r\nEND:VCALENDAR\r\n")
	return b.String()
}

// seedItem is one item to create on a server.
type seedItem struct {
	name string
	data string
}

// seedColl is one collection with its items.
type seedColl struct {
	kind          Kind
	name, display string
	color         string
	comps         []string
	items         []seedItem
}

// aliceData is the source account of the main test: 450 items.
func aliceData() []seedColl {
	var contacts, clients, personal, work, tasks []seedItem
	for i := range 180 {
		name := fmt.Sprintf("contacts-%04d.vcf", i)
		if i == 7 {
			name = "café ☕ #7.vcf" // a name that needs escaping
		}
		contacts = append(contacts, seedItem{name, vcard("contacts", i, i%3 == 0, "")})
	}
	for i := range 70 {
		clients = append(clients, seedItem{fmt.Sprintf("clients-%04d.vcf", i), vcard("clients", i, i%5 == 0, "")})
	}
	for i := range 120 {
		personal = append(personal, seedItem{fmt.Sprintf("personal-%04d.ics", i), event("personal", i, "")})
	}
	for i := range 5 {
		personal = append(personal, seedItem{fmt.Sprintf("personal-todo-%d.ics", i), todo("personal", i)})
	}
	for i := range 60 {
		work = append(work, seedItem{fmt.Sprintf("work-%04d.ics", i), event("work", i, "")})
	}
	for i := range 15 {
		tasks = append(tasks, seedItem{fmt.Sprintf("tasks-%04d.ics", i), todo("tasks", i)})
	}
	return []seedColl{
		{kind: AddressBook, name: "contacts", display: "Contacts", items: contacts},
		{kind: AddressBook, name: "clients", display: "Clients — Bruxelles", items: clients},
		{kind: Calendar, name: "personal", display: "Personal", color: "#0082c9", comps: []string{"VEVENT", "VTODO"}, items: personal},
		{kind: Calendar, name: "work", display: "Travail été", color: "#FF2968FF", comps: []string{"VEVENT"}, items: work},
		{kind: Calendar, name: "tasks", display: "Tâches", color: "#34C759FF", comps: []string{"VTODO"}, items: tasks},
	}
}

func (r *radicale) seed(t *testing.T, user string, colls []seedColl) {
	t.Helper()
	for _, c := range colls {
		r.mkcol(t, user, c.kind, c.name, c.display, c.color, c.comps...)
		for _, it := range c.items {
			r.putItem(t, user, c.name, it.name, c.kind, it.data)
		}
	}
}

func total(colls []seedColl) (n int) {
	for _, c := range colls {
		n += len(c.items)
	}
	return n
}
