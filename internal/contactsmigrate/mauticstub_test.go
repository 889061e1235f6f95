package contactsmigrate

// mauticStub is a STAND-IN for Mautic's REST API, not the real server:
// Mautic has no Debian package and cannot run in these tests. It
// implements, from Mautic's developer documentation (REST API > Contacts)
// and its FetchCommonApiController, what the migration uses:
// GET /api/contacts with HTTP basic auth (401 and Mautic's {"errors": [...]}
// otherwise), start (default 0), limit (default 30, the default page
// limit), orderBy/orderByDir, and the answer's shape: "total" as a string,
// "contacts" an object keyed by id holding fields.all (alias => value,
// null for empty fields) and doNotContact, and [] for an empty page (PHP's
// empty array).

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type mauticSeed struct {
	id     int
	fields map[string]string // alias => value; missing aliases are null
	dnc    bool
}

type mauticStub struct {
	*httptest.Server
	user, password string

	mu       sync.Mutex
	contacts []mauticSeed
	pages    int
	// afterPage runs (under the lock) after each page is answered, with
	// its number from 1: to change the contacts during a read.
	afterPage func(s *mauticStub, page int)
}

func newMauticStub(t *testing.T, user, password string, contacts []mauticSeed) *mauticStub {
	s := &mauticStub{user: user, password: password, contacts: contacts}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// mauticAliases are the core fields every Mautic contact carries in
// fields.all.
var mauticAliases = []string{"title", "firstname", "lastname", "company", "position", "email", "mobile", "phone",
	"points", "fax", "address1", "address2", "city", "state", "zipcode", "country", "preferred_locale", "timezone",
	"last_active", "attribution_date", "attribution", "website", "facebook", "foursquare", "instagram", "linkedin", "skype", "twitter"}

func (s *mauticStub) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(code int, msg string) {
		writeJSON(w, code, map[string]any{"errors": []map[string]any{{"code": code, "message": msg, "details": []any{}, "type": nil}}})
	}
	if r.Method != http.MethodGet || r.URL.Path != "/api/contacts" {
		fail(http.StatusNotFound, "Requested URL not found: "+r.URL.Path)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != s.user || p != s.password {
		fail(http.StatusUnauthorized, "API authorization denied.")
		return
	}
	q := r.URL.Query()
	atoi := func(k string, def int) (int, bool) {
		v := q.Get(k)
		if v == "" {
			return def, true
		}
		n, err := strconv.Atoi(v)
		return n, err == nil && n >= 0
	}
	start, ok1 := atoi("start", 0)
	limit, ok2 := atoi("limit", 30)
	if !ok1 || !ok2 {
		fail(http.StatusBadRequest, "start and limit must be integers")
		return
	}
	list := append([]mauticSeed(nil), s.contacts...)
	switch q.Get("orderBy") {
	case "id":
		desc := strings.EqualFold(q.Get("orderByDir"), "desc")
		sort.SliceStable(list, func(i, j int) bool { return (list[i].id < list[j].id) != desc })
	case "":
		// No order asked: the database's order, here the order of
		// insertion.
	default:
		fail(http.StatusBadRequest, "orderBy: only id in this stand-in")
		return
	}
	total := len(list)
	if start > len(list) {
		start = len(list)
	}
	list = list[start:min(start+limit, len(list))]
	var contacts any = []any{}
	if len(list) > 0 {
		byID := map[string]any{}
		for _, c := range list {
			all := map[string]any{"id": c.id}
			for _, a := range mauticAliases {
				if v, ok := c.fields[a]; ok && v != "" {
					all[a] = v
				} else {
					all[a] = nil
				}
			}
			all["points"] = 0
			dnc := []any{}
			if c.dnc {
				dnc = append(dnc, map[string]any{"id": c.id, "reason": 2, "comments": "", "channel": "email", "channelId": nil})
			}
			byID[strconv.Itoa(c.id)] = map[string]any{
				"id": c.id, "isPublished": true, "points": 0,
				"fields":       map[string]any{"core": map[string]any{}, "social": map[string]any{}, "personal": []any{}, "professional": []any{}, "all": all},
				"tags":         []any{},
				"doNotContact": dnc,
			}
		}
		contacts = byID
	}
	w.Header().Set("Mautic-Version", "5.2.1")
	writeJSON(w, http.StatusOK, map[string]any{"total": strconv.Itoa(total), "contacts": contacts})
	s.pages++
	if s.afterPage != nil {
		s.afterPage(s, s.pages)
	}
}

func (s *mauticStub) remove(id int) {
	for i, c := range s.contacts {
		if c.id == id {
			s.contacts = append(s.contacts[:i], s.contacts[i+1:]...)
			return
		}
	}
}
