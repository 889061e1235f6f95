package dbtest

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/s3test"
)

func TestMariaDBInit(t *testing.T) {
	m := StartMariaDB(t)
	t.Logf("MariaDB %s", m.Version)
	dir := t.TempDir()
	wp := app{"wordpress", "wordpress", "wordpress", hostilePasswords[0]}
	writeApps(t, dir, wp)
	initRun := func(t *testing.T, want []string) {
		t.Helper()
		r := script(t, "mariadb", "init.sh", Account{}, m.Env(), "", dir)
		if r.Code != 0 {
			t.Fatalf("init.sh: %s", r)
		}
		if got := created(r.Stdout); !reflect.DeepEqual(got, want) {
			t.Fatalf("created %q, want %q\n%s", got, want, r)
		}
	}
	initRun(t, []string{"user wordpress", "database wordpress"})
	if r := m.SQLAs(t, "wordpress", wp.password, "wordpress", "CREATE TABLE wp_posts (id int); INSERT INTO wp_posts VALUES (1), (2);"); r.Code != 0 {
		t.Fatalf("app cannot create its table: %s", r)
	}
	initRun(t, nil)

	var apps []app
	var want []string
	for i, pw := range hostilePasswords {
		a := app{fmt.Sprintf("app%d", i), fmt.Sprintf("db_%d", i), fmt.Sprintf("user_%d", i), pw}
		apps = append(apps, a)
		want = append(want, "user "+a.user, "database "+a.database)
	}
	writeApps(t, dir, apps...)
	initRun(t, want)
	initRun(t, nil)
	for _, a := range apps {
		r := m.SQLAs(t, a.user, a.password, a.database, "SELECT CONCAT(SUBSTRING_INDEX(CURRENT_USER(), '@', 1), ' ', DATABASE())")
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != a.user+" "+a.database {
			t.Errorf("login with password %q: %s", a.password, r)
		}
	}
	if r := m.SQLAs(t, "wordpress", wp.password, "wordpress", "SELECT COUNT(*) FROM wp_posts"); strings.TrimSpace(r.Stdout) != "2" {
		t.Fatalf("wordpress data after re-runs: %s", r)
	}
	// The _ of db_0 must not act as a GRANT wildcard: user_0 gets db_0 only.
	if r := m.SQL(t, "", "CREATE DATABASE dbx0"); r.Code != 0 {
		t.Fatal(r)
	}
	if r := m.SQLAs(t, "user_0", apps[0].password, "dbx0", "SELECT 1"); r.Code == 0 {
		t.Errorf("user_0 can use dbx0: the underscore of db_0 was granted as a wildcard")
	}
	if r := m.SQLAs(t, "wordpress", wp.password, apps[0].database, "SELECT 1"); r.Code == 0 {
		t.Errorf("wordpress could use %s", apps[0].database)
	}
	wp.password = hostilePasswords[4] + " v2"
	writeApps(t, dir, wp)
	initRun(t, nil)
	if r := m.SQLAs(t, "wordpress", wp.password, "wordpress", "SELECT 1"); r.Code != 0 {
		t.Errorf("new password refused: %s", r)
	}
	if r := m.SQLAs(t, "wordpress", hostilePasswords[0], "wordpress", "SELECT 1"); r.Code == 0 {
		t.Errorf("old password still accepted")
	}
	t.Run("stdin", func(t *testing.T) {
		pw := hostilePasswords[2]
		r := script(t, "mariadb", "init.sh", Account{}, m.Env(), "stdin_db\nstdin_user\n"+pw+"\n", "-")
		if r.Code != 0 || !reflect.DeepEqual(created(r.Stdout), []string{"user stdin_user", "database stdin_db"}) {
			t.Fatalf("init.sh -: %s", r)
		}
		if r := m.SQLAs(t, "stdin_user", pw, "stdin_db", "SELECT 1"); r.Code != 0 {
			t.Fatalf("login: %s", r)
		}
	})

	t.Run("hostile names refused", func(t *testing.T) {
		cases := []struct{ name, db, user string }{
			{"root user", "evil", "root"},
			{"system database", "mysql", "evil"},
		}
		for _, h := range hostileNames {
			cases = append(cases, struct{ name, db, user string }{"database " + h.name, h.value, "evil"},
				struct{ name, db, user string }{"user " + h.name, "evil", h.value})
		}
		sql, err := os.ReadFile(ScriptDir(t, "mariadb") + "/init.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := script(t, "mariadb", "init.sh", Account{}, m.Env(), c.db+"\n"+c.user+"\npw\n", "-")
				if r.Code == 0 {
					t.Fatalf("init.sh accepted database %q user %q: %s", c.db, c.user, r)
				}
				// Straight into init.sql, past the shell check.
				hexOf := func(s string) string { return fmt.Sprintf("%x", s) }
				stmt := fmt.Sprintf("SET NAMES utf8mb4; SET @app_database = CONVERT(UNHEX('%s') USING utf8mb4), @app_user = CONVERT(UNHEX('%s') USING utf8mb4), @app_password = 'pw';\n%s",
					hexOf(c.db), hexOf(c.user), sql)
				if r := m.SQL(t, "", stmt); r.Code == 0 {
					t.Fatalf("init.sql accepted database %q user %q: %s", c.db, c.user, r)
				}
			})
		}
		r := m.SQL(t, "", "SELECT COUNT(*) FROM mysql.user WHERE User = 'evil'")
		if strings.TrimSpace(r.Stdout) != "0" {
			t.Errorf("user evil exists: %s", r)
		}
		if r := m.SQL(t, "", "SELECT 1"); r.Code != 0 {
			t.Errorf("root lost access: %s", r)
		}
	})
}

func seedMariaDB(t *testing.T, m *MariaDB, dir string) {
	t.Helper()
	a, b := app{"wordpress", "wordpress", "wordpress", hostilePasswords[1]}, app{"shop", "shop", "shop_user", hostilePasswords[4]}
	writeApps(t, dir, a, b)
	if r := script(t, "mariadb", "init.sh", Account{}, m.Env(), "", dir); r.Code != 0 {
		t.Fatalf("init.sh: %s", r)
	}
	sql := "CREATE TABLE wp_posts (id int AUTO_INCREMENT PRIMARY KEY, body longtext) ENGINE=InnoDB;\n" +
		"INSERT INTO wp_posts (body) SELECT CONCAT('row ', seq, ' it''s ),( a \\\\ trap\\n', REPEAT('x', seq)) FROM seq_1_to_3000;\n" +
		"CREATE TABLE `weird ``name`` (x)` (v varchar(100));\n" +
		"INSERT INTO `weird ``name`` (x)` VALUES ('INSERT INTO `wp_posts` VALUES (1),(2);'), (''), (NULL);\n" +
		"CREATE TABLE wp_empty (x int);\n" +
		"CREATE VIEW wp_titles AS SELECT id FROM wp_posts;\n"
	if r := m.SQLAs(t, a.user, a.password, a.database, sql); r.Code != 0 {
		t.Fatalf("seed %s: %s", a.database, r)
	}
	if r := m.SQLAs(t, b.user, b.password, b.database, "CREATE TABLE orders (id int); INSERT INTO orders SELECT seq FROM seq_1_to_42;"); r.Code != 0 {
		t.Fatalf("seed %s: %s", b.database, r)
	}
}

func TestMariaDBBackupAndRestoreCheck(t *testing.T) {
	Tool(t, "rclone")
	m := StartMariaDB(t)
	srv := s3test.Start(t)
	bucket := NewBucket(t, srv, "backups")
	seedMariaDB(t, m, t.TempDir())
	work := Account{}.Dir(t, "dbtest-work-")

	r := script(t, "mariadb", "backup.sh", Account{}, backupEnv(m.Env(), bucket, work), "")
	if r.Code != 0 {
		t.Fatalf("backup.sh: %s", r)
	}
	checkMemory(t, "mariadb", "backup.sh", r)
	runs := bucket.Runs(t, "mariadb")
	if len(runs) != 1 {
		t.Fatalf("complete runs after one backup: %v", runs)
	}
	run := runs[0]
	wantKeys := []string{run + "/SHA256SUMS", run + "/manifest", run + "/shop.rows", run + "/shop.sql.gz", run + "/users.sql.gz", run + "/wordpress.rows", run + "/wordpress.sql.gz"}
	if keys := bucket.Keys(t, run+"/"); !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("backup objects %v, want %v", keys, wantKeys)
	}
	check := func(extra ...string) Result {
		return script(t, "mariadb", "restore-check.sh", Account{}, append(backupEnv(nil, bucket, work), extra...), "")
	}
	t.Run("restore check passes", func(t *testing.T) {
		r := check("RESTORE_CHECK_EXPECTED_TABLES=wordpress:wp_posts,wp_empty shop:orders")
		if r.Code != 0 {
			t.Fatalf("restore-check.sh: %s", r)
		}
		checkMemory(t, "mariadb", "restore-check.sh", r)
		for _, want := range []string{
			`fullfrontend_db_restore_check_success{engine="mariadb"} 1`,
			`fullfrontend_db_restore_check_rows{engine="mariadb",database="wordpress"} 3003`,
			`fullfrontend_db_restore_check_tables{engine="mariadb",database="wordpress"} 3`,
			`fullfrontend_db_restore_check_rows{engine="mariadb",database="shop"} 42`,
		} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("metrics lack %s:\n%s", want, r)
			}
		}
	})
	t.Run("missing expected table fails", func(t *testing.T) {
		r := check("RESTORE_CHECK_EXPECTED_TABLES=wordpress:wp_options")
		if r.Code == 0 || !strings.Contains(r.Stderr, "expected table wp_options is missing") {
			t.Fatalf("restore-check.sh: %s", r)
		}
	})
	t.Run("tampered backups", func(t *testing.T) {
		tamperAndCheck(t, "mariadb", bucket, run, "wordpress.sql.gz", func() Result { return check() })
	})
	t.Run("failed upload fails the backup", func(t *testing.T) {
		failedUploads(t, "mariadb", srv, bucket, m.Env(), work)
	})
	t.Run("failed dump fails the backup", func(t *testing.T) {
		r := script(t, "mariadb", "backup.sh", Account{}, backupEnv(m.EnvAs("root", "wrong"), bucket, work), "")
		if r.Code == 0 || !strings.Contains(r.Stderr, "cannot connect") {
			t.Fatalf("backup with a wrong password: %s", r)
		}
	})
}
