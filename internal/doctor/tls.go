package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// renewalWarning is how close to expiry a certificate becomes a warning.
// cert-manager renews 30 days ahead, so 14 days left means renewal has been
// failing for two weeks.
const renewalWarning = 14 * 24 * time.Hour

const fixCertificate = "cert-manager issues it: read kubectl get certificate -A, kubectl describe certificaterequest -A and kubectl -n infra logs deploy/cert-manager (a Let's Encrypt challenge needs the host's DNS to point to the load balancer)"

// checkTLS connects to every host and judges the certificate it serves.
func (r *runner) checkTLS(ctx context.Context) []Check {
	hosts := r.o.Expect.Hosts
	out := make([]Check, len(hosts))
	parallel(len(hosts), 4, func(i int) {
		out[i] = r.checkHostCert(ctx, hosts[i])
		out[i].Group = GroupTLS
	})
	if len(hosts) == 0 {
		out = append(out, Check{Group: GroupTLS, Name: "hosts", Status: Warning, Detail: "hosts is empty in doctor.json: nothing to check", Fix: regenerate})
	}
	return out
}

func (r *runner) checkHostCert(ctx context.Context, host string) Check {
	name := "https " + host
	addr := r.o.HTTPSAddr
	if addr == "" {
		ip, err := r.resolveOne(ctx, host)
		if err != nil {
			return Check{Name: name, Status: Error, Detail: err.Error(), Fix: "see the DNS checks of " + host}
		}
		addr = net.JoinHostPort(ip, "443")
	}
	conn, err := r.dialTLS(ctx, "tcp", addr, host)
	if err != nil {
		return Check{Name: name, Status: Error, Detail: err.Error(), Fix: "check that Traefik answers on 443: kubectl -n infra get svc traefik, kubectl -n infra logs deploy/traefik"}
	}
	state := conn.ConnectionState()
	conn.Close()
	ch := r.judgeCert(host, state.PeerCertificates)
	ch.Name = name
	return ch
}

// resolveOne returns the first IPv4 address of host at the resolver.
func (r *runner) resolveOne(ctx context.Context, host string) (string, error) {
	res, err := r.recursive()
	if err != nil {
		return "", err
	}
	ips, err := r.dns.addresses(ctx, res, host, true, res)
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("%s has no A record at the resolver", host)
	}
	return ips[0], nil
}

// dialTLS opens a TLS connection without verifying it: judgeCert verifies
// the chain afterwards at r.now, so that a bad certificate is reported with
// its dates and names instead of ending the handshake.
func (r *runner) dialTLS(ctx context.Context, network, addr, serverName string) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: r.tlsConfig(serverName)}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("TLS to %s (%s): %w", addr, serverName, err)
	}
	c := conn.(*tls.Conn)
	// Later reads (banners) get their own deadlines.
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

func (r *runner) tlsConfig(serverName string) *tls.Config {
	return &tls.Config{
		ServerName: serverName,
		MinVersion: tls.VersionTLS12,
		// Verified by judgeCert, against r.o.Roots and at r.now.
		InsecureSkipVerify: true, //nolint:gosec
	}
}

// judgeCert verifies a served chain for host: trusted, for that name, and
// not about to expire.
func (r *runner) judgeCert(host string, certs []*x509.Certificate) Check {
	if len(certs) == 0 {
		return Check{Status: Error, Detail: "no certificate served", Fix: fixCertificate}
	}
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: r.o.Roots, Intermediates: inter, CurrentTime: r.now})
	if err != nil {
		return Check{Status: Error, Detail: explainCert(err, leaf, r.now), Fix: fixCertificate}
	}
	left := leaf.NotAfter.Sub(r.now)
	until := leaf.NotAfter.UTC().Format("2006-01-02")
	if left < renewalWarning {
		return Check{Status: Warning, Detail: fmt.Sprintf("expires in %d days (%s): renewal is late", days(left), until), Fix: fixCertificate}
	}
	return Check{Status: OK, Detail: fmt.Sprintf("valid until %s (%d days), issued by %s", until, days(left), issuer(leaf))}
}

// explainCert says in operator words why a chain failed.
func explainCert(err error, leaf *x509.Certificate, now time.Time) string {
	var inv x509.CertificateInvalidError
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		if now.After(leaf.NotAfter) {
			return fmt.Sprintf("expired on %s", leaf.NotAfter.UTC().Format("2006-01-02"))
		}
		if now.Before(leaf.NotBefore) {
			return fmt.Sprintf("not valid before %s", leaf.NotBefore.UTC().Format("2006-01-02 15:04"))
		}
		return "a certificate of the chain has expired: " + inv.Error()
	case errors.As(err, &host):
		names := leaf.DNSNames
		if len(names) == 0 {
			names = []string{leaf.Subject.CommonName}
		}
		return fmt.Sprintf("certificate is for %s, not %s", strings.Join(names, ", "), host.Host)
	case errors.As(err, &unknown):
		return fmt.Sprintf("not signed by a trusted authority (issuer %s): a self-signed, default or staging certificate", issuer(leaf))
	default:
		return "invalid certificate: " + err.Error()
	}
}

func issuer(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	if len(c.Issuer.Organization) > 0 {
		return c.Issuer.Organization[0]
	}
	return c.Issuer.String()
}

// days rounds a duration to whole days.
func days(d time.Duration) int { return int((d + 12*time.Hour) / (24 * time.Hour)) }
