package dbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/s3test"
)

// benchEnv turns on TestLargeBackupAndRestore, a measurement rather than a
// check (about a quarter of an hour on two cores): run it by hand with
//
//	INFRA_BENCH_1GIB=1 go test -v -run TestLargeBackupAndRestore -timeout 60m ./internal/testsupport/dbtest/
const benchEnv = "INFRA_BENCH_1GIB"

// TestLargeBackupAndRestore times the real scripts on a generated database
// of at least 1 GiB per engine: dump + upload (backup.sh), the verified
// restore (restore-check.sh), and the restore of `infra restore db`
// (restore.sh on the live server) against the engine's own tool loading the
// same dump into the same server; it reports the backup's size.
func TestLargeBackupAndRestore(t *testing.T) {
	if os.Getenv(benchEnv) != "1" {
		t.Skipf("measurement, not a check: set %s=1 to run it", benchEnv)
	}
	engines := []struct {
		name, table string
		// rows of ~200 bytes: enough for more than 1 GiB in each engine's
		// own accounting (InnoDB stores them more densely).
		rows int
		seed func(t *testing.T, rows int) (conn []string, dbSize func() string)
		// plain loads the dump file with the engine's own tool, as an
		// operator would by hand: the baseline of restore.sh.
		dump, plain string
	}{
		{"postgres", "bench:big", 5_000_000, func(t *testing.T, rows int) ([]string, func() string) {
			pg := StartPostgres(t)
			dir := t.TempDir()
			a := app{"bench", "bench", "bench", hostilePasswords[0]}
			writeApps(t, dir, a)
			if r := script(t, "postgres", "init.sh", Account{}, pg.Env(), "", dir); r.Code != 0 {
				t.Fatalf("init.sh: %s", r)
			}
			sql := fmt.Sprintf("CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g*7)::text) || md5((g*13)::text) || md5((g*31)::text) || md5((g*71)::text) || md5((g*97)::text) AS body FROM generate_series(1, %d) g;", rows)
			if r := pg.PsqlAs(t, a.user, a.password, a.database, sql); r.Code != 0 {
				t.Fatalf("seed: %s", r)
			}
			return pg.Env(), func() string {
				return pg.Psql(t, "bench", "SELECT pg_size_pretty(pg_database_size('bench'))").Stdout
			}
		}, "bench.dump", `psql -X -q -d postgres -c 'CREATE DATABASE bench_plain' && pg_restore --exit-on-error -d bench_plain "$1"`},
		{"mariadb", "bench:big", 6_500_000, func(t *testing.T, rows int) ([]string, func() string) {
			m := StartMariaDB(t)
			dir := t.TempDir()
			a := app{"bench", "bench", "bench", hostilePasswords[0]}
			writeApps(t, dir, a)
			if r := script(t, "mariadb", "init.sh", Account{}, m.Env(), "", dir); r.Code != 0 {
				t.Fatalf("init.sh: %s", r)
			}
			sql := fmt.Sprintf("CREATE TABLE big (id int PRIMARY KEY, body varchar(200)) ENGINE=InnoDB; INSERT INTO big SELECT seq, CONCAT(MD5(seq), MD5(seq*7), MD5(seq*13), MD5(seq*31), MD5(seq*71), MD5(seq*97)) FROM seq_1_to_%d;", rows)
			if r := m.SQLAs(t, a.user, a.password, a.database, sql); r.Code != 0 {
				t.Fatalf("seed: %s", r)
			}
			return m.Env(), func() string {
				return m.SQL(t, "", "SELECT CONCAT(ROUND(SUM(data_length+index_length)/1048576), ' MiB') FROM information_schema.tables WHERE table_schema='bench'").Stdout
			}
		}, "bench.sql.gz", `gzip -dc "$1" | MYSQL_PWD=$MARIADB_PASSWORD mariadb --no-defaults --protocol=tcp --host="$MARIADB_HOST" --port="$MARIADB_PORT" --user="$MARIADB_USER"`},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			Tool(t, "rclone")
			srv := s3test.Start(t)
			bucket := NewBucket(t, srv, "backups")
			start := time.Now()
			conn, dbSize := e.seed(t, e.rows)
			t.Logf("%s: generated %d rows (%s) in %s", e.name, e.rows, strings.TrimSpace(dbSize()), time.Since(start).Round(time.Second))

			as := Unprivileged(t)
			work := as.Dir(t, "dbtest-bench-")
			start = time.Now()
			b := script(t, e.name, "backup.sh", Account{}, backupEnv(conn, bucket, work), "")
			if b.Code != 0 {
				t.Fatalf("backup.sh: %s", b)
			}
			backup := time.Since(start)
			checkMemory(t, e.name, "backup.sh", b)
			runs := bucket.Runs(t, e.name)
			if len(runs) != 1 {
				t.Fatalf("runs: %v", runs)
			}
			size := bucket.Size(t, runs[0]+"/")

			start = time.Now()
			r := script(t, e.name, "restore-check.sh", as, append(backupEnv(nil, bucket, work), "RESTORE_CHECK_EXPECTED_TABLES="+e.table), "")
			if r.Code != 0 {
				t.Fatalf("restore-check.sh: %s", r)
			}
			restore := time.Since(start)
			checkMemory(t, e.name, "restore-check.sh", r)
			if !strings.Contains(r.Stdout, fmt.Sprintf(`database="bench"} %d`, e.rows)) {
				t.Errorf("restore check did not count %d rows:\n%s", e.rows, r.Stdout)
			}
			t.Logf("%s: dump + checksums + upload %s; backup size %.0f MiB; verified restore %s",
				e.name, backup.Round(time.Second), float64(size)/(1<<20), restore.Round(time.Second))

			start = time.Now()
			r = script(t, e.name, "restore.sh", Account{}, backupEnv(conn, bucket, work), "", "bench")
			if r.Code != 0 || !strings.Contains(r.Stderr, "result=restored") {
				t.Fatalf("restore.sh: %s", r)
			}
			ours := time.Since(start)
			t.Logf("restore.sh:\n%s", r.Stderr)
			file := filepath.Join(work, e.dump)
			if err := os.WriteFile(file, bucket.Get(t, runs[0]+"/"+e.dump), 0o644); err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			if r := Run(t, Account{}, append(conn, "PATH="+DefaultPath()), "", "/bin/sh", "-c", e.plain, "plain", file); r.Code != 0 {
				t.Fatalf("%s: %s", e.plain, r)
			}
			plain := time.Since(start)
			t.Logf("%s: infra restore db's restore.sh (download, checksums, restore beside, row counts, swap) %s; the engine's own tool on the same dump %s; ratio %.2f",
				e.name, ours.Round(time.Second), plain.Round(time.Second), ours.Seconds()/plain.Seconds())
		})
	}
}
