package contactsmigrate

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests run the migration between two STAND-INS built from the
// documented APIs (mauticstub_test.go, twentystub_test.go), on 127.0.0.1:
// neither Mautic nor Twenty can run here. They show what the migration
// does with what those APIs document; they do not prove the behaviour of a
// real Mautic or Twenty (see docs/migration-contacts.md).

const (
	mauticUser, mauticPassword = "migration", "mautic-test-pw"
	twentyKey                  = "twenty-test-api-key"
)

func apiOptions(m *mauticStub, tw *twentyStub, out *bytes.Buffer) Options {
	return Options{
		Mautic:       &Mautic{URL: m.URL, User: mauticUser, Password: mauticPassword, PageSize: 40},
		Target:       Twenty{URL: tw.URL, APIKey: twentyKey},
		PhoneCountry: "BE",
		Companies:    true,
		BatchSize:    25,
		Out:          out,
		RetryWait:    time.Millisecond,
	}
}

// emailsInTwenty counts, for every e-mail, the people holding it (primary
// or additional), live and in the trash.
func emailsInTwenty(tw *twentyStub) map[string]int {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	n := map[string]int{}
	for _, p := range tw.people {
		e := p.fields["emails"].(map[string]any)
		if pe, _ := e["primaryEmail"].(string); pe != "" {
			n[pe]++
		}
		if extra, ok := e["additionalEmails"].([]any); ok {
			for _, x := range extra {
				n[x.(string)]++
			}
		}
	}
	return n
}

func personByEmail(tw *twentyStub, email string) map[string]any {
	for _, p := range tw.livePeople() {
		if p["emails"].(map[string]any)["primaryEmail"] == email {
			return p
		}
	}
	return nil
}

func personByName(tw *twentyStub, first, last string) []map[string]any {
	var out []map[string]any
	for _, p := range tw.livePeople() {
		n := p["name"].(map[string]any)
		if n["firstName"] == first && n["lastName"] == last {
			out = append(out, p)
		}
	}
	return out
}

// seedTwenty is the CRM as it may be before the migration: people
// entered by hand, some of them Mautic contacts, one in the trash, and
// the company Acme.
func seedTwenty(t *testing.T, tw *twentyStub) (acme string) {
	tw.seed(t, map[string]any{"name": map[string]any{"firstName": "Jean-Pierre", "lastName": "Déjà Là"}, "emails": map[string]any{"primaryEmail": "contact002@exemple.be"}}, false)
	tw.seed(t, map[string]any{"emails": map[string]any{"primaryEmail": "CONTACT003@EXEMPLE.BE"}}, false)
	tw.seed(t, map[string]any{"emails": map[string]any{"primaryEmail": "contact004@exemple.be"}}, true)
	tw.seed(t, map[string]any{"emails": map[string]any{"primaryEmail": "autre.adresse@exemple.be", "additionalEmails": []string{"contact007@exemple.be"}}}, false)
	tw.seed(t, map[string]any{"name": map[string]any{"firstName": "Sans", "lastName": "Adresse05"}, "phones": map[string]any{"primaryPhoneNumber": "02 511 00 05", "primaryPhoneCountryCode": "BE"}}, false)
	tw.seed(t, map[string]any{"name": map[string]any{"firstName": "Client", "lastName": "Existant"}, "emails": map[string]any{"primaryEmail": "client@autre.be"}}, false)
	tw.seed(t, map[string]any{"name": map[string]any{"firstName": "Prospect", "lastName": "Sans Mautic"}}, false)
	return tw.seedCompany("acme")
}

const (
	seededLive, seededTrash = 6, 1
	seededMatches           = 5 // contacts 2, 3, 4 (trash), 7 (additional e-mail), 315 (name and phone)
	dsCompaniesNew          = 8 // 9 distinct names, Acme already in Twenty
)

// TestMigrateAPI migrates a few hundred contacts read from Mautic's API
// over several pages, with duplicates, contacts without e-mail, anonymous
// visitors, invalid fields and non-ASCII names, into a Twenty that holds
// some of them already; a second run creates nothing.
func TestMigrateAPI(t *testing.T) {
	m := newMauticStub(t, mauticUser, mauticPassword, dataset())
	tw := newTwentyStub(t, twentyKey)
	acme := seedTwenty(t, tw)
	tw.limited = 2 // Twenty's rate limit on the first requests

	var out bytes.Buffer
	rep, err := Run(context.Background(), apiOptions(m, tw, &out))
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if m.pages < 9 {
		t.Errorf("Mautic was read in %d pages, want at least 9 (340 contacts by 40)", m.pages)
	}
	toCreate := dsPeople - seededMatches
	got := [...]int{rep.Source, rep.WithEmail, rep.WithoutEmail, rep.Anonymous, rep.People, len(rep.Duplicates), len(rep.Issues), rep.DoNotContact,
		rep.TargetBefore, rep.TrashBefore, rep.Existing, rep.InTrash, rep.Created, rep.CompaniesCreated, rep.Found, len(rep.Missing), len(rep.Rejected)}
	want := [...]int{dsSource, dsWithEmail, dsNoEmail, dsAnonymous, dsPeople, dsDups, 2, 2,
		seededLive, seededTrash, seededMatches, 1, toCreate, dsCompaniesNew, dsPeople, 0, 0}
	if got != want {
		t.Errorf("report\n got %v\nwant %v", got, want)
	}

	// The target itself, counted apart from the report.
	if n := len(tw.livePeople()); n != seededLive+toCreate {
		t.Errorf("Twenty holds %d live people, want %d", n, seededLive+toCreate)
	}
	emails := emailsInTwenty(tw)
	for i := 1; i <= 300; i++ {
		if e := fmt.Sprintf("contact%03d@exemple.be", i); emails[e] != 1 {
			t.Errorf("%s held by %d people in Twenty, want 1", e, emails[e])
		}
	}
	if emails["contact340@exemple.be"] != 1 || emails["pas-une-adresse@"] != 0 {
		t.Errorf("contact340: %d, invalid address: %d", emails["contact340@exemple.be"], emails["pas-une-adresse@"])
	}

	// Merged duplicate: the first contact's name, the second's mobile.
	p1 := personByEmail(tw, "contact001@exemple.be")
	if p1 == nil {
		t.Fatal("contact001 not in Twenty")
	}
	if n := p1["name"].(map[string]any); n["firstName"] != "Łukasz" || n["lastName"] != "Kowalski" {
		t.Errorf("contact001's name: %v", n)
	}
	ph := p1["phones"].(map[string]any)
	extra, _ := ph["additionalPhones"].([]any)
	if ph["primaryPhoneNumber"] != "470000001" || ph["primaryPhoneCountryCode"] != "BE" || len(extra) != 1 || extra[0].(map[string]any)["number"] != "499000001" {
		t.Errorf("contact001's phones: %v", ph)
	}
	// A French number written 0033..., a decomposed accent stored composed.
	p14 := personByEmail(tw, "contact014@exemple.be")
	if p14["name"].(map[string]any)["lastName"] != "Lef\u00e8vre" || p14["phones"].(map[string]any)["primaryPhoneCallingCode"] != "+33" {
		t.Errorf("contact014: %v", p14)
	}
	if p := personByEmail(tw, "contact019@exemple.be"); p["name"].(map[string]any)["firstName"] != "Μαρία" || p["city"] != "Bruxelles" || p["jobTitle"] != "Gérante" {
		t.Errorf("contact019: %v", p)
	}
	// Companies: one per name, "ACME " and "Acme" are the seeded acme.
	comps := tw.companyNames()
	seen := map[string]int{}
	for _, n := range comps {
		seen[nameKey(n)]++
	}
	if len(comps) != 1+dsCompaniesNew || seen["acme"] != 1 {
		t.Errorf("companies in Twenty: %v", comps)
	}
	for email, want := range map[string]string{"contact027@exemple.be": acme, "contact030@exemple.be": acme} {
		if id := personByEmail(tw, email)["companyId"]; id != want {
			t.Errorf("%s: companyId %v, want Acme's %s", email, id, want)
		}
	}
	if id, _ := personByEmail(tw, "contact006@exemple.be")["companyId"].(string); comps[id] != "Société d'Ébénisterie" {
		t.Errorf("contact006's company: %q", comps[id])
	}
	// Without e-mail: merged by name and phone (311 and 329), by name only.
	if ps := personByName(tw, "Sans", "Adresse01"); len(ps) != 1 || ps[0]["city"] != "Liège" {
		t.Errorf("Sans Adresse01 (311 + 329): %v", ps)
	}
	if ps := personByName(tw, "Sans", "Adresse05"); len(ps) != 1 {
		t.Errorf("Sans Adresse05 (already in Twenty): %d people", len(ps))
	}
	if ps := personByName(tw, "Adresse", "Invalide"); len(ps) != 1 {
		t.Errorf("contact 339 (invalid e-mail): %d people", len(ps))
	}
	for _, want := range []string{"duplicate contact001@exemple.be: Mautic contacts 1, 301", "e-mail \"pas-une-adresse@\" is not a valid address",
		"phone \"n/a\" is not a phone number", "in Twenty's trash: not created again", "2 contacts are \"do not contact\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// Second run: nothing to create, and it says so.
	posts := tw.posts
	out.Reset()
	rep, err = Run(context.Background(), apiOptions(m, tw, &out))
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	if rep.Created != 0 || rep.CompaniesCreated != 0 || rep.Existing != dsPeople || rep.Found != dsPeople || tw.posts != posts {
		t.Errorf("second run: created %d, companies %d, existing %d, found %d, %d POSTs", rep.Created, rep.CompaniesCreated, rep.Existing, rep.Found, tw.posts-posts)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("nothing to create: all %d people are already in Twenty", dsPeople)) {
		t.Errorf("second run output:\n%s", out.String())
	}
}

// writeExport writes contacts as Mautic's export does: one column per
// field alias, id first, a UTF-8 BOM.
func writeExport(t *testing.T, seeds []mauticSeed) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbf")
	w := csv.NewWriter(&b)
	header := append([]string{"id"}, mauticAliases...)
	header = append(header, "stage")
	if err := w.Write(header); err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		row := []string{fmt.Sprint(s.id)}
		for _, a := range mauticAliases {
			row = append(row, s.fields[a])
		}
		row = append(row, "")
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return b.Bytes()
}

// TestMigrateCSV migrates from the export (CSV, then the same in the zip
// Mautic 5 mails): the counts are those of the API path, a company name
// holds a comma, quotes and a line break, and the zip run creates nothing.
func TestMigrateCSV(t *testing.T) {
	seeds := dataset()
	seeds[8].fields["company"] = "Les \"Amis\", Bruxelles\nsiège" // contact 9
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "contacts_export_2025_01_01_00_00_00.csv")
	data := writeExport(t, seeds)
	if err := os.WriteFile(csvPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	tw := newTwentyStub(t, twentyKey)
	var out bytes.Buffer
	o := Options{CSV: csvPath, Target: Twenty{URL: tw.URL, APIKey: twentyKey}, PhoneCountry: "BE", Companies: true, Out: &out}
	rep, err := Run(context.Background(), o)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	got := [...]int{rep.Source, rep.WithEmail, rep.WithoutEmail, rep.Anonymous, rep.People, len(rep.Duplicates), rep.DoNotContact, rep.Created, rep.Found}
	want := [...]int{dsSource, dsWithEmail, dsNoEmail, dsAnonymous, dsPeople, dsDups, 0, dsPeople, dsPeople}
	if got != want {
		t.Errorf("CSV report\n got %v\nwant %v", got, want)
	}
	p9 := personByEmail(tw, "contact009@exemple.be")
	if id, _ := p9["companyId"].(string); tw.companyNames()[id] != "Les \"Amis\", Bruxelles\nsiège" {
		t.Errorf("contact009's company: %q", tw.companyNames()[id])
	}

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	f, err := zw.Create("contacts_export_2025_01_01_00_00_00.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	o.CSV = filepath.Join(dir, "contacts_export.zip")
	if err := os.WriteFile(o.CSV, zb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	rep, err = Run(context.Background(), o)
	if err != nil || rep.Source != dsSource || rep.Created != 0 || rep.Found != dsPeople {
		t.Errorf("zip run: source %d, created %d, found %d, err %v\n%s", rep.Source, rep.Created, rep.Found, err, out.String())
	}
}

// TestMigrateInterrupted stops Twenty after 100 people, once cleanly and
// once with the answer of a committed batch lost; the second run creates
// exactly the rest.
func TestMigrateInterrupted(t *testing.T) {
	for _, tt := range []struct {
		name           string
		commitThenFail bool
		firstCreated   int // people the first run knows it created
		stored         int // people Twenty holds after the first run
	}{
		// Batches of 25: the 4th reaches 100 and is answered, the 5th gets 503.
		{"server down after 100", false, 100, 100},
		// The 4th is stored but answered 500: the run saw 75 created.
		{"answer lost after commit", true, 75, 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newMauticStub(t, mauticUser, mauticPassword, dataset())
			tw := newTwentyStub(t, twentyKey)
			tw.failAfter, tw.commitThenFail = 100, tt.commitThenFail
			var out bytes.Buffer
			o := apiOptions(m, tw, &out)
			rep, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), "run the same command again") {
				t.Fatalf("first run: %v\n%s", err, out.String())
			}
			if rep.Created != tt.firstCreated || len(tw.livePeople()) != tt.stored {
				t.Errorf("first run: created %d (want %d), Twenty holds %d (want %d)", rep.Created, tt.firstCreated, len(tw.livePeople()), tt.stored)
			}
			tw.mu.Lock()
			tw.failAfter = 0
			tw.mu.Unlock()
			out.Reset()
			rep, err = Run(context.Background(), o)
			if err != nil {
				t.Fatalf("resumed run: %v\n%s", err, out.String())
			}
			if rep.Existing != tt.stored || rep.Created != dsPeople-tt.stored || rep.Found != dsPeople || rep.CompaniesCreated != 0 {
				t.Errorf("resumed run: existing %d, created %d, found %d, companies %d", rep.Existing, rep.Created, rep.Found, rep.CompaniesCreated)
			}
			if n := len(tw.livePeople()); n != dsPeople {
				t.Errorf("Twenty holds %d people, want exactly %d", n, dsPeople)
			}
			for e, n := range emailsInTwenty(tw) {
				if n != 1 {
					t.Errorf("%s held by %d people", e, n)
				}
			}
			if n := len(tw.companyNames()); n != 9 {
				t.Errorf("%d companies, want 9", n)
			}
		})
	}
}

// TestMigrateDroppedRecord: Twenty answers a person as created but does
// not keep it; the count after the run fails and names that contact.
func TestMigrateDroppedRecord(t *testing.T) {
	m := newMauticStub(t, mauticUser, mauticPassword, dataset())
	tw := newTwentyStub(t, twentyKey)
	tw.drop = "contact050@exemple.be"
	var out bytes.Buffer
	rep, err := Run(context.Background(), apiOptions(m, tw, &out))
	if err == nil {
		t.Fatalf("no error for a dropped record\n%s", out.String())
	}
	if !strings.Contains(err.Error(), "1 people missing in Twenty") || !strings.Contains(err.Error(), "<contact050@exemple.be> (Mautic 50)") {
		t.Errorf("error does not name the missing contact: %v", err)
	}
	if rep.Found != dsPeople-1 || len(rep.Missing) != 1 || rep.Created != dsPeople {
		t.Errorf("found %d, missing %v, created %d", rep.Found, rep.Missing, rep.Created)
	}
}

// TestMigrateRejected: Twenty refuses one record of a batch (an address
// our check lets through, with a non-ASCII local part, that zod's default
// schema refuses); the batch is sent again one by one, the others land,
// and the run fails naming the refused one with Twenty's reason.
func TestMigrateRejected(t *testing.T) {
	seeds := dataset()
	seeds[29].fields["email"] = "zoë@exemple.be" // contact 30
	m := newMauticStub(t, mauticUser, mauticPassword, seeds)
	tw := newTwentyStub(t, twentyKey)
	var out bytes.Buffer
	rep, err := Run(context.Background(), apiOptions(m, tw, &out))
	if err == nil || !strings.Contains(err.Error(), "1 people refused by Twenty") || !strings.Contains(err.Error(), "zoë@exemple.be") || !strings.Contains(err.Error(), "Invalid string value") {
		t.Fatalf("want the refused contact named: %v\n%s", err, out.String())
	}
	if rep.Created != dsPeople-1 || len(rep.Rejected) != 1 || len(rep.Missing) != 0 || len(tw.livePeople()) != dsPeople-1 {
		t.Errorf("created %d, rejected %v, missing %v, Twenty %d", rep.Created, rep.Rejected, rep.Missing, len(tw.livePeople()))
	}
}

// TestMigrateDryRun reads both sides and writes nothing.
func TestMigrateDryRun(t *testing.T) {
	m := newMauticStub(t, mauticUser, mauticPassword, dataset())
	tw := newTwentyStub(t, twentyKey)
	seedTwenty(t, tw)
	var out bytes.Buffer
	o := apiOptions(m, tw, &out)
	o.DryRun = true
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if tw.posts != 0 || rep.Created != 0 || len(tw.livePeople()) != seededLive {
		t.Errorf("dry run wrote: %d POSTs, created %d, Twenty %d", tw.posts, rep.Created, len(tw.livePeople()))
	}
	toCreate := dsPeople - seededMatches
	if rep.WouldCreate != toCreate || strings.Count(out.String(), "would create company") != dsCompaniesNew || strings.Count(out.String(), "migrate contacts: would create ") != toCreate+dsCompaniesNew {
		t.Errorf("dry run: would create %d\n%s", rep.WouldCreate, out.String())
	}
	if !strings.Contains(out.String(), "would create Zoë Dupont <contact012@exemple.be> (Mautic 12)") {
		t.Errorf("dry run does not name the people:\n%s", out.String())
	}
}

// TestMautic reads: the overlap check catches a contact deleted during
// the read, contacts added meanwhile are read, refused credentials say
// what to fix.
func TestMautic(t *testing.T) {
	hc := newHTTPClient()
	small := dataset()[:100]
	tests := []struct {
		name      string
		afterPage func(s *mauticStub, page int)
		user, pw  string
		want      string // error; "" for success
		wantN     int
	}{
		{"plain", nil, mauticUser, mauticPassword, "", 100},
		{"deleted during the read", func(s *mauticStub, page int) {
			if page == 1 {
				s.remove(10)
			}
		}, mauticUser, mauticPassword, "moved during the read", 0},
		{"added during the read", func(s *mauticStub, page int) {
			if page == 1 {
				s.contacts = append(s.contacts, mauticSeed{id: 1000, fields: map[string]string{"email": "new@exemple.be"}})
			}
		}, mauticUser, mauticPassword, "", 101},
		{"wrong password", nil, mauticUser, "wrong", "check MAUTIC_USER and MAUTIC_PASSWORD", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMauticStub(t, mauticUser, mauticPassword, append([]mauticSeed(nil), small...))
			s.afterPage = tt.afterPage
			cs, err := readMautic(context.Background(), hc, Mautic{URL: s.URL, User: tt.user, Password: tt.pw, PageSize: 30})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("want an error with %q, got %v", tt.want, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != tt.wantN {
				t.Fatalf("%d contacts, want %d", len(cs), tt.wantN)
			}
			for i := 1; i < len(cs); i++ {
				if cs[i-1].ID == cs[i].ID {
					t.Fatalf("contact %s read twice", cs[i].ID)
				}
			}
		})
	}
}

// TestMigrateNoTrashFilter: a Twenty that refuses the trash filter costs
// only that feature; the person in its trash is then refused (its e-mail
// taken) and named, the others are created.
func TestMigrateNoTrashFilter(t *testing.T) {
	m := newMauticStub(t, mauticUser, mauticPassword, dataset())
	tw := newTwentyStub(t, twentyKey)
	seedTwenty(t, tw)
	tw.noTrashFilter = true
	var out bytes.Buffer
	rep, err := Run(context.Background(), apiOptions(m, tw, &out))
	if !strings.Contains(out.String(), "cannot list Twenty's trash") {
		t.Errorf("output does not say the trash was not read:\n%s", out.String())
	}
	if err == nil || !strings.Contains(err.Error(), "<contact004@exemple.be> (Mautic 4, 304): A duplicate entry was detected") {
		t.Fatalf("want contact004 refused and named: %v", err)
	}
	if rep.TrashBefore != 0 || rep.Existing != seededMatches-1 || rep.Created != dsPeople-seededMatches || len(rep.Rejected) != 1 || len(rep.Missing) != 0 {
		t.Errorf("trash %d, existing %d, created %d, rejected %v, missing %v", rep.TrashBefore, rep.Existing, rep.Created, rep.Rejected, rep.Missing)
	}
}
