package dbtest

import (
	"fmt"
	"os"
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
// of at least 1 GiB per engine: dump + upload (backup.sh) and the verified
// restore (restore-check.sh), and reports the backup's size.
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
		}},
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
		}},
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
			if r := script(t, e.name, "backup.sh", Account{}, backupEnv(conn, bucket, work), ""); r.Code != 0 {
				t.Fatalf("backup.sh: %s", r)
			}
			backup := time.Since(start)
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
			if !strings.Contains(r.Stdout, fmt.Sprintf(`database="bench"} %d`, e.rows)) {
				t.Errorf("restore check did not count %d rows:\n%s", e.rows, r.Stdout)
			}
			t.Logf("%s: dump + checksums + upload %s; backup size %.0f MiB; verified restore %s",
				e.name, backup.Round(time.Second), float64(size)/(1<<20), restore.Round(time.Second))
		})
	}
}
