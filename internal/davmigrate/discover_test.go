package davmigrate

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nextcloudFake answers PROPFIND like Mail-in-a-Box's Nextcloud (under
// /cloud/) from testdata/nextcloud, with Mail-in-a-Box's well-known
// redirect; a stand-in for the layout, not for Nextcloud's behaviour.
func nextcloudFake(t *testing.T) string {
	t.Helper()
	files := map[string]string{
		"/cloud/remote.php/dav/":                                     "root.xml",
		"/cloud/remote.php/dav/principals/users/alice@example.be/":   "principal.xml",
		"/cloud/remote.php/dav/addressbooks/users/alice@example.be/": "addressbooks.xml",
		"/cloud/remote.php/dav/calendars/alice@example.be/":          "calendars.xml",
	}
	return newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice@example.be" || p != "app-password" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/.well-known/carddav" || r.URL.Path == "/.well-known/caldav" {
			http.Redirect(w, r, "/cloud/remote.php/dav/", http.StatusFound)
			return
		}
		f, ok := files[r.URL.Path]
		if r.Method != "PROPFIND" || !ok {
			http.NotFound(w, r)
			return
		}
		// The principal is found on the root, the home sets on the
		// principal: one depth each.
		if want := map[bool]string{true: "1", false: "0"}[strings.HasSuffix(f, "s.xml")]; r.Header.Get("Depth") != want {
			http.Error(w, "unexpected depth", http.StatusBadRequest)
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", "nextcloud", f))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		_, _ = w.Write(b)
	}))
}

func TestDiscoverNextcloudLayout(t *testing.T) {
	base := nextcloudFake(t)
	for _, c := range []struct {
		name, url, password string
		wantErr             string
	}{
		{"DAV root", base + "cloud/remote.php/dav/", "app-password", ""},
		{"box root, through the well-known redirect", base, "app-password", ""},
		{"wrong app password", base + "cloud/remote.php/dav/", "wrong", "HTTP 401"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, err := parseEndpoint("source", Endpoint{URL: c.url, User: "alice@example.be"})
			if err != nil {
				t.Fatal(err)
			}
			cl := newClient("source", Endpoint{URL: c.url, User: "alice@example.be", Password: c.password}, nil, true)
			acc, err := discover(t.Context(), cl, root)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := acc.homes[AddressBook].EscapedPath(); got != "/cloud/remote.php/dav/addressbooks/users/alice%40example.be/" {
				t.Errorf("address book home %s", got)
			}
			if got := acc.homes[Calendar].EscapedPath(); got != "/cloud/remote.php/dav/calendars/alice%40example.be/" {
				t.Errorf("calendar home %s", got)
			}
			var got []string
			for _, col := range acc.colls {
				got = append(got, string(col.kind)+" "+col.name+" "+col.displayName+" "+col.color+" "+strings.Join(col.components, ","))
			}
			want := []string{"addressbook contacts Contacts  ", "calendar personal Personal #0082c9 VEVENT,VTODO"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("collections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			skipped := map[string]string{}
			for _, s := range acc.skipped {
				skipped[s.Name] = s.Reason
			}
			for name, reason := range map[string]string{
				"z-server-generated--system":                   "generated",
				"z-app-generated--contactsinteraction--recent": "generated",
				"clients_shared_by_bob@example.be":             "shared by principals/users/bob@example.be",
				"contact_birthdays":                            "generated",
				"app-generated--deck--board-1":                 "generated",
				"team_shared_by_bob@example.be":                "shared by",
				"holidays":                                     "subscription to https://calendar.example.org/be-holidays.ics",
			} {
				if !strings.Contains(skipped[name], reason) {
					t.Errorf("%s skipped for %q, want %q", name, skipped[name], reason)
				}
			}
			if len(acc.skipped) != 7 {
				t.Errorf("%d skipped, want 7 (inbox, outbox and trash bin are not collections of data): %+v", len(acc.skipped), acc.skipped)
			}
			// A collection made on such a target keeps the escaping.
			if got := member(acc.homes[Calendar], "travail été", true).EscapedPath(); got != "/cloud/remote.php/dav/calendars/alice%40example.be/travail%20%C3%A9t%C3%A9/" {
				t.Errorf("new collection URL %s", got)
			}
		})
	}
}
