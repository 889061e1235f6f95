// Package contactsmigrate moves Mautic's contacts (the marketing tool of
// the old Docker host) into the platform's CRM, Twenty (infra migrate
// contacts).
//
// The source is Mautic's REST API (GET /api/contacts, basic auth, pages in
// id order) or its contact export (CSV, or the zip Mautic 5 mails). The
// target is Twenty's REST API with an API key: people are created in
// batches (POST /rest/batch/people) and, unless turned off, the companies
// they name (found by name, created when missing, linked by companyId).
//
// Matching, which makes the run idempotent and resumable without a state
// file of its own: a contact with an e-mail is the Twenty person holding
// that e-mail (lowercased, as Twenty stores it; primary or additional);
// one without is the person of the same name and phone (the last 8 digits,
// however it is written), or of the same name when neither side has a
// phone or e-mail. People in Twenty's trash count as present: a person
// deleted in the CRM on purpose is not brought back. Nothing in Twenty is
// ever modified or deleted, and Mautic is only read.
//
// Before writing, contacts are cleaned: invalid e-mails and phones are left
// out and reported (Twenty refuses a whole batch for one), Mautic's
// anonymous visitors (no e-mail, name or phone) are skipped, and
// duplicates (the same e-mail twice, or without e-mail the same name and
// phone) are merged into one person and reported. A batch Twenty refuses
// is retried record by record, so one bad record is named and the others
// land.
//
// Counts are printed before (Mautic's total, with e-mail, without,
// anonymous) and after (the imported people found in Twenty); a person
// missing after the run fails it and is named.
package contactsmigrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Options of one run. Exactly one of Mautic and CSV is the source.
type Options struct {
	Mautic *Mautic // source: Mautic's API
	CSV    string  // source: Mautic's contact export (.csv or .zip)
	Target Twenty

	// PhoneCountry is the ISO country of national phone numbers whose
	// contact has no (known) country; "" leaves such numbers out.
	PhoneCountry string
	// Companies: find or create each contact's company and link it.
	Companies bool
	BatchSize int  // people per create request; 0: 50, at most 200
	DryRun    bool // read both sides, print what would be created, write nothing
	Out       io.Writer
	// HTTPClient for both sides; nil: a client with a 2-minute timeout.
	HTTPClient *http.Client
	// RetryWait is the first pause after Twenty's rate limit (429)
	// without Retry-After; 0: 2s.
	RetryWait time.Duration
}

// Report is the outcome of a run, also when it fails.
type Report struct {
	Source       int // contacts read from Mautic
	WithEmail    int // of which with a valid e-mail
	WithoutEmail int // without (or with an invalid) e-mail, kept
	Anonymous    int // with nothing to identify them: skipped
	DoNotContact int // marked "do not contact" in Mautic (API only)
	People       int // persons to have in Twenty, duplicates merged
	Duplicates   []Duplicate
	Issues       []Issue

	TargetBefore int // live people in Twenty before the run
	TrashBefore  int // people in Twenty's trash before the run
	Existing     int // imported persons already in Twenty (live or trash)
	InTrash      int // of which in the trash

	CompaniesCreated int
	Created          int // people created by this run
	WouldCreate      int // dry run: people it would create
	Rejected         []Rejection

	Found   int      // imported persons found in Twenty after the run
	Missing []string // persons not found after the run
}

// Rejection is a person Twenty refused, with its reason.
type Rejection struct {
	Person string
	Reason string
}

func newHTTPClient() *http.Client { return &http.Client{Timeout: 2 * time.Minute} }

// BatchMax is the most records one create request may carry (Twenty's
// QUERY_MAX_RECORDS).
const BatchMax = twentyPageMax

type migration struct {
	o        Options
	tc       *twentyClient
	rep      *Report
	rejected map[*person]bool
}

func (m *migration) logf(format string, args ...any) {
	fmt.Fprintf(m.o.Out, "migrate contacts: "+format+"\n", args...)
}

// Run migrates the contacts and checks the counts; see the package
// documentation.
func Run(ctx context.Context, o Options) (rep Report, err error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.HTTPClient == nil {
		o.HTTPClient = newHTTPClient()
	}
	if o.BatchSize == 0 {
		o.BatchSize = 50
	}
	if o.BatchSize < 1 || o.BatchSize > BatchMax {
		return rep, fmt.Errorf("batch size %d: give 1 to %d (Twenty's limit per request)", o.BatchSize, BatchMax)
	}
	if (o.Mautic == nil) == (o.CSV == "") {
		return rep, errors.New("give one source: Mautic's API or its CSV export")
	}
	if o.Target.APIKey == "" {
		return rep, errors.New("no Twenty API key: create one in Twenty (Settings > APIs & Webhooks)")
	}
	tc, err := newTwentyClient(o.Target, o.HTTPClient, o.RetryWait)
	if err != nil {
		return rep, err
	}
	m := &migration{o: o, tc: tc, rep: &rep, rejected: map[*person]bool{}}
	return rep, m.run(ctx)
}

func (m *migration) run(ctx context.Context) error {
	rep := m.rep
	var contacts []Contact
	var source string
	var err error
	if m.o.Mautic != nil {
		source = "Mautic " + redact(m.o.Mautic.URL)
		contacts, err = readMautic(ctx, m.o.HTTPClient, *m.o.Mautic)
	} else {
		source = m.o.CSV
		contacts, err = readCSV(m.o.CSV)
	}
	if err != nil {
		return err
	}
	pr := prepare(contacts, m.o.PhoneCountry)
	rep.Source, rep.WithEmail, rep.WithoutEmail, rep.Anonymous = pr.total, pr.withEmail, pr.noEmail, pr.anonymous
	rep.DoNotContact, rep.People, rep.Duplicates, rep.Issues = pr.dnc, len(pr.people), pr.duplicates, pr.issues
	m.logf("source %s: %d contacts: %d with e-mail, %d without, %d anonymous (skipped); %d people once %d duplicates are merged",
		source, pr.total, pr.withEmail, pr.noEmail, pr.anonymous, len(pr.people), pr.withEmail+pr.noEmail-len(pr.people))
	for _, d := range pr.duplicates {
		m.logf("duplicate %s: Mautic contacts %s merged into one person (the first one's fields win)", d.Key, strings.Join(d.IDs, ", "))
	}
	for _, is := range pr.issues {
		m.logf("Mautic contact %s, %s: %s", is.ContactID, is.Contact, is.What)
	}
	if pr.dnc > 0 {
		m.logf("%d contacts are \"do not contact\" in Mautic: Twenty has no such status, keep them out of any mailing rebuilt in n8n", pr.dnc)
	}

	live, err := listAll[twentyPerson](ctx, m.tc, "people", false)
	if err != nil {
		return fmt.Errorf("read the people in Twenty: %w", err)
	}
	trash, err := m.trash(ctx)
	if err != nil {
		return err
	}
	rep.TargetBefore, rep.TrashBefore = len(live), len(trash)
	liveIx, trashIx := newIndex(live), newIndex(trash)
	var todo []*person
	for _, p := range pr.people {
		if _, ok := liveIx.find(p); ok {
			rep.Existing++
			continue
		}
		if _, ok := trashIx.find(p); ok {
			rep.Existing++
			rep.InTrash++
			m.logf("%s is in Twenty's trash: not created again (restore it in Twenty if it was deleted by mistake)", p.label())
			continue
		}
		todo = append(todo, p)
	}
	m.logf("target Twenty %s: %d people (%d in the trash); %d of the %d already there, %d to create",
		redact(m.o.Target.URL), len(live), len(trash), rep.Existing, len(pr.people), len(todo))

	companyIDs, newCompanies, err := m.companies(ctx, todo)
	if err != nil {
		return err
	}
	if m.o.DryRun {
		rep.WouldCreate = len(todo)
		for _, c := range newCompanies {
			m.logf("would create company %q", c)
		}
		for _, p := range todo {
			m.logf("would create %s%s", p.label(), companyNote(p))
		}
		m.logf("dry run: would create %s and %s; nothing written", plural(len(newCompanies), "company", "companies"), plural(len(todo), "person", "people"))
		return nil
	}
	if len(todo) == 0 {
		m.logf("nothing to create: all %d people are already in Twenty", len(pr.people))
	} else if err := m.create(ctx, todo, companyIDs); err != nil {
		return err
	}
	return m.check(ctx, pr.people)
}

func companyNote(p *person) string {
	if p.company == "" {
		return ""
	}
	return fmt.Sprintf(", company %q", p.company)
}

// companies finds the Twenty company of every person to create, by name
// (case and spacing ignored), and creates the missing ones, unless this
// is a dry run (it then returns their names).
func (m *migration) companies(ctx context.Context, todo []*person) (map[string]string, []string, error) {
	ids := map[string]string{}
	if !m.o.Companies {
		return ids, nil, nil
	}
	var names []string
	seen := map[string]bool{}
	for _, p := range todo {
		if k := nameKey(p.company); k != "" && !seen[k] {
			seen[k] = true
			names = append(names, p.company)
		}
	}
	if len(names) == 0 {
		return ids, nil, nil
	}
	existing, err := listAll[twentyCompany](ctx, m.tc, "companies", false)
	if err != nil {
		return nil, nil, fmt.Errorf("read the companies in Twenty: %w", err)
	}
	// Oldest first: with several companies of one name, people go to the
	// first.
	for _, c := range existing {
		if k := nameKey(c.Name); k != "" {
			if _, ok := ids[k]; !ok {
				ids[k] = c.ID
			}
		}
	}
	var missing []string
	for _, n := range names {
		if _, ok := ids[nameKey(n)]; !ok {
			missing = append(missing, n)
		}
	}
	if m.o.DryRun || len(missing) == 0 {
		return ids, missing, nil
	}
	for start := 0; start < len(missing); start += m.o.BatchSize {
		chunk := missing[start:min(start+m.o.BatchSize, len(missing))]
		in := make([]map[string]string, len(chunk))
		for i, n := range chunk {
			in[i] = map[string]string{"name": n}
		}
		created, err := createMany[twentyCompany](ctx, m.tc, "companies", in, len(chunk))
		if err != nil {
			return nil, nil, fmt.Errorf("create companies: %w (run again: people are created after their companies, and existing companies are found by name)", err)
		}
		for i, c := range created {
			if c.ID == "" {
				return nil, nil, fmt.Errorf("Twenty created company %q without returning its id", chunk[i])
			}
			ids[nameKey(chunk[i])] = c.ID
		}
		m.rep.CompaniesCreated += len(created)
	}
	m.logf("companies: %d created, %d already in Twenty", m.rep.CompaniesCreated, len(names)-m.rep.CompaniesCreated)
	return ids, nil, nil
}

// create sends the people in batches; a refused batch (400) is sent again
// one person at a time, so that the refused ones are named and the others
// created. Any other failure stops the run: it may have been committed,
// and the next run will find those people.
func (m *migration) create(ctx context.Context, todo []*person, companyIDs map[string]string) error {
	batches := 0
	for start := 0; start < len(todo); start += m.o.BatchSize {
		if err := ctx.Err(); err != nil {
			return m.interrupted(err)
		}
		chunk := todo[start:min(start+m.o.BatchSize, len(todo))]
		in := make([]personInput, len(chunk))
		for i, p := range chunk {
			in[i] = p.input(companyIDs[nameKey(p.company)])
		}
		_, err := createMany[twentyPerson](ctx, m.tc, "people", in, len(chunk))
		var ae *APIError
		switch {
		case err == nil:
			m.rep.Created += len(chunk)
			batches++
			m.logf("created %d of %d people", m.rep.Created, len(todo))
			continue
		case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
			m.logf("Twenty refused a batch of %d (%s): sending them one by one", len(chunk), strings.Join(ae.Messages, "; "))
		default:
			return m.interrupted(err)
		}
		for i, p := range chunk {
			err := createOne(ctx, m.tc, "people", in[i])
			switch {
			case err == nil:
				m.rep.Created++
			case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
				reason := strings.Join(ae.Messages, "; ")
				m.rep.Rejected = append(m.rep.Rejected, Rejection{Person: p.label(), Reason: reason})
				m.rejected[p] = true
				m.logf("Twenty refused %s: %s", p.label(), reason)
			default:
				return m.interrupted(err)
			}
		}
		m.logf("created %d of %d people", m.rep.Created, len(todo))
	}
	return nil
}

func (m *migration) interrupted(err error) error {
	m.logf("INTERRUPTED after %d people created: %v", m.rep.Created, err)
	return fmt.Errorf("%w; %d people created by this run: run the same command again to create the rest (it finds what is already in Twenty)", err, m.rep.Created)
}

// trash lists the people in Twenty's trash. A version that refuses the
// filter (400) costs only that feature: the run goes on, and a deleted
// person is then created again, or refused and named if the e-mail is
// still taken.
func (m *migration) trash(ctx context.Context) ([]twentyPerson, error) {
	trash, err := listAll[twentyPerson](ctx, m.tc, "people", true)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		m.logf("cannot list Twenty's trash (%v): people deleted in Twenty are not recognised", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read Twenty's trash: %w", err)
	}
	return trash, nil
}

// check lists Twenty again and looks up every imported person.
func (m *migration) check(ctx context.Context, people []*person) error {
	live, err := listAll[twentyPerson](ctx, m.tc, "people", false)
	if err != nil {
		return fmt.Errorf("count the people in Twenty after the run: %w", err)
	}
	trash, err := m.trash(ctx)
	if err != nil {
		return err
	}
	ix := newIndex(live, trash)
	byEmail, byName := 0, 0
	for _, p := range people {
		if _, ok := ix.find(p); !ok {
			if !m.rejected[p] { // already named, with Twenty's reason
				m.rep.Missing = append(m.rep.Missing, p.label())
			}
			continue
		}
		if p.byEmail() {
			byEmail++
		} else {
			byName++
		}
	}
	m.rep.Found = byEmail + byName
	m.logf("after: %d of %d people found in Twenty (%d by e-mail, %d by name and phone); Twenty holds %d people (%d in the trash); %d created by this run, %d companies",
		m.rep.Found, len(people), byEmail, byName, len(live), len(trash), m.rep.Created, m.rep.CompaniesCreated)
	var problems []string
	if len(m.rep.Missing) > 0 {
		sort.Strings(m.rep.Missing)
		problems = append(problems, fmt.Sprintf("%d people missing in Twenty after the run: %s", len(m.rep.Missing), shortList(m.rep.Missing)))
	}
	if len(m.rep.Rejected) > 0 {
		var names []string
		for _, r := range m.rep.Rejected {
			names = append(names, r.Person+": "+r.Reason)
		}
		problems = append(problems, fmt.Sprintf("%d people refused by Twenty: %s (fix them in Mautic, or create them by hand in Twenty, then run again)", len(m.rep.Rejected), shortList(names)))
	}
	if len(problems) > 0 {
		m.logf("FAILED")
		return errors.New(strings.Join(problems, "; "))
	}
	m.logf("done")
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// shortList joins up to 20 names, then says how many more.
func shortList(names []string) string {
	if len(names) <= 20 {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:20], ", ") + fmt.Sprintf(" and %d more", len(names)-20)
}
