package doctor

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/certtest"
)

func TestMTASTS(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Test Root")
	other := certtest.NewCA(t, "Somebody Else")
	const policy = "version: STSv1\r\nmode: testing\r\nmx: mail.fullfrontend.be\r\nmax_age: 604800\r\n"
	idOf := func(body string) string {
		sum := sha256.Sum256([]byte(body))
		return "v=STSv1; id=" + hex.EncodeToString(sum[:])[:20]
	}
	tests := []struct {
		name        string
		body, ctype string
		status      int
		txt         string // the _mta-sts TXT the stack publishes; "" = the body's
		untrusted   bool
		want        want
	}{
		{name: "testing", body: policy, want: want{OK, "mode testing, mx mail.fullfrontend.be"}},
		{name: "enforce with a wildcard", body: strings.Replace(strings.Replace(policy, "testing", "enforce", 1), "mx: mail.", "mx: *.", 1), want: want{OK, "mode enforce, mx *.fullfrontend.be"}},
		{name: "withdrawn", body: strings.Replace(policy, "testing", "none", 1), want: want{Warning, "mode none"}},
		{name: "stale policy", body: policy, txt: "v=STSv1; id=00000000000000000000", want: want{Error, "senders keep the old policy"}},
		{name: "policy for the box", body: strings.Replace(policy, "mail.", "box.", 1), want: want{Error, "mx box.fullfrontend.be does not cover mail.fullfrontend.be"}},
		{name: "served as HTML", body: policy, ctype: "text/html", want: want{Error, "want text/plain"}},
		{name: "not found", body: "404 page not found\n", status: http.StatusNotFound, want: want{Error, "404 Not Found"}},
		{name: "Traefik's default certificate", body: policy, untrusted: true, want: want{Error, "certificate: not signed by a trusted authority"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != "mta-sts.fullfrontend.be" {
					http.NotFound(w, r)
					return
				}
				ctype := "text/plain"
				if tt.ctype != "" {
					ctype = tt.ctype
				}
				w.Header().Set("Content-Type", ctype)
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				_, _ = w.Write([]byte(tt.body))
			}))
			issuer := ca
			if tt.untrusted {
				issuer = other
			}
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{issuer.Issue(t, certtest.Leaf{DNSNames: []string{"mta-sts.fullfrontend.be"}})}}
			srv.StartTLS()
			t.Cleanup(srv.Close)

			e := testExpect(t)
			txt := tt.txt
			if txt == "" {
				txt = idOf(tt.body)
			}
			e.DNSRecords = append(e.DNSRecords, Record{DNSName: "_mta-sts.fullfrontend.be", RecordType: "TXT", Targets: []string{txt}})
			r := &runner{o: Options{Expect: e, HTTPSAddr: srv.Listener.Addr().String(), Roots: ca.Pool(), Timeout: 5 * time.Second}, now: time.Now()}
			ch, ok := r.checkMTASTS(context.Background())
			if !ok {
				t.Fatal("no MTA-STS check although the stack publishes _mta-sts")
			}
			if ch.Status != tt.want.status || !strings.Contains(ch.Detail, tt.want.detail) {
				t.Fatalf("%s %q (fix %q), want %s %q", ch.Status, ch.Detail, ch.Fix, tt.want.status, tt.want.detail)
			}
		})
	}
	t.Run("no policy published, no check", func(t *testing.T) {
		r := &runner{o: Options{Expect: testExpect(t)}, now: time.Now()}
		if _, ok := r.checkMTASTS(context.Background()); ok {
			t.Fatal("checked a policy the stack does not publish")
		}
	})
}

func TestMXMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, host string
		want          bool
	}{
		{"mail.fullfrontend.be", "mail.fullfrontend.be", true},
		{"MAIL.fullfrontend.be", "mail.fullfrontend.be.", true},
		{"*.fullfrontend.be", "mail.fullfrontend.be", true},
		{"*.fullfrontend.be", "a.mail.fullfrontend.be", false},
		{"*.fullfrontend.be", "fullfrontend.be", false},
		{"box.fullfrontend.be", "mail.fullfrontend.be", false},
	} {
		if got := mxMatches(tt.pattern, tt.host); got != tt.want {
			t.Errorf("mxMatches(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}
