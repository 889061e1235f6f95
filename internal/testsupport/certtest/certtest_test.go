package certtest

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

func TestIssue(t *testing.T) {
	ca := NewCA(t, "Test Root")
	leaf := ca.Issue(t, Leaf{DNSNames: []string{"a.example"}, NotAfter: time.Now().Add(48 * time.Hour)})
	opts := x509.VerifyOptions{Roots: ca.Pool(), DNSName: "a.example"}
	if _, err := leaf.Leaf.Verify(opts); err != nil {
		t.Fatalf("leaf does not verify: %v", err)
	}
	opts.DNSName = "b.example"
	if _, err := leaf.Leaf.Verify(opts); err == nil {
		t.Error("leaf verifies for a name it lacks")
	}
	opts.DNSName, opts.CurrentTime = "a.example", time.Now().Add(72*time.Hour)
	if _, err := leaf.Leaf.Verify(opts); err == nil {
		t.Error("leaf verifies after NotAfter")
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: NewCA(t, "other").Pool(), DNSName: "a.example"}); err == nil {
		t.Error("leaf verifies against another CA")
	}
	client := ca.Issue(t, Leaf{CommonName: "u", Organization: []string{"g"}, Client: true})
	if _, err := client.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client certificate: %v", err)
	}
	certPEM, keyPEM := PEMs(t, client)
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("PEMs do not load: %v", err)
	}
}
