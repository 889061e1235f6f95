// Package dbtest starts real PostgreSQL and MariaDB servers on 127.0.0.1 for
// tests (the Debian packages), and runs the data layer's shell scripts from
// modules/database/files/<engine>: the very files the
// Kubernetes Jobs mount, not copies.
//
// Missing server binaries skip a test on a developer machine and fail it in
// CI (CI=true), like every other external tool (see internal/testenv).
package dbtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 60 * time.Second

// missing skips locally and fails in CI, as testenv does for tools.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if testenv.InCI() {
		t.Fatalf("required in CI: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

// Lookup finds a server or client binary: PATH first, then the Debian
// PostgreSQL directories (/usr/lib/postgresql/<major>/bin, newest first),
// which are not on PATH.
func Lookup(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH or /usr/lib/postgresql/*/bin (Debian packages postgresql, mariadb-server, mariadb-client, rclone)", name)
}

func majorOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Tool is Lookup with the skip-locally, fail-in-CI rule.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := Lookup(name)
	if err != nil {
		missing(t, "%v", err)
	}
	return p
}

// Account is an OS user that runs a process. Zero value: the current user.
type Account struct {
	Name     string
	UID, GID uint32
	set      bool
}

// Unprivileged returns the account that must run initdb and a scratch
// PostgreSQL, which refuse root: the current user unless it is root, then
// the Debian "postgres" system user.
func Unprivileged(t testing.TB) Account {
	t.Helper()
	if os.Geteuid() != 0 {
		return Account{}
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		missing(t, "running as root needs the postgres system user (package postgresql): %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return Account{Name: u.Username, UID: uint32(uid), GID: uint32(gid), set: true}
}

// Dir creates a fresh directory that the account owns (t.TempDir's parents
// are private to the current user, so it cannot be used by another one).
func (a Account) Dir(t testing.TB, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if a.set {
		if err := os.Chown(dir, int(a.UID), int(a.GID)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func (a Account) apply(cmd *exec.Cmd) {
	if a.set {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: a.UID, Gid: a.GID}}
	}
}

// ScriptDir is the absolute path of an engine's scripts, e.g.
// ScriptDir(t, "postgres") = <repo>/modules/database/files/postgres.
func ScriptDir(t testing.TB, engine string) string {
	t.Helper()
	return filepath.Join(LibDir(t), engine)
}

// LibDir is modules/database/files, which holds db-lib.sh, the library the
// scripts of both engines source.
func LibDir(t testing.TB) string {
	t.Helper()
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "modules", "database", "files")
}

// Result is the outcome of one script run.
type Result struct {
	Code   int
	Stdout string
	Stderr string
	// PeakMemory is the most memory the command's processes took at once
	// (see memorySampler), in bytes.
	PeakMemory int64
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.Code, r.Stdout, r.Stderr)
}

// Run runs a command with exactly env (plus PATH if env has none), as the
// account, feeding stdin, and returns its exit status and output.
func Run(t testing.TB, as Account, env []string, stdin string, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	hasPath := false
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			hasPath = true
		}
	}
	if !hasPath {
		env = append(env, "PATH="+DefaultPath())
	}
	cmd.Env = env
	cmd.Dir = os.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	as.apply(cmd)
	var err error
	var peak int64
	if err = cmd.Start(); err == nil {
		// The scratch servers of the restore checks live under the
		// script's work directory.
		mem := sampleMemory(cmd.Process.Pid, workDir(env))
		err = cmd.Wait()
		peak = mem.Peak()
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), PeakMemory: peak}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	default:
		t.Fatalf("run %s: %v", name, err)
	}
	return res
}

// workDir is BACKUP_WORK_DIR of env, "" without one.
func workDir(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "BACKUP_WORK_DIR="); ok {
			return v
		}
	}
	return ""
}

// DefaultPath is PATH with the PostgreSQL binaries directory appended, as in
// the official image where initdb and pg_ctl are on PATH.
func DefaultPath() string {
	path := os.Getenv("PATH")
	if p, err := Lookup("initdb"); err == nil {
		path += ":" + filepath.Dir(p)
	}
	return path
}

// RandomHex returns n random bytes, hex-encoded.
func RandomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits until addr accepts connections or the process exits.
func waitTCP(addr string, exited <-chan error) error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("server exited before accepting connections: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no connection on %s within %s: %w", addr, startTimeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tail returns the last n bytes of a file, for failure messages.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}
