package doctor

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
)

// checkMTASTS fetches the MTA-STS policy (RFC 8461) when the stack
// publishes one (a _mta-sts TXT among dns_records) and checks it: served
// over HTTPS at mta-sts.<root> with a valid certificate, as text/plain,
// version STSv1, mail_host among its mx, and its id (the first 20 hex
// digits of the body's SHA-256, as modules/apps/mailu computes it) the one
// of the TXT record, so that senders fetch the policy they are told of.
func (r *runner) checkMTASTS(ctx context.Context) (Check, bool) {
	e := r.o.Expect
	var want string
	for _, rec := range e.DNSRecords {
		if rec.RecordType == "TXT" && rec.DNSName == "_mta-sts."+e.RootDomain && len(rec.Targets) > 0 {
			want = rec.Targets[0]
		}
	}
	if want == "" {
		return Check{}, false
	}
	host := "mta-sts." + e.RootDomain
	ch := Check{Name: "mta-sts policy", Status: Error, Fix: "kubectl -n mailu get deploy,ingress mta-sts; kubectl -n mailu logs deploy/mta-sts"}
	addr := r.o.HTTPSAddr
	if addr == "" {
		ip, err := r.resolveOne(ctx, host)
		if err != nil {
			ch.Detail, ch.Fix = err.Error(), "see the DNS checks of "+host
			return ch, true
		}
		addr = net.JoinHostPort(ip, "443")
	}
	var certs []*x509.Certificate
	tr := &http.Transport{DialTLSContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		c, err := r.dialTLS(ctx, network, addr, host)
		if err == nil {
			certs = c.ConnectionState().PeerCertificates
		}
		return c, err
	}}
	defer tr.CloseIdleConnections()
	url := "https://" + host + "/.well-known/mta-sts.txt"
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		ch.Detail = err.Error()
		return ch, true
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		ch.Detail = fmt.Sprintf("GET %s: %v", url, err)
		return ch, true
	}
	defer resp.Body.Close()
	// Senders refuse a policy whose certificate they cannot verify.
	if cert := r.judgeCert(host, certs); cert.Status == Error {
		ch.Detail, ch.Fix = "certificate: "+cert.Detail, cert.Fix
		return ch, true
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		ch.Detail = fmt.Sprintf("read %s: %v", url, err)
		return ch, true
	}
	if resp.StatusCode != http.StatusOK {
		ch.Detail = fmt.Sprintf("GET %s: %s", url, resp.Status)
		return ch, true
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/plain" {
		ch.Detail = fmt.Sprintf("served as %q, senders want text/plain (RFC 8461 section 3.2)", resp.Header.Get("Content-Type"))
		return ch, true
	}
	fields := map[string][]string{}
	for line := range strings.SplitSeq(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[strings.TrimSpace(k)] = append(fields[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	sum := sha256.Sum256(body)
	id := hex.EncodeToString(sum[:])[:20]
	mode := strings.Join(fields["mode"], ",")
	switch {
	case strings.Join(fields["version"], ",") != "STSv1":
		ch.Detail = fmt.Sprintf("version %q, want STSv1", strings.Join(fields["version"], ","))
	case !slices.ContainsFunc(fields["mx"], func(p string) bool { return mxMatches(p, e.MailHost) }):
		ch.Detail = fmt.Sprintf("mx %s does not cover %s: senders in enforce mode would refuse to deliver", strings.Join(fields["mx"], ", "), e.MailHost)
	case want != "v=STSv1; id="+id:
		ch.Detail = fmt.Sprintf("the served policy has id %s, but the stack publishes %q: senders keep the old policy until the id changes", id, want)
		ch.Fix = "apply stacks/platform (the policy and its TXT record change together), then check again"
	case mode == "none":
		ch.Status, ch.Detail = Warning, "mode none: the policy is withdrawn, senders no longer require TLS to "+e.MailHost
	case mode == "testing":
		ch.Status, ch.Detail, ch.Fix = OK, fmt.Sprintf("mode testing, mx %s, id %s", strings.Join(fields["mx"], ", "), id), "once the TLS reports (_smtp._tls) show no failure for a few weeks, set mail_mta_sts_mode = \"enforce\""
	case mode == "enforce":
		ch.Status, ch.Detail, ch.Fix = OK, fmt.Sprintf("mode enforce, mx %s, id %s", strings.Join(fields["mx"], ", "), id), ""
	default:
		ch.Detail = fmt.Sprintf("mode %q, want testing, enforce or none", mode)
	}
	return ch, true
}

// mxMatches applies an MTA-STS mx pattern: a host name, or "*." and a
// domain for exactly one more label (RFC 8461 section 4.1).
func mxMatches(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(strings.TrimSuffix(host, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		label, domain, found := strings.Cut(host, ".")
		return found && label != "" && domain == rest
	}
	return pattern == host
}
