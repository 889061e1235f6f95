// Package s3test runs a real S3 server (versitygw over a POSIX directory) on
// 127.0.0.1 for tests, so code that talks to DigitalOcean Spaces is exercised
// against a genuine S3 implementation without any traffic leaving the host.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// startTimeout bounds how long the server may take to answer its first request.
const startTimeout = 30 * time.Second

// Server is a running versitygw. AccessKey and SecretKey are its root
// account, which owns every bucket it creates and may manage users.
type Server struct {
	AccessKey string
	SecretKey string

	bin           string
	addr          string // 127.0.0.1:port
	log           string // file holding the server's stdout and stderr
	virtualDomain string
}

// Option changes how Start runs the server.
type Option func(*Server)

// VirtualDomain makes the server also answer virtual-host requests
// (<bucket>.<domain>), as Spaces does for its regional host names.
func VirtualDomain(domain string) Option { return func(s *Server) { s.virtualDomain = domain } }

// Start runs versitygw with versioning support on a free port of 127.0.0.1,
// over fresh temporary directories, with random root keys. It returns once
// the server answers HTTP, and stops it (kill, then wait) when the test ends;
// the server's output is logged if the test failed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin := testenv.Tool(t, "versitygw")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	versions := filepath.Join(dir, "versions")
	iam := filepath.Join(dir, "iam")
	for _, d := range []string{data, versions, iam} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{AccessKey: randomKey(t, 10), SecretKey: randomKey(t, 20), bin: bin, log: filepath.Join(dir, "versitygw.log")}
	for _, o := range opts {
		o(s)
	}

	// The port is chosen by the kernel then released, so another process
	// may grab it before versitygw binds it: retry on a fresh port then.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		s.addr = addr
		lastErr = s.run(t, data, versions, iam)
		if lastErr == nil {
			return s
		}
		if !errors.Is(lastErr, errExited) {
			break
		}
	}
	t.Fatalf("start versitygw: %v\n%s", lastErr, s.logs())
	return nil
}

// Endpoint is the server's URL, http://127.0.0.1:port.
func (s *Server) Endpoint() string { return "http://" + s.addr }

// AddUser creates a plain (non-admin) account through the admin API and
// returns its keys. Such an account cannot see the root's buckets: it stands
// for "someone else" in tests about buckets owned by another account.
func (s *Server) AddUser(t testing.TB) (accessKey, secretKey string) {
	t.Helper()
	accessKey, secretKey = randomKey(t, 10), randomKey(t, 20)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, "admin", "--endpoint-url", s.Endpoint(),
		"create-user", "--access", accessKey, "--secret", secretKey, "--role", "user")
	// The admin credentials go through the environment rather than argv,
	// which any local process can read.
	cmd.Env = append(cleanEnv(), "ADMIN_ACCESS_KEY="+s.AccessKey, "ADMIN_SECRET_KEY="+s.SecretKey)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("versitygw admin create-user: %v\n%s\n%s", err, out, s.logs())
	}
	return accessKey, secretKey
}

// errExited reports that the server stopped before answering.
var errExited = errors.New("versitygw exited before answering")

// run starts one server process on s.addr and waits until it answers.
func (s *Server) run(t testing.TB, data, versions, iam string) error {
	t.Helper()
	logFile, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	args := []string{"--port", s.addr, "--iam-dir", iam}
	if s.virtualDomain != "" {
		args = append(args, "--virtual-domain", s.virtualDomain)
	}
	cmd := exec.Command(s.bin, append(args, "posix", "--versioning-dir", versions, data)...)
	cmd.Env = append(cleanEnv(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-done
	}

	if err := waitReady(s.Endpoint(), done); err != nil {
		if !errors.Is(err, errExited) {
			stop()
		}
		return err
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.logs())
		}
	})
	return nil
}

// waitReady polls the endpoint until it gives any HTTP answer (an anonymous
// request is refused with 403, which is enough to know it serves S3).
func waitReady(endpoint string, done <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("%w: %v", errExited, err)
		default:
		}
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw did not answer on %s within %s: %w", endpoint, startTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logs returns the server's output so far.
func (s *Server) logs() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	return string(b)
}

// freeAddr asks the kernel for a free port on the loopback interface.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// cleanEnv is the parent environment without versitygw's own settings, so a
// developer's VGW_* or ROOT_* variables cannot change the test server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "VGW_") || strings.HasPrefix(name, "ROOT_") || strings.HasPrefix(name, "ADMIN_") ||
			name == "LOGFILE" || name == "WEBHOOK" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// randomKey returns n random bytes, hex-encoded (S3 keys are plain ASCII).
func randomKey(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
