package doctor

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Blocklists asked about the load balancer's IP. Spamhaus answers
// 127.255.255.x instead of a listing to queries from public resolvers.
var blocklists = []string{"zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org"}

// heloName is what the probe says in EHLO: a name that cannot belong to
// anyone (RFC 2606), so no server mistakes the probe for real mail.
const heloName = "doctor.invalid"

// mailProbe is one port of the mail checks.
type mailProbe struct {
	port     int // the port dialled
	std      int // the standard port, which names the check
	service  string
	implicit bool // TLS from the first byte (465, 993)
	imap     bool
	starttls bool // EHLO must offer STARTTLS (25, 587)
	auth     bool // EHLO over TLS must offer AUTH (465, 587)
}

func (r *runner) mailProbes() []mailProbe {
	p := r.o.MailPorts
	return []mailProbe{
		{port: orPort(p.SMTP, 25), std: 25, service: "smtp", starttls: true},
		{port: orPort(p.SMTPS, 465), std: 465, service: "smtps", implicit: true, auth: true},
		{port: orPort(p.Submission, 587), std: 587, service: "submission", starttls: true, auth: true},
		{port: orPort(p.IMAPS, 993), std: 993, service: "imaps", implicit: true, imap: true},
	}
}

func orPort(p, def int) int {
	if p > 0 {
		return p
	}
	return def
}

// checkMail checks the mail ports, reverse DNS and blocklists, when the
// stack runs mail.
func (r *runner) checkMail(ctx context.Context) []Check {
	e := r.o.Expect
	if e.MailHost == "" {
		return []Check{{Group: GroupMail, Name: "mail", Status: OK, Detail: "mail_host is empty: the stack runs no mail server, nothing to check"}}
	}
	host := r.o.MailAddr
	var hostErr error
	if host == "" {
		host, hostErr = r.resolveOne(ctx, e.MailHost)
	}
	probes := r.mailProbes()
	lbIPs, lbErr := r.loadBalancerIPs(ctx)
	out := make([]Check, len(probes)+1+len(blocklists))
	parallel(len(out), 4, func(i int) {
		switch {
		case i < len(probes):
			p := probes[i]
			name := fmt.Sprintf("port %d (%s)", p.std, p.service)
			if hostErr != nil {
				out[i] = Check{Name: name, Status: Error, Detail: hostErr.Error(), Fix: "see the DNS checks of " + e.MailHost}
				break
			}
			out[i] = r.probeMail(ctx, net.JoinHostPort(host, strconv.Itoa(p.port)), p)
			out[i].Name = name
		case i == len(probes):
			out[i] = r.checkPTR(ctx, lbIPs, lbErr)
		default:
			out[i] = r.checkBlocklist(ctx, blocklists[i-len(probes)-1], lbIPs, lbErr)
		}
		out[i].Group = GroupMail
	})
	if ch, ok := r.checkMTASTS(ctx); ok {
		ch.Group = GroupMail
		out = append(out, ch)
	}
	return out
}

// probeMail reads one port's greeting and, for SMTP, its extensions; the
// certificate met on the way (implicit TLS or STARTTLS) is judged too.
func (r *runner) probeMail(ctx context.Context, addr string, p mailProbe) Check {
	// The catalog calls the mail app mailu (modules/environment/apps.yaml).
	ns := cmp.Or(r.o.Expect.AppNamespaces["mailu"], r.o.Expect.AppNamespaces["mail"], "mailu")
	fixPort := fmt.Sprintf("the load balancer must forward port %d to the mail server: kubectl -n %s get svc,pods, kubectl -n infra get svc traefik (ports), and the DigitalOcean firewall", p.std, ns)
	fixBanner := fmt.Sprintf("something else than the mail server answers on port %d: kubectl get svc -A | grep %d", p.std, p.std)
	var conn net.Conn
	var err error
	if p.implicit {
		conn, err = r.dialTLS(ctx, "tcp", addr, r.o.Expect.MailHost)
	} else {
		ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		cancel()
	}
	if err != nil {
		return Check{Status: Error, Detail: "no answer: " + err.Error(), Fix: fixPort}
	}
	defer conn.Close()
	// One deadline for the whole conversation: a server that stalls mid-way
	// is as broken as one that does not answer.
	_ = conn.SetDeadline(time.Now().Add(r.o.Timeout))
	var notes []string
	cert := Check{Status: OK}
	if tc, ok := conn.(*tls.Conn); ok {
		cert = r.judgeCert(r.o.Expect.MailHost, tc.ConnectionState().PeerCertificates)
	}
	tp := textproto.NewConn(conn)
	if p.imap {
		line, err := tp.ReadLine()
		if err != nil {
			return Check{Status: Error, Detail: "no IMAP greeting: " + err.Error(), Fix: fixBanner}
		}
		if !strings.HasPrefix(line, "* OK") {
			return Check{Status: Error, Detail: fmt.Sprintf("greeting %q instead of \"* OK\"", clip(line)), Fix: fixBanner}
		}
		_ = tp.PrintfLine("a1 LOGOUT")
		return withCert(cert, fmt.Sprintf("%q", clip(line)))
	}
	_, banner, err := tp.ReadResponse(220)
	if err != nil {
		return Check{Status: Error, Detail: "no SMTP 220 greeting: " + describeSMTPErr(err), Fix: fixBanner}
	}
	first, _, _ := strings.Cut(banner, "\n")
	notes = append(notes, fmt.Sprintf("220 %s", clip(first)))
	exts, err := ehlo(tp)
	if err != nil {
		return Check{Status: Error, Detail: "EHLO refused: " + describeSMTPErr(err), Fix: fixBanner}
	}
	var warnings []string
	if greeter := strings.ToLower(strings.Fields(first + " ")[0]); p.std == 25 && greeter != r.o.Expect.MailHost {
		warnings = append(warnings, fmt.Sprintf("greets as %q, not %s (some receivers compare the two)", greeter, r.o.Expect.MailHost))
	}
	if p.starttls {
		if !slices.Contains(exts, "STARTTLS") {
			return Check{Status: Error, Detail: strings.Join(notes, "; ") + "; STARTTLS not offered: mail would travel in clear text", Fix: "enable TLS on the mail server's port " + strconv.Itoa(p.std) + " (Mailu: TLS_FLAVOR and its certificate)"}
		}
		if err := tp.PrintfLine("STARTTLS"); err != nil {
			return Check{Status: Error, Detail: "STARTTLS: " + err.Error(), Fix: fixBanner}
		}
		if _, _, err := tp.ReadResponse(220); err != nil {
			return Check{Status: Error, Detail: "STARTTLS refused: " + describeSMTPErr(err), Fix: fixBanner}
		}
		tc := tls.Client(conn, r.tlsConfig(r.o.Expect.MailHost))
		if err := tc.HandshakeContext(ctx); err != nil {
			return Check{Status: Error, Detail: "STARTTLS handshake: " + err.Error(), Fix: fixCertificate}
		}
		cert = r.judgeCert(r.o.Expect.MailHost, tc.ConnectionState().PeerCertificates)
		notes = append(notes, "STARTTLS")
		tp = textproto.NewConn(tc)
		if exts, err = ehlo(tp); err != nil {
			return Check{Status: Error, Detail: "EHLO after STARTTLS refused: " + describeSMTPErr(err), Fix: fixBanner}
		}
	}
	if p.auth && !slices.ContainsFunc(exts, func(x string) bool { return x == "AUTH" || strings.HasPrefix(x, "AUTH ") }) {
		warnings = append(warnings, "AUTH not offered over TLS: mail clients cannot log in to send")
	}
	_ = tp.PrintfLine("QUIT")
	ch := withCert(cert, strings.Join(notes, "; "))
	if len(warnings) > 0 && ch.Status == OK {
		ch.Status = Warning
		ch.Detail += "; " + strings.Join(warnings, "; ")
		ch.Fix = "check the mail server's hostname and submission settings (Mailu: HOSTNAMES, its front Service)"
	}
	return ch
}

// ehlo sends EHLO and returns the extension keywords (upper case, with
// their parameters).
func ehlo(tp *textproto.Conn) ([]string, error) {
	if err := tp.PrintfLine("EHLO %s", heloName); err != nil {
		return nil, err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(msg, "\n")
	var exts []string
	for _, l := range lines[1:] {
		exts = append(exts, strings.ToUpper(strings.TrimSpace(l)))
	}
	return exts, nil
}

// withCert merges a port's notes with the judgement of its certificate.
func withCert(cert Check, notes string) Check {
	if cert.Status == OK {
		d := notes
		if cert.Detail != "" {
			d += "; certificate " + cert.Detail
		}
		return Check{Status: OK, Detail: d}
	}
	return Check{Status: cert.Status, Detail: notes + "; certificate " + cert.Detail, Fix: cert.Fix}
}

func describeSMTPErr(err error) string {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return fmt.Sprintf("answered %d %s", pe.Code, clip(pe.Msg))
	}
	return err.Error()
}

// clip keeps a server's text short and on one line.
func clip(s string) string {
	s = oneLine(s)
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// checkPTR checks that the load balancer's IP resolves back to mail_host.
// Outgoing mail through a relay (an include: in the SPF record) does not
// depend on it, hence only a warning then.
func (r *runner) checkPTR(ctx context.Context, lbIPs []string, lbErr error) Check {
	e := r.o.Expect
	name := "reverse DNS"
	if lbErr != nil {
		return Check{Name: name, Status: Error, Detail: "load balancer address unknown: " + lbErr.Error(), Fix: "see the DNS check of " + e.LoadBalancerHostname}
	}
	ip := lbIPs[0]
	name = "reverse DNS " + ip
	arpa, err := dns.ReverseAddr(ip)
	if err != nil {
		return Check{Name: name, Status: Error, Detail: err.Error()}
	}
	status, why := Error, ""
	if r.relayed() {
		status, why = Warning, " (outgoing mail goes through the SPF relay, so only direct delivery would suffer)"
	}
	fix := fmt.Sprintf("set the reverse DNS of %s to %s: DigitalOcean derives it from the resource's name (ask its support for a load balancer IP), or keep sending through the relay", ip, e.MailHost)
	res, err := r.recursive()
	if err != nil {
		return Check{Name: name, Status: Error, Detail: err.Error(), Fix: "give --resolver host:port"}
	}
	got, err := r.dns.values(ctx, res, arpa, dns.TypePTR, true)
	switch {
	case err != nil:
		return Check{Name: name, Status: Warning, Detail: "could not ask: " + err.Error(), Fix: "check --resolver, or the network"}
	case len(got) == 0:
		return Check{Name: name, Status: status, Detail: "no PTR record" + why, Fix: fix}
	case !slices.Contains(got, e.MailHost):
		return Check{Name: name, Status: status, Detail: fmt.Sprintf("PTR is %s, not %s%s", strings.Join(got, ", "), e.MailHost, why), Fix: fix}
	}
	return Check{Name: name, Status: OK, Detail: "PTR " + e.MailHost}
}

// relayed reports whether the SPF record sends outgoing mail through a
// relay (an include: mechanism).
func (r *runner) relayed() bool {
	for _, rec := range r.o.Expect.DNSRecords {
		if rec.RecordType != "TXT" || rec.DNSName != r.o.Expect.RootDomain {
			continue
		}
		for _, t := range rec.Targets {
			if txtKind(t) == "spf1" && strings.Contains(t, " include:") {
				return true
			}
		}
	}
	return false
}

// checkBlocklist asks one DNS blocklist about the load balancer's IP.
func (r *runner) checkBlocklist(ctx context.Context, zone string, lbIPs []string, lbErr error) Check {
	name := "blocklist " + zone
	if lbErr != nil {
		return Check{Name: name, Status: Error, Detail: "load balancer address unknown: " + lbErr.Error(), Fix: "see the DNS check of " + r.o.Expect.LoadBalancerHostname}
	}
	ip := net.ParseIP(lbIPs[0]).To4()
	if ip == nil {
		return Check{Name: name, Status: Warning, Detail: lbIPs[0] + " is not IPv4: not checked"}
	}
	q := fmt.Sprintf("%d.%d.%d.%d.%s", ip[3], ip[2], ip[1], ip[0], zone)
	res, err := r.recursive()
	if err != nil {
		return Check{Name: name, Status: Error, Detail: err.Error(), Fix: "give --resolver host:port"}
	}
	got, err := r.dns.values(ctx, res, q, dns.TypeA, true)
	fixResolver := "ask through a resolver of your own (--resolver; blocklists refuse the big public resolvers), or look the IP up on the list's web site"
	switch {
	case err != nil:
		return Check{Name: name, Status: Warning, Detail: "could not ask: " + err.Error(), Fix: fixResolver}
	case len(got) == 0:
		return Check{Name: name, Status: OK, Detail: ip.String() + " not listed"}
	}
	var listed, refused, odd []string
	for _, a := range got {
		switch {
		case strings.HasPrefix(a, "127.255.255."):
			refused = append(refused, a)
		case strings.HasPrefix(a, "127."):
			listed = append(listed, a)
		default:
			odd = append(odd, a)
		}
	}
	switch {
	case len(listed) > 0:
		return Check{Name: name, Status: Error, Detail: fmt.Sprintf("%s is listed (answer %s)", ip, strings.Join(listed, ", ")),
			Fix: "find what sent spam (mail server logs, an open form), stop it, then ask " + zone + " for delisting on its web site"}
	case len(refused) > 0:
		return Check{Name: name, Status: Warning, Detail: fmt.Sprintf("unknown: the list refused the query (answer %s: public or unregistered resolver)", strings.Join(refused, ", ")), Fix: fixResolver}
	default:
		return Check{Name: name, Status: Warning, Detail: fmt.Sprintf("unexpected answer %s (a resolver that rewrites missing names?)", strings.Join(odd, ", ")), Fix: fixResolver}
	}
}
