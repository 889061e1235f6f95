package dbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Postgres is a running PostgreSQL server on 127.0.0.1 with password
// (SCRAM) authentication for every TCP connection.
type Postgres struct {
	Port     int
	User     string // superuser
	Password string
	Version  string // e.g. "15.14"
	dir      string
	as       Account
}

// StartPostgres runs initdb and the server in a fresh directory, as an
// unprivileged account when the tests run as root, and stops it (fast
// shutdown, then kill) when the test ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	initdb := Tool(t, "initdb")
	pgctl := Tool(t, "pg_ctl")
	as := Unprivileged(t)
	dir := as.Dir(t, "dbtest-pg-")
	p := &Postgres{User: "postgres", Password: RandomHex(t, 16), dir: dir, as: as}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(p.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if as.set {
		if err := os.Chown(pwfile, int(as.UID), int(as.GID)); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	// C.UTF-8 exists on every glibc system: the scratch server of the
	// restore check must be able to create the same locale.
	if r := Run(t, as, nil, "", initdb, "-D", data, "-U", p.User, "--pwfile", pwfile,
		"--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"); r.Code != 0 {
		t.Fatalf("initdb: %s", r)
	}
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\nshared_buffers = '64MB'\n", dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(conf); err != nil {
		t.Fatal(err)
	}
	f.Close()

	logFile := filepath.Join(dir, "server.log")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		p.Port = port
		r := Run(t, as, nil, "", pgctl, "-D", data, "-l", logFile, "-w", "-t", "60",
			"-o", "-p "+strconv.Itoa(port), "start")
		if r.Code == 0 {
			lastErr = nil
			break
		}
		lastErr = fmt.Errorf("pg_ctl start: %s\n%s", r, tail(logFile, 4000))
	}
	if lastErr != nil {
		t.Fatal(lastErr)
	}
	t.Cleanup(func() {
		r := Run(t, as, nil, "", pgctl, "-D", data, "-m", "fast", "-w", "-t", "30", "stop")
		if r.Code != 0 {
			t.Logf("pg_ctl stop: %s", r)
		}
		if t.Failed() {
			t.Logf("postgres log:\n%s", tail(logFile, 8000))
		}
	})
	r := p.Psql(t, "postgres", "SHOW server_version")
	if r.Code != 0 {
		t.Fatalf("server does not answer: %s", r)
	}
	p.Version = trimNL(r.Stdout)
	return p
}

// Env is the libpq environment of the superuser over TCP.
func (p *Postgres) Env() []string {
	return p.EnvAs(p.User, p.Password)
}

// EnvAs is the libpq environment of any role over TCP.
func (p *Postgres) EnvAs(user, password string) []string {
	return []string{
		"PGHOST=127.0.0.1",
		"PGPORT=" + strconv.Itoa(p.Port),
		"PGUSER=" + user,
		"PGPASSWORD=" + password,
		"PGCONNECT_TIMEOUT=10",
	}
}

// Psql runs one SQL command as the superuser in a database.
func (p *Postgres) Psql(t testing.TB, db, sql string) Result {
	t.Helper()
	return p.PsqlAs(t, p.User, p.Password, db, sql)
}

// PsqlAs runs one SQL command as the given role (password authentication),
// with unaligned, tuples-only output.
func (p *Postgres) PsqlAs(t testing.TB, user, password, db, sql string) Result {
	t.Helper()
	return Run(t, Account{}, p.EnvAs(user, password), sql, Tool(t, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db)
}

func trimNL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
