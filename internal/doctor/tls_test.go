package doctor

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/certtest"
)

// startTLS serves, on 127.0.0.1, the certificate of the SNI name asked for
// (fallback for any other name), closing each connection after the
// handshake.
func startTLS(t *testing.T, certs map[string]tls.Certificate, fallback tls.Certificate) string {
	t.Helper()
	cfg := &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if c, ok := certs[hi.ServerName]; ok {
			return &c, nil
		}
		return &fallback, nil
	}}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				_ = conn.(*tls.Conn).Handshake()
				// Wait for the client to hang up.
				_, _ = conn.Read(make([]byte, 1))
			}()
		}
	}()
	return l.Addr().String()
}

func TestTLS(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Test Root")
	rogue := certtest.NewCA(t, "TRAEFIK DEFAULT CERT")
	now := time.Now()
	tests := []struct {
		host string
		cert tls.Certificate
		want want
	}{
		{"fullfrontend.be", ca.Issue(t, certtest.Leaf{DNSNames: []string{"fullfrontend.be"}}), want{OK, "valid until"}},
		{"n8n.fullfrontend.be", ca.Issue(t, certtest.Leaf{DNSNames: []string{"n8n.fullfrontend.be"}, NotAfter: now.Add(10 * 24 * time.Hour)}), want{Warning, "expires in 10 days"}},
		{"cloud.fullfrontend.be", ca.Issue(t, certtest.Leaf{DNSNames: []string{"cloud.fullfrontend.be"}, NotBefore: now.AddDate(0, -3, 0), NotAfter: now.Add(-48 * time.Hour)}), want{Error, "expired on " + now.Add(-48*time.Hour).UTC().Format("2006-01-02")}},
		{"mail.fullfrontend.be", ca.Issue(t, certtest.Leaf{DNSNames: []string{"box.fullfrontend.be"}}), want{Error, "certificate is for box.fullfrontend.be, not mail.fullfrontend.be"}},
		{"registry.fullfrontend.be", rogue.Issue(t, certtest.Leaf{DNSNames: []string{"registry.fullfrontend.be"}}), want{Error, "not signed by a trusted authority (issuer TRAEFIK DEFAULT CERT)"}},
		{"grafana.fullfrontend.be", ca.Issue(t, certtest.Leaf{DNSNames: []string{"*.fullfrontend.be"}, NotAfter: now.Add(15 * 24 * time.Hour)}), want{OK, "(15 days)"}},
	}
	certs := map[string]tls.Certificate{}
	e := testExpect(t)
	e.Hosts = nil
	wants := map[string]want{}
	for _, tt := range tests {
		certs[tt.host] = tt.cert
		e.Hosts = append(e.Hosts, tt.host)
		wants["https "+tt.host] = tt.want
	}
	addr := startTLS(t, certs, ca.Issue(t, certtest.Leaf{DNSNames: []string{"default.invalid"}}))
	rep := runGroups(t, Options{Expect: e, HTTPSAddr: addr, Roots: ca.Pool(), Now: now}, GroupTLS)
	expectChecks(t, rep, []string{GroupTLS}, wants)

	t.Run("judged at --now", func(t *testing.T) {
		// The valid certificate, 80 days later, is due for a warning.
		rep := runGroups(t, Options{Expect: e, HTTPSAddr: addr, Roots: ca.Pool(), Now: now.Add(80 * 24 * time.Hour)}, GroupTLS)
		for _, c := range rep.Checks {
			if c.Name == "https fullfrontend.be" && (c.Status != Warning || !strings.Contains(c.Detail, "expires in 10 days")) {
				t.Errorf("80 days later: %+v", c)
			}
		}
	})
	t.Run("system roots do not trust the test CA", func(t *testing.T) {
		one := e
		one.Hosts = []string{"fullfrontend.be"}
		rep := runGroups(t, Options{Expect: one, HTTPSAddr: addr, Now: now}, GroupTLS)
		expectChecks(t, rep, []string{GroupTLS}, map[string]want{"https fullfrontend.be": {Error, "not signed by a trusted authority"}})
	})
	t.Run("nothing listens", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := l.Addr().String()
		l.Close()
		one := e
		one.Hosts = []string{"fullfrontend.be"}
		rep := runGroups(t, Options{Expect: one, HTTPSAddr: closed, Roots: ca.Pool(), Now: now}, GroupTLS)
		expectChecks(t, rep, []string{GroupTLS}, map[string]want{"https fullfrontend.be": {Error, "connection refused"}})
	})
}
