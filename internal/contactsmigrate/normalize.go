package contactsmigrate

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Contact is one Mautic contact as read from the API or the CSV export,
// with the fields this migration carries (Mautic's field aliases).
type Contact struct {
	ID                  string // Mautic's id, or "row N" for a CSV without an id column
	FirstName, LastName string
	Email               string
	Company, Position   string
	Phone, Mobile       string
	City, Country       string
	// DoNotContact: Mautic holds a "do not contact" entry (unsubscribed,
	// bounced); only the API says so, the CSV export does not.
	DoNotContact bool
}

// label names a contact in messages.
func (c Contact) label() string {
	name := strings.TrimSpace(strings.TrimSpace(c.FirstName) + " " + strings.TrimSpace(c.LastName))
	switch {
	case name != "" && c.Email != "":
		return name + " <" + strings.TrimSpace(c.Email) + ">"
	case name != "":
		return name
	case c.Email != "":
		return strings.TrimSpace(c.Email)
	}
	return "(no name)"
}

// canonicalEmail lowercases and trims, as Twenty stores e-mails
// (canonicalizeEmail on every write), so both sides compare equal.
func canonicalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validEmail approximates the check Twenty runs on emails.primaryEmail
// (zod's email schema): a dot-atom local part and a domain of at least two
// labels ending in a TLD of letters. Twenty refuses a whole batch for one
// invalid address, so the migration filters them first.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"(),:;<>@[\]`, r) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || len(domain) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len([]rune(tld)) < 2 {
		return false
	}
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// nameKey is a name as compared: NFC (Mautic may hold decomposed accents),
// lower case, inner spaces collapsed.
func nameKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(s))), " ")
}

// cleanText trims a value and recomposes its accents: what Twenty receives.
func cleanText(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// Phone is a number as sent to Twenty: international (+<digits>, Twenty
// infers the country), or national digits with the ISO country Twenty
// parses them in.
type Phone struct {
	Number  string
	Country string // ISO 3166 alpha-2, only for a national number
}

// normalizePhone cleans a phone as people type it ("+32 (0)470 12.34.56",
// "0032 470/123456", "0470 12 34 56") into what Twenty's parser
// (libphonenumber) accepts. A national number needs a country: the
// contact's, else the default. ok is false for what is no phone number at
// all (letters, too few or too many digits, national without country):
// Twenty would refuse the whole batch.
func normalizePhone(raw, country string) (p Phone, ok bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return p, false
	}
	s = strings.ReplaceAll(s, "(0)", "")
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return p, false
		}
	}
	n := b.String()
	if strings.HasPrefix(n, "00") {
		n = "+" + n[2:]
	}
	if strings.HasPrefix(n, "+") {
		if d := len(n) - 1; d < 7 || d > 15 {
			return p, false
		}
		return Phone{Number: n}, true
	}
	if len(n) < 6 || len(n) > 15 || country == "" {
		return p, false
	}
	return Phone{Number: n, Country: country}, true
}

// phoneKey is what two numbers of one person share however they are
// written: the last 8 digits (the national significant number of most
// European numbers, without calling code or trunk 0); Twenty stores the
// national number apart from the calling code.
func phoneKey(number string) string {
	var d []byte
	for i := 0; i < len(number); i++ {
		if number[i] >= '0' && number[i] <= '9' {
			d = append(d, number[i])
		}
	}
	s := strings.TrimLeft(string(d), "0")
	if len(s) > 8 {
		s = s[len(s)-8:]
	}
	return s
}

// countryCodes maps the country names Mautic stores (its English list)
// to ISO codes, for the countries the agency's contacts come from; a
// national phone number is read in its contact's country.
var countryCodes = map[string]string{
	"belgium": "BE", "belgique": "BE", "belgië": "BE", "france": "FR", "netherlands": "NL",
	"luxembourg": "LU", "germany": "DE", "switzerland": "CH", "united kingdom": "GB",
	"ireland": "IE", "spain": "ES", "portugal": "PT", "italy": "IT", "austria": "AT",
	"denmark": "DK", "sweden": "SE", "norway": "NO", "finland": "FI", "poland": "PL",
	"czech republic": "CZ", "canada": "CA", "united states": "US", "morocco": "MA",
	"tunisia": "TN", "algeria": "DZ",
}

// countryCode is the ISO code of a Mautic country (a name or already a
// code), or "".
func countryCode(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 2 && isUpperASCII(strings.ToUpper(s)) {
		return strings.ToUpper(s)
	}
	return countryCodes[strings.ToLower(s)]
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}
