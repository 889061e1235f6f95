package davmigrate

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// XML namespaces of the properties the migration reads and writes.
const (
	nsDAV     = "DAV:"
	nsCalDAV  = "urn:ietf:params:xml:ns:caldav"
	nsCardDAV = "urn:ietf:params:xml:ns:carddav"
	nsApple   = "http://apple.com/ns/ical/"
	nsCS      = "http://calendarserver.org/ns/"
	nsOC      = "http://owncloud.org/ns"
)

// maxBody bounds what one response may hold: a multiget of a batch of
// vCards with photos is a few MiB, nothing legitimate comes near this.
const maxBody = 256 << 20

// client speaks the little WebDAV the migration needs to one account.
type client struct {
	name       string // "source" or "target", for errors
	user, pass string
	hc         *http.Client
	// readOnly refuses every method that writes, so that no bug can
	// change the source account.
	readOnly bool
	// retries on transient failures (network, 429, 502-504).
	attempts int
	backoff  time.Duration
}

func newClient(name string, e Endpoint, hc *http.Client, readOnly bool) *client {
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	// Redirects are followed by do, which keeps the method and body
	// (net/http turns a redirected PROPFIND into a GET) and the
	// credentials only on the same host.
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{name: name, user: e.User, pass: e.Password, hc: &own, readOnly: readOnly, attempts: 3, backoff: 500 * time.Millisecond}
}

// response is one HTTP answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL // after redirects
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// httpError describes an unexpected status with the start of the body,
// where servers such as Nextcloud say what they refused.
func (c *client) httpError(method string, u *url.URL, r *response) error {
	msg := strings.TrimSpace(string(r.body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg != "" {
		msg = ": " + msg
	}
	return &statusError{Status: r.status, err: fmt.Errorf("%s %s %s: HTTP %d%s", c.name, method, u.Redacted(), r.status, msg)}
}

type statusError struct {
	Status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }

func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

var writeMethods = map[string]bool{"PUT": true, "DELETE": true, "MKCOL": true, "MKCALENDAR": true, "PROPPATCH": true, "MOVE": true, "COPY": true, "POST": true}

// do sends one request, follows same-host redirects and retries
// transient failures. The body is read whole.
func (c *client) do(ctx context.Context, method string, u *url.URL, header map[string]string, body []byte) (*response, error) {
	if c.readOnly && writeMethods[method] {
		return nil, fmt.Errorf("%s is read-only: refusing %s %s", c.name, method, u.Redacted())
	}
	var lastErr error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(c.backoff * time.Duration(attempt-1)):
			}
		}
		r, err := c.once(ctx, method, u, header, body)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			lastErr = err
			continue
		}
		switch r.status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			lastErr = c.httpError(method, u, r)
			continue
		}
		return r, nil
	}
	return nil, lastErr
}

func (c *client) once(ctx context.Context, method string, u *url.URL, header map[string]string, body []byte) (*response, error) {
	cur := u
	for hops := 0; ; hops++ {
		req, err := http.NewRequestWithContext(ctx, method, cur.String(), bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: %w", c.name, method, cur.Redacted(), err)
		}
		req.SetBasicAuth(c.user, c.pass)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: %w", c.name, method, cur.Redacted(), err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: read body: %w", c.name, method, cur.Redacted(), err)
		}
		if len(data) > maxBody {
			return nil, fmt.Errorf("%s %s %s: response larger than %d bytes", c.name, method, cur.Redacted(), maxBody)
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc, err := cur.Parse(resp.Header.Get("Location"))
			if err != nil || resp.Header.Get("Location") == "" {
				return nil, fmt.Errorf("%s %s %s: redirect without a usable Location", c.name, method, cur.Redacted())
			}
			if loc.Host != cur.Host || hops >= 5 {
				return nil, fmt.Errorf("%s %s %s: redirect to %s not followed (other host or too many hops)", c.name, method, cur.Redacted(), loc.Redacted())
			}
			cur = loc
			continue
		}
		return &response{status: resp.StatusCode, header: resp.Header, body: data, url: cur}, nil
	}
}

// elem is any XML element, kept as a tree: WebDAV properties are
// open-ended and each server adds its own.
type elem struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []elem     `xml:",any"`
}

func (e *elem) child(space, local string) *elem {
	for i := range e.Children {
		if e.Children[i].XMLName.Space == space && e.Children[i].XMLName.Local == local {
			return &e.Children[i]
		}
	}
	return nil
}

func (e *elem) has(space, local string) bool { return e.child(space, local) != nil }

// hrefs are the DAV:href children, as used by current-user-principal and
// the home sets.
func (e *elem) hrefs() []string {
	var out []string
	for _, c := range e.Children {
		if c.XMLName.Space == nsDAV && c.XMLName.Local == "href" {
			out = append(out, strings.TrimSpace(c.Text))
		}
	}
	return out
}

type multistatus struct {
	XMLName   xml.Name `xml:"DAV: multistatus"`
	Responses []struct {
		Hrefs     []string `xml:"DAV: href"`
		Status    string   `xml:"DAV: status"`
		Propstats []struct {
			Prop   elem   `xml:"DAV: prop"`
			Status string `xml:"DAV: status"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// resource is one response of a multistatus: its URL and the properties
// the server returned with 200.
type resource struct {
	url    *url.URL
	status int // of the response itself when it has no propstat (404 in a multiget)
	props  map[xml.Name]*elem
}

func (r *resource) prop(space, local string) *elem {
	return r.props[xml.Name{Space: space, Local: local}]
}

func (r *resource) text(space, local string) string {
	if p := r.prop(space, local); p != nil {
		return strings.TrimSpace(p.Text)
	}
	return ""
}

func parseStatus(s string) int {
	// "HTTP/1.1 200 OK"
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	var n int
	fmt.Sscanf(f[1], "%d", &n)
	return n
}

// parseMultistatus reads a 207 body; hrefs are resolved against base.
func parseMultistatus(base *url.URL, body []byte) ([]resource, error) {
	var ms multistatus
	if err := xml.Unmarshal(body, &ms); err != nil {
		return nil, fmt.Errorf("parse multistatus: %w", err)
	}
	var out []resource
	for _, r := range ms.Responses {
		for _, h := range r.Hrefs {
			u, err := base.Parse(strings.TrimSpace(h))
			if err != nil {
				return nil, fmt.Errorf("parse href %q: %w", h, err)
			}
			res := resource{url: u, status: parseStatus(r.Status), props: map[xml.Name]*elem{}}
			for i := range r.Propstats {
				ps := &r.Propstats[i]
				if st := parseStatus(ps.Status); st < 200 || st > 299 {
					continue
				}
				for j := range ps.Prop.Children {
					p := &ps.Prop.Children[j]
					res.props[p.XMLName] = p
				}
			}
			if len(r.Propstats) > 0 && res.status == 0 {
				res.status = 200
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// propfind asks for props (namespace, local name pairs) at depth 0 or 1.
func (c *client) propfind(ctx context.Context, u *url.URL, depth string, props ...xml.Name) ([]resource, error) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>`)
	for _, p := range props {
		fmt.Fprintf(&b, `<x:%s xmlns:x="%s"/>`, p.Local, p.Space)
	}
	b.WriteString(`</D:prop></D:propfind>`)
	r, err := c.do(ctx, "PROPFIND", u, map[string]string{"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}, []byte(b.String()))
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusMultiStatus {
		return nil, c.httpError("PROPFIND", u, r)
	}
	res, err := parseMultistatus(r.url, r.body)
	if err != nil {
		return nil, fmt.Errorf("%s PROPFIND %s: %w", c.name, u.Redacted(), err)
	}
	return res, nil
}

// multiget fetches the data of the given members of a collection in one
// REPORT (addressbook-multiget or calendar-multiget).
func (c *client) multiget(ctx context.Context, coll *url.URL, k Kind, hrefs []*url.URL) ([]resource, error) {
	ns, report, data := nsCardDAV, "addressbook-multiget", "address-data"
	if k == Calendar {
		ns, report, data = nsCalDAV, "calendar-multiget", "calendar-data"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><X:%s xmlns:D="DAV:" xmlns:X="%s"><D:prop><D:getetag/><X:%s/></D:prop>`, report, ns, data)
	for _, h := range hrefs {
		b.WriteString("<D:href>")
		xml.EscapeText(&b, []byte(h.EscapedPath()))
		b.WriteString("</D:href>")
	}
	fmt.Fprintf(&b, `</X:%s>`, report)
	r, err := c.do(ctx, "REPORT", coll, map[string]string{"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}, []byte(b.String()))
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusMultiStatus {
		return nil, c.httpError("REPORT", coll, r)
	}
	res, err := parseMultistatus(r.url, r.body)
	if err != nil {
		return nil, fmt.Errorf("%s REPORT %s: %w", c.name, coll.Redacted(), err)
	}
	return res, nil
}

// put stores one object. ifNoneMatch creates only; ifMatch replaces only
// that version. It returns the new ETag when the server tells it (servers
// that rewrite what they store, as Nextcloud may, send none).
func (c *client) put(ctx context.Context, u *url.URL, k Kind, body []byte, ifMatch string) (etag string, err error) {
	h := map[string]string{"Content-Type": k.contentType()}
	if ifMatch == "" {
		h["If-None-Match"] = "*"
	} else {
		h["If-Match"] = ifMatch
	}
	r, err := c.do(ctx, "PUT", u, h, body)
	if err != nil {
		return "", err
	}
	if !r.ok() {
		return "", c.httpError("PUT", u, r)
	}
	return r.header.Get("ETag"), nil
}

// sameResource tells whether two URLs name the same resource, whatever
// the escaping and the trailing slash.
func sameResource(a, b *url.URL) bool {
	return a.Host == b.Host && strings.TrimSuffix(a.Path, "/") == strings.TrimSuffix(b.Path, "/")
}

// member is the URL of a member called name in collection coll.
func member(coll *url.URL, name string, isColl bool) *url.URL {
	u := *coll
	esc := strings.TrimSuffix(coll.EscapedPath(), "/") + "/" + url.PathEscape(name)
	p := strings.TrimSuffix(coll.Path, "/") + "/" + name
	if isColl {
		esc += "/"
		p += "/"
	}
	u.Path, u.RawPath = p, esc
	u.RawQuery, u.Fragment = "", ""
	return &u
}

// baseName is the last segment of a URL's path, unescaped.
func baseName(u *url.URL) string {
	return path.Base(strings.TrimSuffix(u.Path, "/"))
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
