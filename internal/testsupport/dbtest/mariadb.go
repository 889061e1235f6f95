package dbtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// MariaDB is a running MariaDB server on 127.0.0.1; root has a password
// and may connect over TCP from anywhere, as in the official image.
type MariaDB struct {
	Port     int
	Password string // root's
	Version  string
	Socket   string
}

// StartMariaDB runs mariadb-install-db and mariadbd in a fresh directory
// (as root when the tests run as root: mariadbd accepts --user=root) and
// kills the server when the test ends.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	install := Tool(t, "mariadb-install-db")
	server := Tool(t, "mariadbd")
	Tool(t, "mariadb")
	dir, err := os.MkdirTemp("", "dbtest-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var userArgs []string
	if os.Geteuid() == 0 {
		userArgs = []string{"--user=root"}
	}
	data := filepath.Join(dir, "data")
	m := &MariaDB{Password: RandomHex(t, 16), Socket: filepath.Join(dir, "mariadb.sock")}
	args := append([]string{"--no-defaults"}, userArgs...)
	args = append(args, "--datadir="+data, "--auth-root-authentication-method=normal", "--skip-test-db")
	if r := Run(t, Account{}, nil, "", install, args...); r.Code != 0 {
		t.Fatalf("mariadb-install-db: %s", r)
	}
	logFile := filepath.Join(dir, "mariadb.err")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		m.Port = port
		sargs := append([]string{"--no-defaults"}, userArgs...)
		sargs = append(sargs, "--datadir="+data, "--socket="+m.Socket, "--port="+strconv.Itoa(port),
			"--bind-address=127.0.0.1", "--pid-file="+filepath.Join(dir, "mariadb.pid"),
			"--log-error="+logFile, "--innodb-buffer-pool-size=128M", "--innodb-flush-log-at-trx-commit=2",
			"--skip-log-bin")
		cmd := exec.Command(server, sargs...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start mariadbd: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitTCP(fmt.Sprintf("127.0.0.1:%d", port), exited); err != nil {
			_ = cmd.Process.Kill()
			lastErr = fmt.Errorf("%w\n%s", err, tail(logFile, 4000))
			continue
		}
		lastErr = nil
		t.Cleanup(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
			if t.Failed() {
				t.Logf("mariadb log:\n%s", tail(logFile, 8000))
			}
		})
		break
	}
	if lastErr != nil {
		t.Fatal(lastErr)
	}
	// root@localhost has no password after install: give it one and add
	// root@'%', as the official image does with MARIADB_ROOT_PASSWORD.
	setup := fmt.Sprintf("ALTER USER root@localhost IDENTIFIED BY '%[1]s'; CREATE USER root@'%%' IDENTIFIED BY '%[1]s'; GRANT ALL ON *.* TO root@'%%' WITH GRANT OPTION;", m.Password)
	if r := Run(t, Account{}, nil, setup, Tool(t, "mariadb"), "--no-defaults", "--socket="+m.Socket, "--user=root"); r.Code != 0 {
		t.Fatalf("set root password: %s", r)
	}
	r := m.SQL(t, "", "SELECT VERSION()")
	if r.Code != 0 {
		t.Fatalf("server does not answer: %s", r)
	}
	m.Version = trimNL(r.Stdout)
	return m
}

// Env is the environment the scripts read for root over TCP.
func (m *MariaDB) Env() []string { return m.EnvAs("root", m.Password) }

// EnvAs is the scripts' environment for any account over TCP.
func (m *MariaDB) EnvAs(user, password string) []string {
	return []string{
		"MARIADB_HOST=127.0.0.1",
		"MARIADB_PORT=" + strconv.Itoa(m.Port),
		"MARIADB_USER=" + user,
		"MARIADB_PASSWORD=" + password,
	}
}

// SQL runs statements as root over TCP, batch output without column names.
func (m *MariaDB) SQL(t testing.TB, db, sql string) Result {
	t.Helper()
	return m.SQLAs(t, "root", m.Password, db, sql)
}

// SQLAs runs statements as any account over TCP (password from MYSQL_PWD).
func (m *MariaDB) SQLAs(t testing.TB, user, password, db, sql string) Result {
	t.Helper()
	args := []string{"--no-defaults", "--protocol=tcp", "--host=127.0.0.1", "--port=" + strconv.Itoa(m.Port),
		"--user=" + user, "--batch", "--skip-column-names"}
	if db != "" {
		args = append(args, "--database="+db)
	}
	return Run(t, Account{}, []string{"MYSQL_PWD=" + password}, sql, Tool(t, "mariadb"), args...)
}
