package contactsmigrate

// twentyStub is a STAND-IN for Twenty's REST API, not the real server:
// Twenty (twentycrm/twenty) has no Debian package and cannot run in these
// tests. It implements, from Twenty's source and OpenAPI documentation,
// the subset the migration uses, with the behaviour that matters to it:
//   - Bearer API key, else 401;
//   - GET /rest/{people,companies}: limit (default 60, at most 200, 400 on
//     a non-integer), depth 0 or 1, cursor pagination with starting_after,
//     pageInfo {hasNextPage, startCursor, endCursor} and totalCount; the
//     filter deletedAt[is]:NULL|NOT_NULL lists the live records or the
//     trash (other filters answer 400 here);
//   - POST /rest/batch/{people,companies} (a non-empty JSON array, all or
//     nothing, answered data.create<Object>) and POST /rest/{people,...}
//     (data.create<Object>);
//   - the record validation: unknown fields and subfields refused, text
//     fields must be strings, emails.primaryEmail checked like zod's
//     default email schema (ASCII), lowercased on write, unique (here
//     among live and deleted people: whether Twenty's index covers its
//     trash was not checked, and the migration does not rely on it);
//     phones parsed like libphonenumber for the
//     countries below (a national number needs a country, the country and
//     the number's calling code must agree), stored as national number +
//     country + calling code; companyId must name a company;
//   - errors as {statusCode, error, messages}.
//
// Faults can be injected: a rate limit (429), a server that stops after N
// people, a batch committed whose answer is lost, a record accepted but
// not stored.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type stubRecord struct {
	seq     int
	deleted bool
	fields  map[string]any
}

type twentyStub struct {
	*httptest.Server
	key string

	mu        sync.Mutex
	seq       int
	people    []*stubRecord
	companies []*stubRecord

	created int // people created through POST
	posts   int // POST requests answered

	// Faults.
	limited        int    // the next n requests are answered 429
	failAfter      int    // >0: once this many people were created, POSTs answer 503
	commitThenFail bool   // the batch reaching failAfter is stored, then answered 500
	drop           string // a person with this e-mail is answered as created but not stored
	noTrashFilter  bool   // refuse the deletedAt filter, as a version without it would
}

func newTwentyStub(t *testing.T, key string) *twentyStub {
	s := &twentyStub{key: key}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func twentyError(w http.ResponseWriter, status int, name, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "error": name, "messages": []string{msg}})
}

func (s *twentyStub) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limited > 0 {
		s.limited--
		w.Header().Set("Retry-After", "0")
		twentyError(w, http.StatusTooManyRequests, "ThrottlerException", "ThrottlerException: Too Many Requests")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.key {
		twentyError(w, http.StatusUnauthorized, "UnauthorizedException", "Token invalid.")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "rest":
		s.list(w, r, parts[1])
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "rest" && parts[1] == "batch":
		s.posts++
		s.create(w, r, parts[2], true)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[0] == "rest":
		s.posts++
		s.create(w, r, parts[1], false)
	default:
		twentyError(w, http.StatusNotFound, "NotFoundException", "Cannot "+r.Method+" "+r.URL.Path)
	}
}

func (s *twentyStub) table(object string) (*[]*stubRecord, string, string, bool) {
	switch object {
	case "people":
		return &s.people, "createPeople", "createPerson", true
	case "companies":
		return &s.companies, "createCompanies", "createCompany", true
	}
	return nil, "", "", false
}

func (s *twentyStub) list(w http.ResponseWriter, r *http.Request, object string) {
	tbl, _, _, ok := s.table(object)
	if !ok {
		twentyError(w, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("object '%s' not found. eg: companies", object))
		return
	}
	q := r.URL.Query()
	limit := 60
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			twentyError(w, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("limit '%s' is invalid. Should be an integer", v))
			return
		}
		limit = min(n, 200)
	}
	if d := q.Get("depth"); d != "" && d != "0" && d != "1" {
		twentyError(w, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("'depth=%s' parameter invalid. Allowed values are 0, 1", d))
		return
	}
	wantDeleted := false
	switch f := q.Get("filter"); f {
	case "", "deletedAt[is]:NULL":
	case "deletedAt[is]:NOT_NULL":
		if s.noTrashFilter {
			twentyError(w, http.StatusBadRequest, "BadRequestException", "'filter' invalid for 'deletedAt[is]:NOT_NULL'")
			return
		}
		wantDeleted = true
	default:
		twentyError(w, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("'filter' %q is not supported by this stand-in", f))
		return
	}
	after := 0
	if c := q.Get("starting_after"); c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "seq:"))
		if err != nil || err2 != nil {
			twentyError(w, http.StatusBadRequest, "BadRequestException", "Invalid cursor")
			return
		}
		after = n
	}
	var match []*stubRecord
	for _, rec := range *tbl {
		if rec.deleted == wantDeleted {
			match = append(match, rec)
		}
	}
	var page []map[string]any
	next := false
	start, end := "", ""
	for _, rec := range match {
		if rec.seq <= after {
			continue
		}
		if len(page) == limit {
			next = true
			break
		}
		page = append(page, rec.fields)
		cur := base64.StdEncoding.EncodeToString([]byte("seq:" + strconv.Itoa(rec.seq)))
		if start == "" {
			start = cur
		}
		end = cur
	}
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data":       map[string]any{object: page},
		"pageInfo":   map[string]any{"hasNextPage": next, "startCursor": nullable(start), "endCursor": nullable(end)},
		"totalCount": len(match),
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *twentyStub) create(w http.ResponseWriter, r *http.Request, object string, batch bool) {
	tbl, manyKey, oneKey, ok := s.table(object)
	if !ok {
		twentyError(w, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("object '%s' not found. eg: companies", object))
		return
	}
	if object == "people" && s.failAfter > 0 && s.created >= s.failAfter {
		twentyError(w, http.StatusServiceUnavailable, "ServiceUnavailableException", "the stand-in is down")
		return
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var body any
	if err := dec.Decode(&body); err != nil {
		twentyError(w, http.StatusBadRequest, "BadRequestException", "Unexpected token in JSON: "+err.Error())
		return
	}
	var inputs []any
	if batch {
		list, ok := body.([]any)
		if !ok {
			twentyError(w, http.StatusBadRequest, "BadRequestException", "Body must be an array")
			return
		}
		if len(list) == 0 {
			twentyError(w, http.StatusBadRequest, "BadRequestException", "Input must not be empty")
			return
		}
		inputs = list
	} else {
		inputs = []any{body}
	}
	// All or nothing, like the single INSERT Twenty runs.
	var out []map[string]any
	batchEmails := map[string]bool{}
	for _, in := range inputs {
		obj, ok := in.(map[string]any)
		if !ok {
			twentyError(w, http.StatusBadRequest, "BadRequestException", "Each record must be an object")
			return
		}
		var rec map[string]any
		var msg string
		if object == "people" {
			rec, msg = s.validPerson(obj, batchEmails)
		} else {
			rec, msg = validCompany(obj)
		}
		if msg != "" {
			twentyError(w, http.StatusBadRequest, "BadRequestException", msg)
			return
		}
		out = append(out, rec)
	}
	for _, rec := range out {
		s.seq++
		rec["id"] = fmt.Sprintf("%08x-0000-4000-8000-%012x", s.seq, s.seq)
		rec["deletedAt"] = nil
		if object == "people" {
			s.created++
			if e, _ := rec["emails"].(map[string]any)["primaryEmail"].(string); s.drop != "" && e == s.drop {
				continue // answered as created, never stored
			}
		}
		*tbl = append(*tbl, &stubRecord{seq: s.seq, fields: rec})
	}
	if object == "people" && s.commitThenFail && s.failAfter > 0 && s.created >= s.failAfter {
		twentyError(w, http.StatusInternalServerError, "InternalServerErrorException", "the answer was lost after the commit")
		return
	}
	if batch {
		writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{manyKey: out}})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{oneKey: out[0]}})
}

// zod's default email pattern, without its look-aheads (checked apart).
var zodEmail = regexp.MustCompile(`^[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`)

var personFields = map[string]bool{"id": true, "name": true, "emails": true, "phones": true, "city": true, "jobTitle": true,
	"companyId": true, "linkedinLink": true, "xLink": true, "avatarUrl": true, "position": true}

// validPerson validates and transforms a person input as Twenty does, and
// returns the stored record or the message of the 400.
func (s *twentyStub) validPerson(in map[string]any, batchEmails map[string]bool) (map[string]any, string) {
	rec := map[string]any{
		"name":      map[string]any{"firstName": "", "lastName": ""},
		"emails":    map[string]any{"primaryEmail": "", "additionalEmails": nil},
		"phones":    map[string]any{"primaryPhoneNumber": "", "primaryPhoneCountryCode": "", "primaryPhoneCallingCode": "", "additionalPhones": nil},
		"city":      "",
		"jobTitle":  "",
		"companyId": nil,
	}
	for k, v := range in {
		if !personFields[k] {
			return nil, fmt.Sprintf("Object people doesn't have any %q field.", k)
		}
		switch k {
		case "name":
			sub, msg := composite(v, k, "full name", "firstName", "lastName")
			if msg != "" {
				return nil, msg
			}
			for sk, sv := range sub {
				if _, ok := sv.(string); !ok && sv != nil {
					return nil, fmt.Sprintf("Invalid string value %v for full name field \"%s.%s\"", sv, k, sk)
				}
				rec["name"].(map[string]any)[sk] = sv
			}
		case "emails":
			sub, msg := composite(v, k, "emails", "primaryEmail", "additionalEmails")
			if msg != "" {
				return nil, msg
			}
			e, msg := s.validEmails(sub, batchEmails)
			if msg != "" {
				return nil, msg
			}
			rec["emails"] = e
		case "phones":
			sub, msg := composite(v, k, "phones", "primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode", "additionalPhones")
			if msg != "" {
				return nil, msg
			}
			p, msg := transformPhones(sub)
			if msg != "" {
				return nil, msg
			}
			rec["phones"] = p
		case "city", "jobTitle":
			if _, ok := v.(string); !ok && v != nil {
				return nil, fmt.Sprintf("Invalid string value %v for text field %q", v, k)
			}
			rec[k] = v
		case "companyId":
			id, _ := v.(string)
			if v != nil && !s.hasCompany(id) {
				return nil, `insert or update on table "person" violates foreign key constraint "FK_person_companyId"`
			}
			rec[k] = v
		}
	}
	return rec, ""
}

// composite checks a composite field: an object (or null) of known
// subfields.
func composite(v any, field, kind string, subs ...string) (map[string]any, string) {
	if v == nil {
		return map[string]any{}, ""
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Sprintf("Invalid value %v for %s field %q", v, kind, field)
	}
	for k := range obj {
		known := false
		for _, s := range subs {
			known = known || k == s
		}
		if !known {
			return nil, fmt.Sprintf("Invalid subfield %s for %s field %q", k, kind, field)
		}
	}
	return obj, ""
}

func (s *twentyStub) validEmails(sub map[string]any, batchEmails map[string]bool) (map[string]any, string) {
	out := map[string]any{"primaryEmail": "", "additionalEmails": nil}
	if v, ok := sub["primaryEmail"]; ok && v != nil {
		e, ok := v.(string)
		if !ok {
			return nil, fmt.Sprintf("Invalid string value %v for email field \"emails.primaryEmail\"", v)
		}
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && (!zodEmail.MatchString(e) || strings.HasPrefix(e, ".") || strings.Contains(e, "..")) {
			return nil, fmt.Sprintf("Invalid string value '%s' for email field \"emails.primaryEmail\"", v)
		}
		if e != "" {
			if batchEmails[e] || s.emailTaken(e) {
				return nil, "A duplicate entry was detected"
			}
			batchEmails[e] = true
		}
		out["primaryEmail"] = e
	}
	if v, ok := sub["additionalEmails"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Sprintf("Invalid array value %v for field \"emails.additionalEmails\"", v)
		}
		var emails []any
		for _, x := range list {
			e, ok := x.(string)
			if !ok || !zodEmail.MatchString(strings.ToLower(e)) {
				return nil, fmt.Sprintf("Invalid string value %v for email field \"emails.additionalEmails\"", x)
			}
			emails = append(emails, strings.ToLower(e))
		}
		if len(emails) > 0 {
			out["additionalEmails"] = emails
		}
	}
	return out, ""
}

func (s *twentyStub) emailTaken(e string) bool {
	for _, p := range s.people { // the unique index covers the trash too
		if p.fields["emails"].(map[string]any)["primaryEmail"] == e {
			return true
		}
	}
	return false
}

func (s *twentyStub) hasCompany(id string) bool {
	for _, c := range s.companies {
		if c.fields["id"] == id && !c.deleted {
			return true
		}
	}
	return false
}

func validCompany(in map[string]any) (map[string]any, string) {
	rec := map[string]any{"name": ""}
	for k, v := range in {
		if k != "name" && k != "domainName" && k != "id" {
			return nil, fmt.Sprintf("Object companies doesn't have any %q field.", k)
		}
		if k == "name" {
			if _, ok := v.(string); !ok && v != nil {
				return nil, fmt.Sprintf("Invalid string value %v for text field \"name\"", v)
			}
			rec["name"] = v
		}
	}
	return rec, ""
}

// callingCodes of the countries the stand-in's phone parser knows.
var callingCodes = map[string]string{"BE": "32", "FR": "33", "NL": "31", "LU": "352", "DE": "49", "CH": "41", "GB": "44", "US": "1", "IT": "39", "ES": "34"}

// transformPhones is transformPhonesValue: every number is parsed with its
// country or calling code, conflicts refused, national numbers stored.
func transformPhones(sub map[string]any) (map[string]any, string) {
	str := func(k string) (string, string) {
		v, ok := sub[k]
		if !ok || v == nil {
			return "", ""
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Sprintf("Invalid string value %v for text field \"phones.%s\"", v, k)
		}
		return s, ""
	}
	num, m1 := str("primaryPhoneNumber")
	cc, m2 := str("primaryPhoneCountryCode")
	calling, m3 := str("primaryPhoneCallingCode")
	for _, m := range []string{m1, m2, m3} {
		if m != "" {
			return nil, m
		}
	}
	out := map[string]any{"primaryPhoneNumber": "", "primaryPhoneCountryCode": "", "primaryPhoneCallingCode": "", "additionalPhones": nil}
	if num != "" || cc != "" || calling != "" {
		n, c, cl, msg := parsePhone(num, cc, calling)
		if msg != "" {
			return nil, msg
		}
		out["primaryPhoneNumber"], out["primaryPhoneCountryCode"], out["primaryPhoneCallingCode"] = n, c, cl
	}
	if v, ok := sub["additionalPhones"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Sprintf("Invalid value %v for field \"phones.additionalPhones\"", v)
		}
		var extra []any
		for _, x := range list {
			o, ok := x.(map[string]any)
			if !ok {
				return nil, fmt.Sprintf("Invalid value %v for field \"phones.additionalPhones\"", x)
			}
			n, _ := o["number"].(string)
			c, _ := o["countryCode"].(string)
			cl, _ := o["callingCode"].(string)
			n, c, cl, msg := parsePhone(n, c, cl)
			if msg != "" {
				return nil, msg
			}
			extra = append(extra, map[string]any{"number": n, "countryCode": c, "callingCode": cl})
		}
		if len(extra) > 0 {
			out["additionalPhones"] = extra
		}
	}
	return out, ""
}

// parsePhone is the part of libphonenumber's parsing Twenty relies on.
func parsePhone(number, country, calling string) (national, cc, callingCode, msg string) {
	if country != "" {
		if _, ok := callingCodes[country]; !ok {
			return "", "", "", "Invalid country code " + country
		}
	}
	if calling != "" {
		found := false
		for c, code := range callingCodes {
			if "+"+code == calling && (country == "" || country == c) {
				found = true
			}
		}
		if !found {
			return "", "", "", "Provided country code and calling code are conflicting"
		}
	}
	if number == "" {
		return "", country, calling, ""
	}
	var d strings.Builder
	for i, r := range number {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == '+' && i == 0:
		case strings.ContainsRune(" .-()/", r):
		default:
			return "", "", "", "Provided phone number is invalid " + number
		}
	}
	digits := d.String()
	if strings.HasPrefix(number, "+") {
		for l := 1; l <= 3 && l < len(digits); l++ {
			for c, code := range callingCodes {
				if digits[:l] == code {
					if country != "" && country != c {
						return "", "", "", "Provided and inferred country code are conflicting"
					}
					national = digits[l:]
					cc = c
				}
			}
			if cc != "" {
				break
			}
		}
		if cc == "" {
			return "", "", "", "Provided phone number is invalid " + number
		}
	} else {
		cc = country
		if cc == "" {
			for c, code := range callingCodes {
				if "+"+code == calling {
					cc = c
				}
			}
		}
		if cc == "" {
			return "", "", "", "Provided phone number is invalid " + number // INVALID_COUNTRY
		}
		national = digits
		if cc != "IT" {
			national = strings.TrimPrefix(digits, "0")
		}
	}
	if len(national) < 4 || len(national) > 14 {
		return "", "", "", "Provided phone number is invalid " + number
	}
	return national, cc, "+" + callingCodes[cc], ""
}

// seed stores a person the way a create request would (validation
// included), optionally in the trash; it fails the test on a refusal.
func (s *twentyStub) seed(t *testing.T, in map[string]any, deleted bool) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, _ := json.Marshal(in)
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	rec, msg := s.validPerson(obj, map[string]bool{})
	if msg != "" {
		t.Fatalf("seed %v: %s", in, msg)
	}
	s.seq++
	rec["id"] = fmt.Sprintf("%08x-0000-4000-8000-%012x", s.seq, s.seq)
	rec["deletedAt"] = nil
	if deleted {
		rec["deletedAt"] = "2025-01-01T00:00:00.000Z"
	}
	s.people = append(s.people, &stubRecord{seq: s.seq, deleted: deleted, fields: rec})
	return rec["id"].(string)
}

func (s *twentyStub) seedCompany(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("%08x-0000-4000-8000-%012x", s.seq, s.seq)
	s.companies = append(s.companies, &stubRecord{seq: s.seq, fields: map[string]any{"id": id, "name": name, "deletedAt": nil}})
	return id
}

// livePeople returns the stored people not in the trash.
func (s *twentyStub) livePeople() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, p := range s.people {
		if !p.deleted {
			out = append(out, p.fields)
		}
	}
	return out
}

func (s *twentyStub) companyNames() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, c := range s.companies {
		out[c.fields["id"].(string)] = c.fields["name"].(string)
	}
	return out
}
