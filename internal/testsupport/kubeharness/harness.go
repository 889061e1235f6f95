// Package kubeharness starts a real etcd and a real kube-apiserver on
// 127.0.0.1 for tests, so that manifests are validated, defaulted and
// admitted by the same code as on the real cluster.
//
// By default there is no controller-manager, scheduler or kubelet: nothing
// reconciles and pods never run, and what the harness proves is that the API
// server accepts an object (schema, types, unknown fields, cross-field
// rules). WithNodes adds the rest of a cluster that schedules (local.go):
// controllers, scheduler, and kwok nodes on which scheduled pods are marked
// Ready, without any container.
//
// A cluster costs about twenty seconds to start, so a package should start
// one and share it between subtests.
package kubeharness

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/testenv"
	"sigs.k8s.io/yaml"
)

// Defaults for Start; see the Options to change them.
const (
	defaultStartTimeout = 90 * time.Second
	adminUser           = "kubeharness-admin"
	// The serving certificate kube-apiserver writes into --cert-dir: the
	// leaf followed by the CA that signed it.
	servingCertName = "apiserver.crt"
)

// Cluster is a running etcd and kube-apiserver pair. Its methods are safe for
// concurrent use by parallel subtests.
type Cluster struct {
	url        string
	kubeconfig string
	client     *http.Client

	mu        sync.Mutex
	discovery map[string]map[string]resourceInfo // apiVersion -> kind -> resource
}

// Option changes how Start runs the cluster.
type Option func(*config)

type config struct {
	startTimeout  time.Duration
	apiServerArgs []string
	etcdArgs      []string
	nodes         *NodePool
	loadBalancers bool
}

// WithStartTimeout bounds how long Start waits for kube-apiserver to report
// ready (default 90 s, enough for a loaded two-core machine).
func WithStartTimeout(d time.Duration) Option {
	return func(c *config) { c.startTimeout = d }
}

// noWebhooks are the admission plugins the harness always turns off.
const noWebhooks = "ValidatingAdmissionWebhook,MutatingAdmissionWebhook"

// WithAPIServerArgs appends flags to kube-apiserver's command line; a later
// flag wins over the harness's own, e.g. WithoutAdmission("ServiceAccount")
// to create Pods in namespaces that have no ServiceAccount (no controller
// creates "default" here).
func WithAPIServerArgs(args ...string) Option {
	return func(c *config) { c.apiServerArgs = append(c.apiServerArgs, args...) }
}

// WithoutAdmission turns off these admission plugins besides the webhooks.
func WithoutAdmission(plugins ...string) Option {
	return WithAPIServerArgs("--disable-admission-plugins=" + strings.Join(append(plugins, noWebhooks), ","))
}

// WithEtcdArgs appends flags to etcd's command line.
func WithEtcdArgs(args ...string) Option {
	return func(c *config) { c.etcdArgs = append(c.etcdArgs, args...) }
}

// Start runs etcd and kube-apiserver in a temporary directory and returns
// once /readyz answers ok. Both processes are stopped by t.Cleanup, and their
// log tails are printed if the test failed.
//
// A missing binary skips the test with a hint to run `make tools`, except
// when CI=true, where it fails the test: CI must never pass by skipping.
func Start(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	cfg := config{startTimeout: defaultStartTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	etcdBin := testenv.Tool(t, "etcd")
	apiBin := testenv.Tool(t, "kube-apiserver")

	dir := t.TempDir()
	began := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), cfg.startTimeout)
	defer cancel()

	etcd, etcdURL, err := startEtcd(ctx, etcdBin, dir, cfg.etcdArgs)
	if etcd != nil {
		registerStop(t, etcd)
	}
	if err != nil {
		t.Fatalf("kubeharness: %v", err)
	}
	etcdReady := time.Since(began)

	files, err := writeAPIServerFiles(dir)
	if err != nil {
		t.Fatalf("kubeharness: %v", err)
	}
	api, c, err := startAPIServer(ctx, apiBin, dir, etcdURL, files, cfg.apiServerArgs)
	if api != nil {
		registerStop(t, api)
	}
	if err != nil {
		t.Fatalf("kubeharness: %v", err)
	}
	t.Logf("kubeharness: etcd ready after %s, kube-apiserver ready at %s after %s (logs in %s)",
		etcdReady.Round(time.Millisecond), c.url, time.Since(began).Round(time.Millisecond), dir)
	volumes := ""
	if cfg.nodes != nil {
		c.startScheduling(t, ctx, dir, files, *cfg.nodes)
		t.Logf("kubeharness: %d nodes Ready after %s", cfg.nodes.Count, time.Since(began).Round(time.Millisecond))
		volumes = filepath.Join(dir, "volumes")
	}
	if volumes != "" || cfg.loadBalancers {
		c.startCloud(t, volumes, cfg.loadBalancers)
	}
	return c
}

// URL is the API server's base URL, https://127.0.0.1:<port>.
func (c *Cluster) URL() string { return c.url }

// Kubeconfig is the path of a kubeconfig file with the server URL, its CA and
// an admin token, for tools such as kubectl or helm.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// HTTPClient returns a client that trusts the server's certificate and sends
// the admin token with every request, for calls the harness does not wrap.
func (c *Cluster) HTTPClient() *http.Client { return c.client }

// registerStop stops p when the test ends and shows its log if it failed.
// The log is read before stopping, so that it ends with what went wrong
// rather than with shutdown noise.
func registerStop(t testing.TB, p *process) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubeharness: last lines of %s (%s):\n%s", p.name, p.logPath, p.logTail())
		}
		p.stop(5 * time.Second)
	})
}

// errPortInUse marks a start that failed only because a port was taken
// between choosing it and the process binding it; a retry usually succeeds.
var errPortInUse = errors.New("port already in use")

// startEtcd runs a single-member etcd and waits for /health. It retries once
// with new ports when one was taken in the meantime.
func startEtcd(ctx context.Context, bin, dir string, extra []string) (*process, string, error) {
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return nil, "", err
		}
		clientURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		args := append([]string{
			"--name=kubeharness",
			// A fresh data dir per attempt: a failed attempt may already
			// have recorded its peer URL there.
			"--data-dir=" + filepath.Join(dir, fmt.Sprintf("etcd-data-%d", attempt)),
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=kubeharness=" + peerURL,
			"--initial-cluster-state=new",
			"--log-level=warn",
			// The data is thrown away with the test; syncing it only costs time.
			"--unsafe-no-fsync",
		}, extra...)
		p, err := startProcess("etcd", bin, args, filepath.Join(dir, "etcd.log"))
		if err != nil {
			return nil, "", err
		}
		err = waitFor(ctx, p, "etcd /health", func(ctx context.Context) (bool, string) {
			return etcdHealthy(ctx, clientURL)
		})
		if err == nil {
			return p, clientURL, nil
		}
		if errors.Is(err, errPortInUse) && attempt == 1 {
			p.stop(time.Second)
			continue
		}
		return p, "", err
	}
}

func etcdHealthy(ctx context.Context, clientURL string) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clientURL+"/health", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := localTransport(nil).RoundTrip(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`), string(body)
}

// apiServerFiles are the credentials kube-apiserver reads at start.
type apiServerFiles struct {
	certDir   string
	tokenFile string
	token     string
	saKey     string
}

// writeAPIServerFiles creates the admin token file and the service account
// signing key, which the API server refuses to start without.
func writeAPIServerFiles(dir string) (apiServerFiles, error) {
	f := apiServerFiles{
		certDir:   filepath.Join(dir, "certs"),
		tokenFile: filepath.Join(dir, "tokens.csv"),
		saKey:     filepath.Join(dir, "service-account.key"),
	}
	if err := os.MkdirAll(f.certDir, 0o700); err != nil {
		return f, fmt.Errorf("create cert dir: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return f, fmt.Errorf("generate token: %w", err)
	}
	f.token = hex.EncodeToString(raw)
	// token,user,uid,"groups": system:masters bypasses authorization.
	line := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", f.token, adminUser, adminUser)
	if err := os.WriteFile(f.tokenFile, []byte(line), 0o600); err != nil {
		return f, fmt.Errorf("write token file: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return f, fmt.Errorf("generate service account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return f, fmt.Errorf("encode service account key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(f.saKey, keyPEM, 0o600); err != nil {
		return f, fmt.Errorf("write service account key: %w", err)
	}
	return f, nil
}

// startAPIServer runs kube-apiserver against etcdURL and waits for /readyz.
// It retries once with a new port when the chosen one was taken meanwhile.
func startAPIServer(ctx context.Context, bin, dir, etcdURL string, f apiServerFiles, extra []string) (*process, *Cluster, error) {
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			return nil, nil, err
		}
		url := fmt.Sprintf("https://127.0.0.1:%d", ports[0])
		args := append([]string{
			"--etcd-servers=" + etcdURL,
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(ports[0]),
			// The server generates a self-signed serving certificate here
			// (with 127.0.0.1 as a SAN); the client trusts that file.
			"--cert-dir=" + f.certDir,
			"--token-auth-file=" + f.tokenFile,
			"--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + f.saKey,
			"--service-account-signing-key-file=" + f.saKey,
			"--service-cluster-ip-range=10.0.0.0/24",
			// Real clusters allow privileged pods; without this the server
			// rejects them as "disallowed by cluster policy".
			"--allow-privileged=true",
			// The loopback address may not be published in the kubernetes
			// Service's endpoints; nothing here needs them.
			"--endpoint-reconciler-type=none",
			"--profiling=false",
			// No pod runs here (kwok only pretends), so no admission webhook
			// (cert-manager's, for one) could answer; and the server would
			// look its Service name up in the machine's DNS, off loopback.
			"--disable-admission-plugins=" + noWebhooks,
		}, extra...)
		p, err := startProcess("kube-apiserver", bin, args, filepath.Join(dir, "kube-apiserver.log"))
		if err != nil {
			return nil, nil, err
		}
		c := &Cluster{url: url, discovery: map[string]map[string]resourceInfo{}}
		caFile := filepath.Join(f.certDir, servingCertName)
		err = waitFor(ctx, p, "kube-apiserver /readyz", func(ctx context.Context) (bool, string) {
			return c.ready(ctx, caFile, f.token)
		})
		if err == nil {
			c.kubeconfig = filepath.Join(dir, "kubeconfig")
			if err := writeKubeconfig(c.kubeconfig, url, caFile, f.token); err != nil {
				return p, nil, err
			}
			return p, c, nil
		}
		if errors.Is(err, errPortInUse) && attempt == 1 {
			p.stop(time.Second)
			continue
		}
		return p, nil, err
	}
}

// ready builds the client once the serving certificate exists, then asks
// /readyz; the detail string is the server's answer, for the timeout error.
func (c *Cluster) ready(ctx context.Context, caFile, token string) (bool, string) {
	if c.client == nil {
		caPEM, err := os.ReadFile(caFile)
		if err != nil {
			return false, "serving certificate not written yet"
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return false, "no certificate in " + caFile
		}
		// The timeout is a safety net for callers whose context has no deadline.
		c.client = &http.Client{Timeout: 2 * time.Minute, Transport: &bearerTransport{token: token, next: localTransport(pool)}}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/readyz?verbose", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return true, ""
	}
	return false, fmt.Sprintf("HTTP %d:\n%s", resp.StatusCode, failedChecks(string(body)))
}

// failedChecks keeps the lines of a verbose readyz answer that did not pass.
func failedChecks(body string) string {
	var out []string
	for line := range strings.SplitSeq(body, "\n") {
		if !strings.HasPrefix(line, "[+]") && strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// waitFor polls check until it succeeds, the process exits or ctx ends. The
// error carries the last check detail and the tail of the process log.
func waitFor(ctx context.Context, p *process, what string, check func(context.Context) (bool, string)) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var detail string
	for {
		var ok bool
		if ok, detail = check(ctx); ok {
			return nil
		}
		select {
		case <-p.done:
			tail := p.logTail()
			if strings.Contains(tail, "address already in use") {
				return fmt.Errorf("%s exited: %w:\n%s", p.name, errPortInUse, tail)
			}
			return fmt.Errorf("%s exited before %s answered ok (%v); last lines of %s:\n%s", p.name, what, p.err, p.logPath, tail)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer ok: %w; last answer: %s\nlast lines of %s:\n%s", what, ctx.Err(), detail, p.logPath, p.logTail())
		case <-tick.C:
		}
	}
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1. They are
// released before use, hence the retry when a process cannot bind one.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// localTransport never uses a proxy: the harness only talks to 127.0.0.1.
func localTransport(roots *x509.CertPool) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}
}

// bearerTransport adds the admin token to every request.
type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (b *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(req)
}

// writeKubeconfig writes a kubeconfig with a single context for the cluster.
func writeKubeconfig(path, url, caFile, token string) error {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("read serving certificate: %w", err)
	}
	type named struct {
		Name    string         `json:"name"`
		Cluster map[string]any `json:"cluster,omitempty"`
		User    map[string]any `json:"user,omitempty"`
		Context map[string]any `json:"context,omitempty"`
	}
	doc := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"current-context": "kubeharness",
		"clusters": []named{{Name: "kubeharness", Cluster: map[string]any{
			"server": url,
			// []byte marshals as base64, which is what the field expects.
			"certificate-authority-data": caPEM,
		}}},
		"users":    []named{{Name: adminUser, User: map[string]any{"token": token}}},
		"contexts": []named{{Name: "kubeharness", Context: map[string]any{"cluster": "kubeharness", "user": adminUser}}},
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode kubeconfig: %w", err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}
