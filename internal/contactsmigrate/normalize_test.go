package contactsmigrate

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		raw, country string
		want         Phone
		ok           bool
	}{
		{"+32 470 12 34 56", "BE", Phone{Number: "+32470123456"}, true},
		{"+32 (0)470 12.34.56", "", Phone{Number: "+32470123456"}, true},
		{"0032 470/123456", "", Phone{Number: "+32470123456"}, true},
		{"0470 12 34 56", "BE", Phone{Number: "0470123456", Country: "BE"}, true},
		{"02-511.00.01", "BE", Phone{Number: "025110001", Country: "BE"}, true},
		{"0470 12 34 56", "", Phone{}, false}, // national, no country
		{"n/a", "BE", Phone{}, false},
		{"0470 12 34 56 ext. 2", "BE", Phone{}, false},
		{"+32 47", "", Phone{}, false},            // too short
		{"+1234567890123456", "", Phone{}, false}, // more than 15 digits
		{"12+34", "BE", Phone{}, false},           // + inside
		{"  ", "BE", Phone{}, false},
	}
	for _, tt := range tests {
		got, ok := normalizePhone(tt.raw, tt.country)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizePhone(%q, %q) = %+v, %v; want %+v, %v", tt.raw, tt.country, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPhoneKey(t *testing.T) {
	// One number in every writing gives one key; another number does not.
	same := []string{"+32470123456", "0470123456", "470123456", "+32 (0)470 12 34 56"}
	for _, s := range same {
		if phoneKey(s) != "70123456" {
			t.Errorf("phoneKey(%q) = %q", s, phoneKey(s))
		}
	}
	if phoneKey("+3225110001") != phoneKey("025110001") || phoneKey("+3225110001") == phoneKey("+3225110002") {
		t.Error("landline keys")
	}
	if phoneKey("0123") != "123" {
		t.Errorf("short number: %q", phoneKey("0123"))
	}
}

func TestValidEmail(t *testing.T) {
	tests := map[string]bool{
		"jean@exemple.be":                 true,
		"jean.dupont+news@sub.exemple.be": true,
		"o'brien@exemple.ie":              true,
		"zoë@exemple.be":                  true, // Twenty versions differ here; a refusal is named by the run
		"pas-une-adresse@":                false,
		"@exemple.be":                     false,
		"jean@exemple":                    false,
		"jean@exemple.b":                  false,
		"jean@exemple.123":                false,
		".jean@exemple.be":                false,
		"jean..dupont@exemple.be":         false,
		"jean dupont@exemple.be":          false,
		"jean@-exemple.be":                false,
		"jean@exemple..be":                false,
		`"jean"@exemple.be`:               false,
		"jean@exemple.be,paul@exemple.be": false,
	}
	for in, want := range tests {
		if got := validEmail(in); got != want {
			t.Errorf("validEmail(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestCountryCodeAndNames(t *testing.T) {
	for in, want := range map[string]string{"Belgium": "BE", " france ": "FR", "be": "BE", "Atlantis": "", "": "", "B1": ""} {
		if got := countryCode(in); got != want {
			t.Errorf("countryCode(%q) = %q, want %q", in, got, want)
		}
	}
	if nameKey("  Lefe\u0300vre   De  Smet ") != nameKey("lef\u00e8vre de smet") {
		t.Error("nameKey does not fold case, spacing and decomposed accents")
	}
	if nameKey("Lefèvre") == nameKey("Lefevre") {
		t.Error("nameKey must keep accents apart")
	}
}

func TestMauticContactsShapes(t *testing.T) {
	tests := []struct {
		name, raw string
		ids       []string
		wantErr   bool
	}{
		{"object keyed by id", `{"12":{"id":12,"fields":{"all":{"email":"a@b.be"}}},"7":{"id":7,"fields":{"all":{}}}}`, []string{"7", "12"}, false},
		{"empty array (PHP)", `[]`, nil, false},
		{"empty object", `{}`, nil, false},
		{"list", `[{"id":3,"fields":{"all":{}}}]`, []string{"3"}, false},
		{"id from the key", `{"9":{"fields":{"all":{}}}}`, []string{"9"}, false},
		{"garbage", `"nope"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := mauticContacts(json.RawMessage(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			var cs []Contact
			for _, r := range raw {
				cs = append(cs, r.contact())
			}
			sortByID(cs)
			var ids []string
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Errorf("ids %v, want %v", ids, tt.ids)
			}
		})
	}
	for raw, want := range map[string]int{`"123"`: 123, `45`: 45, `"0"`: 0} {
		if n, err := mauticTotal(json.RawMessage(raw)); err != nil || n != want {
			t.Errorf("total %s: %d %v", raw, n, err)
		}
	}
	if _, err := mauticTotal(json.RawMessage(`"many"`)); err == nil {
		t.Error("a total that is no count is accepted")
	}
	// fields.all holds numbers and nulls too.
	var mc mauticContact
	if err := json.Unmarshal([]byte(`{"id":5,"fields":{"all":{"firstname":"Ana","lastname":null,"phone":32470123456,"company":"X"}},"doNotContact":[{"reason":1}]}`), &mc); err != nil {
		t.Fatal(err)
	}
	if c := mc.contact(); c.FirstName != "Ana" || c.LastName != "" || c.Phone != "32470123456" || c.Company != "X" || !c.DoNotContact {
		t.Errorf("contact %+v", c)
	}
}

// TestMauticErrors: answers that are not a contact list say what to fix.
func TestMauticErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"login page", 200, "<!DOCTYPE html><html>Mautic login</html>", "HTTP basic auth enabled"},
		{"api disabled", 403, `{"errors":[{"code":403,"message":"API disabled. You need to enable the API in the API settings of Mautic's Configuration."}]}`, "API disabled"},
		{"server error", 500, `{"errors":[{"code":500,"message":"Looks like I encountered an error"}]}`, "HTTP 500: Looks like I encountered an error"},
		{"bad total", 200, `{"total":"x","contacts":[]}`, `"total" is "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer s.Close()
			_, err := readMautic(context.Background(), newHTTPClient(), Mautic{URL: s.URL, User: "u", Password: "p"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want %q, got %v", tt.want, err)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	if _, err := zw.Create("README"); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, want string
	}{
		{"not an export", write("other.csv", []byte("name;mail\nJean;j@x.be\n")), "does not look like Mautic's contact export"},
		{"zip without csv", write("x.zip", zb.Bytes()), "a zip without a .csv file"},
		{"ragged row", write("ragged.csv", []byte("id,email\n1,a@b.be,extra\n")), "wrong number of fields"},
		{"missing", filepath.Join(dir, "none.csv"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := readCSV(tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want %q, got %v", tt.want, err)
			}
		})
	}
	// No id column: contacts are named by their row.
	cs, err := readCSV(write("noid.csv", []byte("Email,FirstName\na@b.be,Ana\nc@d.be,Bo\n")))
	if err != nil || len(cs) != 2 || cs[1].ID != "row 3" || cs[0].FirstName != "Ana" {
		t.Errorf("%+v %v", cs, err)
	}
}

// TestTwentyStubRefuses shows that the Twenty stand-in refuses what the
// real server refuses, so that a payload the migration got wrong would
// fail the scenario tests.
func TestTwentyStubRefuses(t *testing.T) {
	tw := newTwentyStub(t, twentyKey)
	tw.seed(t, map[string]any{"emails": map[string]any{"primaryEmail": "gone@exemple.be"}}, true)
	post := func(path, body, key string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, tw.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	tests := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"emails as a string", "/rest/people", `{"emails":"a@b.be"}`, 400, "Invalid value"},
		{"unknown subfield", "/rest/people", `{"emails":{"primaryEmail":"a@b.be","email":"x"}}`, 400, "Invalid subfield email"},
		{"invalid e-mail", "/rest/people", `{"emails":{"primaryEmail":"a@b"}}`, 400, "Invalid string value"},
		{"e-mail in the trash", "/rest/people", `{"emails":{"primaryEmail":"GONE@exemple.be"}}`, 400, "duplicate entry"},
		{"national phone, no country", "/rest/people", `{"phones":{"primaryPhoneNumber":"0470123456"}}`, 400, "phone number is invalid"},
		{"unknown country", "/rest/people", `{"phones":{"primaryPhoneNumber":"0470123456","primaryPhoneCountryCode":"Belgium"}}`, 400, "Invalid country code"},
		{"conflicting country", "/rest/people", `{"phones":{"primaryPhoneNumber":"+33142000001","primaryPhoneCountryCode":"BE"}}`, 400, "conflicting"},
		{"unknown field", "/rest/people", `{"tags":["x"]}`, 400, `have any \"tags\" field`},
		{"unknown company", "/rest/people", `{"companyId":"00000000-0000-4000-8000-000000000000"}`, 400, "foreign key"},
		{"batch not an array", "/rest/batch/people", `{"name":{"firstName":"A","lastName":"B"}}`, 400, "Body must be an array"},
		{"batch with a duplicate", "/rest/batch/people", `[{"emails":{"primaryEmail":"x@y.be"}},{"emails":{"primaryEmail":"X@y.be"}}]`, 400, "duplicate entry"},
		{"wrong key", "/rest/people", `{}`, 401, "Token invalid"},
		{"valid", "/rest/batch/people", `[{"name":{"firstName":"A","lastName":"B"},"emails":{"primaryEmail":"ok@exemple.be"},"phones":{"primaryPhoneNumber":"0470123456","primaryPhoneCountryCode":"BE","additionalPhones":[{"number":"+33142000001"}]}}]`, 201, `"primaryPhoneNumber":"470123456"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := twentyKey
			if tt.status == 401 {
				key = "wrong"
			}
			status, body := post(tt.path, tt.body, key)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("HTTP %d %s; want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
	if n := len(tw.livePeople()); n != 1 {
		t.Errorf("the refused requests stored people: %d live", n)
	}
}

// TestTwentyClient: the rate limit is waited out up to a point, and
// refusals carry Twenty's messages and what to check.
func TestTwentyClient(t *testing.T) {
	tw := newTwentyStub(t, twentyKey)
	c, err := newTwentyClient(Twenty{URL: tw.URL, APIKey: twentyKey}, newHTTPClient(), 1)
	if err != nil {
		t.Fatal(err)
	}
	tw.limited = 5 // c.tries is 6: the 6th attempt gets through
	if _, err := listAll[twentyPerson](context.Background(), c, "people", false); err != nil {
		t.Errorf("5 rate-limited answers: %v", err)
	}
	tw.limited = 6
	if _, err := listAll[twentyPerson](context.Background(), c, "people", false); err == nil || !strings.Contains(err.Error(), "HTTP 429") {
		t.Errorf("6 rate-limited answers: %v", err)
	}
	tw.limited = 0
	bad, _ := newTwentyClient(Twenty{URL: tw.URL, APIKey: "wrong"}, newHTTPClient(), 1)
	if _, err := listAll[twentyPerson](context.Background(), bad, "people", false); err == nil || !strings.Contains(err.Error(), "Token invalid") || !strings.Contains(err.Error(), "TWENTY_API_KEY") {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := listAll[twentyPerson](context.Background(), c, "persons", false); err == nil || !strings.Contains(err.Error(), "object 'persons' not found") {
		t.Errorf("wrong object: %v", err)
	}
	// Pages: 450 people read in three pages of 200.
	for i := 0; i < 450; i++ {
		tw.seed(t, map[string]any{"name": map[string]any{"firstName": "P", "lastName": string(rune('a' + i%26))}}, false)
	}
	ps, err := listAll[twentyPerson](context.Background(), c, "people", false)
	if err != nil || len(ps) != 450 {
		t.Errorf("%d people, %v", len(ps), err)
	}
}
