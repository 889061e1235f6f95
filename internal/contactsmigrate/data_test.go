package contactsmigrate

import (
	"fmt"
	"strings"
)

// names mixes accents, other scripts and a decomposed accent (Mautic may
// hold NFD text; Twenty must get NFC).
var names = [][2]string{
	{"Zoë", "Dupont"}, {"Łukasz", "Kowalski"}, {"François", "Lefe\u0300vre"}, {"Åsa", "Ærøskøbing"},
	{"李", "小龙"}, {"Jean", "De Smet"}, {"Noémie", "Van den Bossche"}, {"Μαρία", "Παπαδοπούλου"},
	{"Oğuz", "Yılmaz"}, {"Seán", "Ó Briain"}, {"Анна", "Петрова"}, {"Ines", "García-Núñez"},
}

// companies of the data set; "ACME " and "Acme" are one company, and
// Twenty already holds it (as "acme").
var companies = []string{"Acme", "Brasserie Cantillon", "Société d'Ébénisterie", "Atelier Ù", "Groupe Lux",
	"Studio Nord", "Boulangerie Ä", "Ferme du Bois", "Café Ça Va", "ACME "}

// dataset is the Mautic side of the main scenario. Its figures, worked
// out by construction (not by the code under test):
//   - ids 1..300: distinct e-mails contactNNN@exemple.be, one of the
//     names above, every third a company, phones in several writings;
//   - 301..310: the e-mails of 1..10 in capitals, each with a mobile its
//     twin lacks: 10 e-mail duplicates, merged;
//   - 311..330: no e-mail, name and phone, 18 distinct (329 and 330
//     repeat 311 and 312 in another writing): 2 more duplicates;
//   - 331..333: a name only;
//   - 334..338: anonymous visitors (nothing): skipped;
//   - 339: an invalid e-mail (kept, by name); 340: an invalid phone;
//   - 5 and 6: "do not contact".
//
// Source 340 = 311 with e-mail + 24 without + 5 anonymous; 323 people.
func dataset() []mauticSeed {
	var out []mauticSeed
	for i := 1; i <= 300; i++ {
		n := names[i%len(names)]
		f := map[string]string{"firstname": n[0], "lastname": n[1], "email": fmt.Sprintf("contact%03d@exemple.be", i),
			"city": "Bruxelles", "position": "Gérante", "country": "Belgium"}
		if i%3 == 0 {
			f["company"] = companies[(i/3)%len(companies)]
		}
		switch i % 4 {
		case 0:
			f["phone"] = fmt.Sprintf("+32 470 %02d %02d %02d", i/10000, (i/100)%100, i%100)
		case 1:
			f["phone"] = fmt.Sprintf("0470/%02d.%02d.%02d", i/10000, (i/100)%100, i%100)
		case 2:
			f["phone"] = fmt.Sprintf("0033 1 42 %02d %02d %02d", i/10000, (i/100)%100, i%100)
			f["country"] = "France"
		}
		out = append(out, mauticSeed{id: i, fields: f, dnc: i == 5 || i == 6})
	}
	for i := 301; i <= 310; i++ {
		orig := i - 300
		out = append(out, mauticSeed{id: i, fields: map[string]string{
			"email": strings.ToUpper(fmt.Sprintf("contact%03d@Exemple.be", orig)), "firstname": "Autre", "lastname": "Nom",
			"mobile": fmt.Sprintf("+32 499 00 %02d %02d", orig/100, orig%100),
		}})
	}
	for i := 311; i <= 328; i++ {
		out = append(out, mauticSeed{id: i, fields: map[string]string{
			"firstname": "Sans", "lastname": fmt.Sprintf("Adresse%02d", i-310), "phone": fmt.Sprintf("+32 2 511 %02d %02d", (i-310)/100, (i-310)%100),
		}})
	}
	// 329 and 330: 311 and 312 again, number written nationally.
	for i, twin := range []int{311, 312} {
		out = append(out, mauticSeed{id: 329 + i, fields: map[string]string{
			"firstname": "SANS", "lastname": fmt.Sprintf("adresse%02d", twin-310), "phone": fmt.Sprintf("02 511 %02d %02d", (twin-310)/100, (twin-310)%100),
			"city": "Liège",
		}})
	}
	for i := 331; i <= 333; i++ {
		out = append(out, mauticSeed{id: i, fields: map[string]string{"firstname": "Juste", "lastname": fmt.Sprintf("Un Nom %d", i)}})
	}
	for i := 334; i <= 338; i++ {
		out = append(out, mauticSeed{id: i, fields: map[string]string{"city": "Bruxelles"}}) // a visitor's geolocated city, nothing else
	}
	out = append(out,
		mauticSeed{id: 339, fields: map[string]string{"firstname": "Adresse", "lastname": "Invalide", "email": "pas-une-adresse@"}},
		mauticSeed{id: 340, fields: map[string]string{"firstname": "Téléphone", "lastname": "Invalide", "email": "contact340@exemple.be", "phone": "n/a"}},
	)
	return out
}

// datasetCounts are dataset()'s figures, worked out above.
const (
	dsSource    = 340
	dsWithEmail = 311
	dsNoEmail   = 24
	dsAnonymous = 5
	dsPeople    = 323
	dsDups      = 12
)
