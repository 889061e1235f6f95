package contactsmigrate

import (
	"fmt"
	"strings"
)

// person is one person to have in Twenty: one Mautic contact, or several
// merged (the same e-mail, or without e-mail the same name and phone).
type person struct {
	key         string // "email:<address>" or "name:<first>|<last>|<phone key>"
	email       string // canonical, valid; "" when none
	first, last string
	phones      []Phone
	company     string
	jobTitle    string
	city        string
	ids         []string // Mautic ids, the lowest first
	dnc         bool
}

func (p *person) label() string {
	name := strings.TrimSpace(p.first + " " + p.last)
	who := name
	switch {
	case name != "" && p.email != "":
		who = name + " <" + p.email + ">"
	case p.email != "":
		who = p.email
	case name == "" && len(p.phones) > 0:
		who = p.phones[0].Number
	}
	return fmt.Sprintf("%s (Mautic %s)", who, strings.Join(p.ids, ", "))
}

func (p *person) byEmail() bool { return p.email != "" }

// Issue is a field of a contact that is not carried over, or a contact
// that is not.
type Issue struct {
	ContactID string
	Contact   string // name and e-mail, for reading
	What      string
}

// Duplicate is a group of Mautic contacts merged into one person.
type Duplicate struct {
	Key string // the e-mail, or name and phone
	IDs []string
}

// prepared is the source once cleaned and merged.
type prepared struct {
	people     []*person
	total      int
	withEmail  int
	noEmail    int
	anonymous  int
	dnc        int
	duplicates []Duplicate
	issues     []Issue
}

// prepare cleans the contacts (read in id order) and merges duplicates:
// the first contact of a group gives every field it has, the others fill
// the empty ones and add their phones. Contacts with nothing to identify
// them (no e-mail, name or phone: Mautic's anonymous visitors) are left
// out.
func prepare(contacts []Contact, defaultCountry string) prepared {
	pr := prepared{total: len(contacts)}
	byKey := map[string]*person{}
	for _, c := range contacts {
		country := countryCode(c.Country)
		if country == "" {
			country = defaultCountry
		}
		var phones []Phone
		for _, raw := range []string{c.Phone, c.Mobile} {
			if strings.TrimSpace(raw) == "" {
				continue
			}
			ph, ok := normalizePhone(raw, country)
			if !ok {
				pr.issues = append(pr.issues, Issue{c.ID, c.label(), fmt.Sprintf("phone %q is not a phone number Twenty accepts (or a national number without a country): left out", raw)})
				continue
			}
			phones = append(phones, ph)
		}
		email := canonicalEmail(c.Email)
		if email != "" && !validEmail(email) {
			pr.issues = append(pr.issues, Issue{c.ID, c.label(), fmt.Sprintf("e-mail %q is not a valid address (Twenty refuses it): imported without e-mail", c.Email)})
			email = ""
		}
		p := &person{email: email, first: cleanText(c.FirstName), last: cleanText(c.LastName), phones: phones,
			company: cleanText(c.Company), jobTitle: cleanText(c.Position), city: cleanText(c.City), ids: []string{c.ID}, dnc: c.DoNotContact}
		switch {
		case email != "":
			p.key = "email:" + email
			pr.withEmail++
		case p.first == "" && p.last == "" && len(phones) == 0:
			pr.anonymous++
			continue
		default:
			p.key = nameMatchKey(p.first, p.last, phones)
			pr.noEmail++
		}
		if c.DoNotContact {
			pr.dnc++
		}
		if base, ok := byKey[p.key]; ok {
			base.merge(p)
			continue
		}
		byKey[p.key] = p
		pr.people = append(pr.people, p)
	}
	for _, p := range pr.people {
		if len(p.ids) > 1 {
			k := p.email
			if k == "" {
				k = strings.TrimSpace(p.first+" "+p.last) + " " + phoneLabel(p.phones)
			}
			pr.duplicates = append(pr.duplicates, Duplicate{Key: strings.TrimSpace(k), IDs: p.ids})
		}
	}
	return pr
}

// nameMatchKey identifies a person without e-mail: name and first phone.
func nameMatchKey(first, last string, phones []Phone) string {
	pk := ""
	if len(phones) > 0 {
		pk = phoneKey(phones[0].Number)
	}
	return "name:" + nameKey(first) + "|" + nameKey(last) + "|" + pk
}

func phoneLabel(ps []Phone) string {
	if len(ps) == 0 {
		return "(no phone)"
	}
	return ps[0].Number
}

func (p *person) merge(o *person) {
	p.ids = append(p.ids, o.ids...)
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&p.first, o.first)
	fill(&p.last, o.last)
	fill(&p.company, o.company)
	fill(&p.jobTitle, o.jobTitle)
	fill(&p.city, o.city)
	p.dnc = p.dnc || o.dnc
	for _, ph := range o.phones {
		if !p.hasPhone(ph) {
			p.phones = append(p.phones, ph)
		}
	}
}

func (p *person) hasPhone(ph Phone) bool {
	for _, x := range p.phones {
		if phoneKey(x.Number) == phoneKey(ph.Number) {
			return true
		}
	}
	return false
}

// input is the person as Twenty's create payload.
func (p *person) input(companyID string) personInput {
	in := personInput{Name: fullName{FirstName: p.first, LastName: p.last}, City: p.city, JobTitle: p.jobTitle, CompanyID: companyID}
	if p.email != "" {
		in.Emails = &emailsInput{PrimaryEmail: p.email}
	}
	if len(p.phones) > 0 {
		in.Phones = &phonesInput{PrimaryPhoneNumber: p.phones[0].Number, PrimaryPhoneCountryCode: p.phones[0].Country}
		for _, ph := range p.phones[1:] {
			in.Phones.AdditionalPhones = append(in.Phones.AdditionalPhones, additionalPhone{Number: ph.Number, CountryCode: ph.Country})
		}
	}
	return in
}

// index finds Twenty people by what identifies an imported person.
type index struct {
	email map[string]twentyPerson
	name  map[string]twentyPerson
}

func newIndex(people ...[]twentyPerson) index {
	ix := index{email: map[string]twentyPerson{}, name: map[string]twentyPerson{}}
	for _, list := range people {
		for _, tp := range list {
			ix.add(tp)
		}
	}
	return ix
}

func (ix index) add(tp twentyPerson) {
	put := func(m map[string]twentyPerson, k string) {
		if _, ok := m[k]; !ok {
			m[k] = tp
		}
	}
	emails := append([]string{tp.Emails.PrimaryEmail}, tp.Emails.AdditionalEmails...)
	for _, e := range emails {
		if e = canonicalEmail(e); e != "" {
			put(ix.email, "email:"+e)
		}
	}
	first, last := nameKey(tp.Name.FirstName), nameKey(tp.Name.LastName)
	keys := tp.phoneKeys()
	for _, k := range keys {
		put(ix.name, "name:"+first+"|"+last+"|"+k)
	}
	// A name alone matches only a person with nothing else either.
	if len(keys) == 0 && canonicalEmail(tp.Emails.PrimaryEmail) == "" {
		put(ix.name, "name:"+first+"|"+last+"|")
	}
}

// find is the Twenty person an imported person already is.
func (ix index) find(p *person) (twentyPerson, bool) {
	if p.email != "" {
		tp, ok := ix.email[p.key]
		return tp, ok
	}
	if len(p.phones) == 0 {
		tp, ok := ix.name[p.key]
		return tp, ok
	}
	for _, ph := range p.phones {
		if tp, ok := ix.name["name:"+nameKey(p.first)+"|"+nameKey(p.last)+"|"+phoneKey(ph.Number)]; ok {
			return tp, true
		}
	}
	return twentyPerson{}, false
}
