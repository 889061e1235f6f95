package davmigrate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// radicale is a real Radicale server (Debian's package) on 127.0.0.1,
// with htpasswd users and its storage in a temporary directory.
type radicale struct {
	URL   string // http://127.0.0.1:<port>/
	users map[string]string
}

func startRadicale(t *testing.T, users map[string]string) *radicale {
	t.Helper()
	bin := testenv.Tool(t, "radicale")
	dir := t.TempDir()
	var htpasswd strings.Builder
	for u, p := range users {
		fmt.Fprintf(&htpasswd, "%s:%s\n", u, p)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(htpasswd.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	// The port is picked free and then handed to Radicale: another
	// process may take it in between, so try a few.
	for range 3 {
		port := freePort(t)
		cfg := fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d
max_connections = 4
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = %s
[web]
type = none
[logging]
level = warning
`, port, filepath.Join(dir, "users"), filepath.Join(dir, fmt.Sprintf("collections-%d", port)))
		cfgPath := filepath.Join(dir, "config")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		cmd := exec.Command(bin, "--config", cfgPath)
		cmd.Env = append(withoutEnv(os.Environ(), "RADICALE_CONFIG"), "HOME="+dir)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start radicale: %v", err)
		}
		// exited is closed when the process has ended; waitErr says how.
		exited := make(chan struct{})
		var waitErr error
		go func() { waitErr = cmd.Wait(); close(exited) }()
		r := &radicale{URL: fmt.Sprintf("http://127.0.0.1:%d/", port), users: users}
		if lastErr = waitHTTP(r.URL, exited, &waitErr); lastErr == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
			})
			return r
		}
		_ = cmd.Process.Kill()
		<-exited
		lastErr = fmt.Errorf("%w\n%s", lastErr, out.String())
	}
	t.Fatalf("radicale did not start: %v", lastErr)
	return nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

func waitHTTP(u string, exited <-chan struct{}, waitErr *error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("radicale exited: %v", *waitErr)
		default:
		}
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no answer on %s within 30s", u)
}

func (r *radicale) endpoint(user string) Endpoint {
	return Endpoint{URL: r.URL, User: user, Password: r.users[user]}
}

// davReq sends one raw request, independent of the code under test.
func davReq(t *testing.T, method, u, user, pass string, header map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// seedCollection makes a collection on a server as a client would.
func (r *radicale) mkcol(t *testing.T, user string, k Kind, name, display, color string, comps ...string) {
	t.Helper()
	u := r.URL + user + "/" + url.PathEscape(name) + "/"
	var props strings.Builder
	props.WriteString("<D:displayname>" + xmlText(display) + "</D:displayname>")
	method := "MKCOL"
	var body string
	if k == Calendar {
		method = "MKCALENDAR"
		if color != "" {
			props.WriteString("<I:calendar-color>" + color + "</I:calendar-color>")
		}
		if len(comps) > 0 {
			props.WriteString("<C:supported-calendar-component-set>")
			for _, c := range comps {
				props.WriteString(`<C:comp name="` + c + `"/>`)
			}
			props.WriteString("</C:supported-calendar-component-set>")
		}
		body = `<C:mkcalendar ` + nsDecl + `><D:set><D:prop>` + props.String() + `</D:prop></D:set></C:mkcalendar>`
	} else {
		body = `<D:mkcol ` + nsDecl + `><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>` +
			props.String() + `<CR:addressbook-description>` + xmlText(display) + ` (description)</CR:addressbook-description></D:prop></D:set></D:mkcol>`
	}
	if st, _, b := davReq(t, method, u, user, r.users[user], map[string]string{"Content-Type": "application/xml"}, body); st != http.StatusCreated {
		t.Fatalf("%s %s: %d %s", method, u, st, b)
	}
}

func (r *radicale) putItem(t *testing.T, user, coll, name string, k Kind, data string) {
	t.Helper()
	u := r.URL + user + "/" + url.PathEscape(coll) + "/" + url.PathEscape(name)
	if st, _, b := davReq(t, "PUT", u, user, r.users[user], map[string]string{"Content-Type": k.contentType()}, data); st != http.StatusCreated && st != http.StatusNoContent {
		t.Fatalf("PUT %s: %d %s", u, st, b)
	}
}

func (r *radicale) getItem(t *testing.T, user, coll, name string) string {
	t.Helper()
	u := r.URL + user + "/" + url.PathEscape(coll) + "/" + url.PathEscape(name)
	st, _, b := davReq(t, "GET", u, user, r.users[user], nil, "")
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, st, b)
	}
	return b
}

func (r *radicale) deleteItem(t *testing.T, user, coll, name string) {
	t.Helper()
	u := r.URL + user + "/" + url.PathEscape(coll) + "/" + url.PathEscape(name)
	if st, _, b := davReq(t, "DELETE", u, user, r.users[user], nil, ""); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("DELETE %s: %d %s", u, st, b)
	}
}

// snapshot reads every item of every collection of a user's home, by
// PROPFIND and one GET per item: collection -> item name -> data.
func (r *radicale) snapshot(t *testing.T, user string) map[string]map[string]string {
	t.Helper()
	home := r.URL + user + "/"
	st, _, body := davReq(t, "PROPFIND", home, user, r.users[user], map[string]string{"Depth": "1"},
		`<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>`)
	if st != http.StatusMultiStatus {
		t.Fatalf("PROPFIND %s: %d %s", home, st, body)
	}
	base, _ := url.Parse(home)
	res, err := parseMultistatus(base, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, c := range res {
		if sameResource(c.url, base) {
			continue
		}
		coll := baseName(c.url)
		st, _, body := davReq(t, "PROPFIND", c.url.String(), user, r.users[user], map[string]string{"Depth": "1"},
			`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`)
		if st != http.StatusMultiStatus {
			t.Fatalf("PROPFIND %s: %d", c.url, st)
		}
		items, err := parseMultistatus(c.url, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out[coll] = map[string]string{}
		for _, it := range items {
			if sameResource(it.url, c.url) {
				continue
			}
			out[coll][baseName(it.url)] = r.getItem(t, user, coll, baseName(it.url))
		}
	}
	return out
}

// proxy sits in front of a server on 127.0.0.1, counts requests by
// method, and can answer a PUT itself without forwarding it (a target
// that silently drops an item) or call a hook after each forwarded PUT.
type proxy struct {
	URL string
	mu  sync.Mutex
	n   map[string]int
	// drop, when set, answers 201 to the PUTs it selects without
	// forwarding them.
	drop func(r *http.Request) bool
	// afterPut runs after each forwarded, successful PUT.
	afterPut func()
}

func newProxy(t *testing.T, upstream string) *proxy {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{n: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == "PUT" && resp.StatusCode < 300 {
			p.mu.Lock()
			hook := p.afterPut
			p.mu.Unlock()
			if hook != nil {
				hook()
			}
		}
		return nil
	}
	// A cancelled client makes the proxy log each aborted request.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.n[r.Method]++
		drop := p.drop
		p.mu.Unlock()
		if r.Method == "PUT" && drop != nil && drop(r) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusCreated)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	p.URL = srv
	return p
}

func (p *proxy) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.n {
		out[k] = v
	}
	return out
}

func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = map[string]int{}
}

func (p *proxy) set(drop func(*http.Request) bool, afterPut func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop, p.afterPut = drop, afterPut
}

// newLoopbackServer serves h on 127.0.0.1 only and returns its URL.
func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + l.Addr().String() + "/"
}
