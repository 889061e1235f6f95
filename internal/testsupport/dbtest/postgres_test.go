package dbtest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/s3test"
)

func TestPostgresInit(t *testing.T) {
	pg := StartPostgres(t)
	t.Logf("PostgreSQL %s", pg.Version)
	dir := t.TempDir()
	n8n := app{"n8n", "n8n", "n8n", hostilePasswords[0]}
	writeApps(t, dir, n8n)
	initRun := func(t *testing.T, want []string) {
		t.Helper()
		r := script(t, "postgres", "init.sh", Account{}, pg.Env(), "", dir)
		if r.Code != 0 {
			t.Fatalf("init.sh: %s", r)
		}
		if got := created(r.Stdout); !reflect.DeepEqual(got, want) {
			t.Fatalf("created %q, want %q\n%s", got, want, r)
		}
	}

	initRun(t, []string{"role n8n", "database n8n"})
	if r := pg.PsqlAs(t, "n8n", n8n.password, "n8n", "CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2);"); r.Code != 0 {
		t.Fatalf("app cannot create its table: %s", r)
	}
	// Idempotent: nothing new, and the data is still there.
	initRun(t, nil)

	// One app per hostile password: each is created once, then logs in.
	var apps []app
	for i, pw := range hostilePasswords {
		a := app{fmt.Sprintf("app%d", i), fmt.Sprintf("db_%d", i), fmt.Sprintf("user_%d", i), pw}
		apps = append(apps, a)
	}
	writeApps(t, dir, apps...)
	var want []string
	for _, a := range apps {
		want = append(want, "role "+a.user, "database "+a.database)
	}
	initRun(t, want)
	initRun(t, nil)
	for _, a := range apps {
		r := pg.PsqlAs(t, a.user, a.password, a.database, "SELECT current_user || ' ' || current_database()")
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != a.user+" "+a.database {
			t.Errorf("login with password %q: %s", a.password, r)
		}
	}
	if r := pg.PsqlAs(t, "n8n", n8n.password, "n8n", "SELECT count(*) FROM items"); strings.TrimSpace(r.Stdout) != "2" {
		t.Fatalf("n8n's data after re-runs: %s", r)
	}
	// Apps cannot reach each other's databases.
	if r := pg.PsqlAs(t, "n8n", n8n.password, apps[0].database, "SELECT 1"); r.Code == 0 {
		t.Errorf("n8n could connect to %s", apps[0].database)
	}
	// A changed password is applied; the old one stops working.
	n8n.password = hostilePasswords[4] + " v2"
	writeApps(t, dir, n8n)
	initRun(t, nil)
	if r := pg.PsqlAs(t, "n8n", n8n.password, "n8n", "SELECT 1"); r.Code != 0 {
		t.Errorf("new password refused: %s", r)
	}
	if r := pg.PsqlAs(t, "n8n", hostilePasswords[0], "n8n", "SELECT 1"); r.Code == 0 {
		t.Errorf("old password still accepted")
	}

	t.Run("one app only", func(t *testing.T) {
		r := script(t, "postgres", "init.sh", Account{}, pg.Env(), "", dir, "n8n")
		if r.Code != 0 || !strings.Contains(r.Stdout, "init: ok n8n n8n") || strings.Contains(r.Stdout, "db_0") {
			t.Fatalf("init.sh DIR n8n: %s", r)
		}
		if r := script(t, "postgres", "init.sh", Account{}, pg.Env(), "", dir, "nope"); r.Code == 0 {
			t.Fatalf("unknown app accepted: %s", r)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		pw := hostilePasswords[2]
		r := script(t, "postgres", "init.sh", Account{}, pg.Env(), "stdin_db\nstdin_user\n"+pw+"\n", "-")
		if r.Code != 0 || !reflect.DeepEqual(created(r.Stdout), []string{"role stdin_user", "database stdin_db"}) {
			t.Fatalf("init.sh -: %s", r)
		}
		if r := pg.PsqlAs(t, "stdin_user", pw, "stdin_db", "SELECT 1"); r.Code != 0 {
			t.Fatalf("login: %s", r)
		}
	})

	t.Run("hostile names refused", func(t *testing.T) {
		reserved := []struct{ name, db, user string }{
			{"superuser role", "evil", "postgres"},
			{"reserved role prefix", "evil", "pg_monitor"},
			{"template database", "template1", "evil"},
			{"maintenance database", "postgres", "evil"},
		}
		for _, h := range hostileNames {
			reserved = append(reserved, struct{ name, db, user string }{"database " + h.name, h.value, "evil"},
				struct{ name, db, user string }{"user " + h.name, "evil", h.value})
		}
		for _, c := range reserved {
			t.Run(c.name, func(t *testing.T) {
				// Through init.sh (the shell check) and straight through
				// init.sql (the server-side check behind it).
				r := script(t, "postgres", "init.sh", Account{}, pg.Env(), c.db+"\n"+c.user+"\npw\n", "-")
				if r.Code == 0 {
					t.Fatalf("init.sh accepted database %q user %q: %s", c.db, c.user, r)
				}
				if strings.ContainsAny(c.db+c.user, "\n") {
					return
				}
				env := append(pg.Env(), "APP_DATABASE="+c.db, "APP_USER="+c.user, "APP_PASSWORD=pw")
				r = Run(t, Account{}, env, "", Tool(t, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres",
					"-f", ScriptDir(t, "postgres")+"/init.sql")
				if r.Code == 0 {
					t.Fatalf("init.sql accepted database %q user %q: %s", c.db, c.user, r)
				}
			})
		}
		for _, check := range []string{
			"SELECT count(*) FROM pg_database WHERE datname IN ('n8n', 'evil')",
			"SELECT count(*) FROM pg_roles WHERE rolname = 'evil'",
		} {
			r := pg.Psql(t, "postgres", check)
			if check[len(check)-6:] == "'evil'" && strings.TrimSpace(r.Stdout) != "0" {
				t.Errorf("%s: %s", check, r.Stdout)
			}
			if strings.Contains(check, "'n8n'") && strings.TrimSpace(r.Stdout) != "1" {
				t.Errorf("%s: %s", check, r.Stdout)
			}
		}
		if r := pg.Psql(t, "postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'"); strings.TrimSpace(r.Stdout) != "t" {
			t.Errorf("postgres lost superuser: %s", r)
		}
	})
}

// seedPostgres creates two apps with tables, a view, a materialized view,
// a partitioned table, awkward names and awkward data.
func seedPostgres(t *testing.T, pg *Postgres, dir string) {
	t.Helper()
	a, b := app{"n8n", "n8n", "n8n", hostilePasswords[1]}, app{"crm", "crm", "crm_user", hostilePasswords[4]}
	writeApps(t, dir, a, b)
	if r := script(t, "postgres", "init.sh", Account{}, pg.Env(), "", dir); r.Code != 0 {
		t.Fatalf("init.sh: %s", r)
	}
	sql := `
CREATE TABLE items (id serial PRIMARY KEY, body text);
INSERT INTO items (body) SELECT 'row ' || g || E'\n\ttab\\ back' FROM generate_series(1, 1000) g;
CREATE TABLE "Weird ""name"" (x)" (v text);
INSERT INTO "Weird ""name"" (x)" VALUES ('COPY public.items FROM stdin;'), (E'\\.'), ('');
CREATE SCHEMA app;
CREATE TABLE app.events (at timestamptz, kind text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO app.events SELECT '2026-03-01'::timestamptz + g * interval '1 minute', 'k' FROM generate_series(1, 500) g;
CREATE VIEW item_bodies AS SELECT body FROM items;
CREATE MATERIALIZED VIEW item_count AS SELECT count(*) FROM items;
CREATE TABLE empty_one (x int);`
	if r := pg.PsqlAs(t, a.user, a.password, a.database, sql); r.Code != 0 {
		t.Fatalf("seed %s: %s", a.database, r)
	}
	if r := pg.PsqlAs(t, b.user, b.password, b.database, "CREATE TABLE contacts (id int); INSERT INTO contacts SELECT generate_series(1, 42);"); r.Code != 0 {
		t.Fatalf("seed %s: %s", b.database, r)
	}
}

func TestPostgresBackupAndRestoreCheck(t *testing.T) {
	Tool(t, "rclone")
	pg := StartPostgres(t)
	srv := s3test.Start(t)
	bucket := NewBucket(t, srv, "backups")
	seedPostgres(t, pg, t.TempDir())
	as := Unprivileged(t)
	work := as.Dir(t, "dbtest-work-")

	r := script(t, "postgres", "backup.sh", Account{}, backupEnv(pg.Env(), bucket, work), "")
	if r.Code != 0 {
		t.Fatalf("backup.sh: %s", r)
	}
	checkMemory(t, "postgres", "backup.sh", r)
	runs := bucket.Runs(t, "postgres")
	if len(runs) != 1 {
		t.Fatalf("complete runs after one backup: %v", runs)
	}
	run := runs[0]
	keys := bucket.Keys(t, run+"/")
	wantKeys := []string{run + "/SHA256SUMS", run + "/crm.dump", run + "/crm.rows", run + "/globals.sql.gz", run + "/manifest", run + "/n8n.dump", run + "/n8n.rows"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("backup objects %v, want %v", keys, wantKeys)
	}
	if m := string(bucket.Get(t, run+"/manifest")); !strings.Contains(m, "databases=crm n8n\n") || !strings.Contains(m, "engine=postgres\n") {
		t.Errorf("manifest:\n%s", m)
	}

	check := func(extra ...string) Result {
		return script(t, "postgres", "restore-check.sh", as, append(backupEnv(nil, bucket, work), extra...), "")
	}
	t.Run("restore check passes", func(t *testing.T) {
		r := check("RESTORE_CHECK_EXPECTED_TABLES=n8n:items,app.events,empty_one crm:contacts")
		if r.Code != 0 {
			t.Fatalf("restore-check.sh: %s", r)
		}
		checkMemory(t, "postgres", "restore-check.sh", r)
		for _, want := range []string{
			`fullfrontend_db_restore_check_success{engine="postgres"} 1`,
			`fullfrontend_db_restore_check_rows{engine="postgres",database="n8n"} 1503`,
			`fullfrontend_db_restore_check_rows{engine="postgres",database="crm"} 42`,
			`fullfrontend_db_restore_check_restore_seconds{engine="postgres",database="n8n"}`,
		} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("metrics lack %s:\n%s", want, r.Stdout)
			}
		}
		if got := string(bucket.Get(t, run+"/restore-check.prom")); got != r.Stdout {
			t.Errorf("stored restore-check.prom differs from the output:\n%s", got)
		}
	})
	t.Run("missing expected table fails", func(t *testing.T) {
		r := check("RESTORE_CHECK_EXPECTED_TABLES=n8n:workflow_entity")
		if r.Code == 0 || !strings.Contains(r.Stderr, "expected table workflow_entity is missing") {
			t.Fatalf("restore-check.sh: %s", r)
		}
	})
	t.Run("stale backup fails", func(t *testing.T) {
		// With a limit of 0 h, any backup at least a second old is stale.
		time.Sleep(1100 * time.Millisecond)
		r := check("RESTORE_CHECK_MAX_AGE_HOURS=0")
		if r.Code == 0 || !strings.Contains(r.Stderr, "h old") {
			t.Fatalf("restore check accepted a backup older than its limit: %s", r)
		}
	})
	t.Run("tampered backups", func(t *testing.T) {
		tamperAndCheck(t, "postgres", bucket, run, "n8n.dump", func() Result { return check() })
	})
	t.Run("failed upload fails the backup", func(t *testing.T) {
		failedUploads(t, "postgres", srv, bucket, pg.Env(), work)
	})
	t.Run("failed dump fails the backup", func(t *testing.T) {
		r := script(t, "postgres", "backup.sh", Account{}, backupEnv(pg.EnvAs("postgres", "wrong"), bucket, work), "")
		if r.Code == 0 || !strings.Contains(r.Stderr, "cannot connect") {
			t.Fatalf("backup with a wrong password: %s", r)
		}
		if got := bucket.Runs(t, "postgres"); len(got) != 1 {
			t.Errorf("runs: %v", got)
		}
	})
	t.Run("no backup at all fails", func(t *testing.T) {
		empty := NewBucket(t, srv, "empty")
		r := script(t, "postgres", "restore-check.sh", as, backupEnv(nil, empty, work), "")
		if r.Code == 0 || !strings.Contains(r.Stderr, "no complete backup") {
			t.Fatalf("restore check on an empty bucket: %s", r)
		}
	})
}
