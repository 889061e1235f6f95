package contactsmigrate

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Mautic is the source: its REST API (basic auth must be enabled in
// Configuration > API Settings).
type Mautic struct {
	URL            string // Mautic's root, e.g. https://mautic.fullfrontend.be
	User, Password string
	PageSize       int // contacts per request; 0: 100
}

// mauticList is GET /api/contacts: "total" is a string in Mautic's own
// documentation (a number in some versions) and "contacts" an object keyed
// by id, or [] when empty (PHP's empty array).
type mauticList struct {
	Total    json.RawMessage `json:"total"`
	Contacts json.RawMessage `json:"contacts"`
	Errors   []mauticError   `json:"errors"`
}

type mauticError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type mauticContact struct {
	ID     json.Number `json:"id"`
	Fields struct {
		All map[string]any `json:"all"`
	} `json:"fields"`
	DoNotContact []json.RawMessage `json:"doNotContact"`
}

// readMautic lists every contact, ordered by id, page by page. Each page
// after the first starts with the last contact of the one before: a
// contact deleted while paging shifts the pages, and that first contact
// then differs (the run fails and asks for another) instead of one
// contact being skipped silently. Contacts added meanwhile have higher
// ids and land on the last page.
func readMautic(ctx context.Context, hc *http.Client, m Mautic) ([]Contact, error) {
	base, err := url.Parse(strings.TrimSuffix(m.URL, "/") + "/api/contacts")
	if err != nil {
		return nil, fmt.Errorf("Mautic URL %q: %w", m.URL, err)
	}
	limit := m.PageSize
	if limit <= 0 {
		limit = 100
	}
	limit = max(limit, 2) // the overlap needs two contacts per page
	byID := map[string]Contact{}
	var out []Contact
	total, offset, last := 0, 0, ""
	for {
		q := url.Values{}
		q.Set("start", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(limit))
		q.Set("orderBy", "id")
		q.Set("orderByDir", "asc")
		u := *base
		u.RawQuery = q.Encode()
		page, n, err := mauticPage(ctx, hc, m, u.String())
		if err != nil {
			return nil, err
		}
		total = n
		sortByID(page)
		fresh := page
		if last != "" {
			if len(page) == 0 || page[0].ID != last {
				return nil, fmt.Errorf("Mautic's contact list moved during the read (contact %s expected at position %d): contacts were deleted or merged meanwhile; run again", last, offset)
			}
			fresh = page[1:]
		}
		for _, c := range fresh {
			if _, dup := byID[c.ID]; dup {
				return nil, fmt.Errorf("Mautic returned contact %s twice: its list moved during the read; run again", c.ID)
			}
			byID[c.ID] = c
			out = append(out, c)
		}
		if len(fresh) == 0 || offset+len(page) >= total {
			break
		}
		last = page[len(page)-1].ID
		offset += len(page) - 1
	}
	if len(out) != total {
		return nil, fmt.Errorf("read %d contacts from Mautic but it counts %d: contacts were added or deleted during the read; run again (or pause Mautic's forms during the migration)", len(out), total)
	}
	return out, nil
}

func sortByID(cs []Contact) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, errA := strconv.Atoi(cs[i].ID)
		b, errB := strconv.Atoi(cs[j].ID)
		if errA == nil && errB == nil {
			return a < b
		}
		return cs[i].ID < cs[j].ID
	})
}

func mauticPage(ctx context.Context, hc *http.Client, m Mautic, u string) ([]Contact, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.SetBasicAuth(m.User, m.Password)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("Mautic: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("Mautic: read %s: %w", redact(u), err)
	}
	var l mauticList
	jsonErr := json.Unmarshal(body, &l)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, 0, fmt.Errorf("Mautic refused the credentials (HTTP %d%s): check MAUTIC_USER and MAUTIC_PASSWORD, and that the API and HTTP basic auth are enabled (Configuration > API Settings)", resp.StatusCode, mauticMessages(l.Errors))
	case resp.StatusCode != http.StatusOK:
		return nil, 0, fmt.Errorf("Mautic: GET %s: HTTP %d%s", redact(u), resp.StatusCode, mauticMessages(l.Errors))
	case jsonErr != nil:
		return nil, 0, fmt.Errorf("Mautic: GET %s did not answer JSON (%v): is --mautic-url Mautic's root, and HTTP basic auth enabled (otherwise Mautic answers with its login page)?", redact(u), jsonErr)
	case len(l.Errors) > 0:
		return nil, 0, fmt.Errorf("Mautic: GET %s:%s", redact(u), mauticMessages(l.Errors))
	}
	total, err := mauticTotal(l.Total)
	if err != nil {
		return nil, 0, fmt.Errorf("Mautic: GET %s: %w", redact(u), err)
	}
	raw, err := mauticContacts(l.Contacts)
	if err != nil {
		return nil, 0, fmt.Errorf("Mautic: GET %s: %w", redact(u), err)
	}
	out := make([]Contact, 0, len(raw))
	for _, mc := range raw {
		out = append(out, mc.contact())
	}
	return out, total, nil
}

func mauticMessages(errs []mauticError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

func mauticTotal(raw json.RawMessage) (int, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("\"total\" is %s, not a count", raw)
	}
	return n, nil
}

// mauticContacts decodes "contacts" in each shape Mautic sends: an object
// keyed by id, [] or {} when empty, or a list.
func mauticContacts(raw json.RawMessage) ([]mauticContact, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] == '[' {
		var list []mauticContact
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, fmt.Errorf("\"contacts\": %w", err)
		}
		return list, nil
	}
	var byID map[string]mauticContact
	if err := json.Unmarshal(t, &byID); err != nil {
		return nil, fmt.Errorf("\"contacts\": %w", err)
	}
	out := make([]mauticContact, 0, len(byID))
	for k, c := range byID {
		if c.ID == "" {
			c.ID = json.Number(k)
		}
		out = append(out, c)
	}
	return out, nil
}

func (mc mauticContact) contact() Contact {
	f := func(k string) string {
		switch v := mc.Fields.All[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	return Contact{
		ID: mc.ID.String(), FirstName: f("firstname"), LastName: f("lastname"), Email: f("email"),
		Company: f("company"), Position: f("position"), Phone: f("phone"), Mobile: f("mobile"),
		City: f("city"), Country: f("country"), DoNotContact: len(mc.DoNotContact) > 0,
	}
}

// csvColumns are the aliases of Mautic's contact export header that this
// migration reads (the export writes one column per contact field, by
// alias, plus id).
var csvColumns = []string{"id", "firstname", "lastname", "email", "company", "position", "phone", "mobile", "city", "country"}

// readCSV reads Mautic's contact export: the .csv itself, or the .zip
// Mautic 5 mails a link to (its first .csv is read).
func readCSV(file string) ([]Contact, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read the Mautic export: %w", err)
	}
	if bytes.HasPrefix(raw, []byte("PK\x03\x04")) {
		raw, err = firstCSVInZip(raw, file)
		if err != nil {
			return nil, err
		}
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // the BOM older exports start with
	r := csv.NewReader(bytes.NewReader(raw))
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read the header: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	_, hasEmail := col["email"]
	_, hasFirst := col["firstname"]
	_, hasLast := col["lastname"]
	if !hasEmail && !hasFirst && !hasLast {
		return nil, fmt.Errorf("%s does not look like Mautic's contact export: no email, firstname or lastname column (columns: %s); export from Mautic's contact list (Export > CSV)", file, strings.Join(header, ", "))
	}
	var out []Contact
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		v := map[string]string{}
		for _, name := range csvColumns {
			if i, ok := col[name]; ok && i < len(rec) {
				v[name] = rec[i]
			}
		}
		id := strings.TrimSpace(v["id"])
		if id == "" {
			id = fmt.Sprintf("row %d", row)
		}
		out = append(out, Contact{
			ID: id, FirstName: v["firstname"], LastName: v["lastname"], Email: v["email"],
			Company: v["company"], Position: v["position"], Phone: v["phone"], Mobile: v["mobile"],
			City: v["city"], Country: v["country"],
		})
	}
	return out, nil
}

func firstCSVInZip(raw []byte, file string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, f := range zr.File {
		if !strings.EqualFold(path.Ext(f.Name), ".csv") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, f.Name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, 1<<30))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, f.Name, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s is a zip without a .csv file: give the export Mautic mailed (contacts_export_<date>.zip) or the .csv in it", file)
}

// redact drops a URL's user info and query for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}
