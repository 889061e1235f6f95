package dbtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/s3test"
)

// restoreEngine is what the restore tests share between the engines: how to
// run restore.sh, read the live data, and break a run.
type restoreEngine struct {
	name     string
	dump     string                               // the database's file in a run
	count    func(t *testing.T, db string) string // rows of the table the tests change
	change   func(t *testing.T)                   // a write by the app after the backup
	dbs      func(t *testing.T) []string          // databases of the server
	leftover func(t *testing.T, db string)        // what an interrupted restore leaves
}

var resultRe = regexp.MustCompile(`restore: result=(\S+) database=(\S+) run=(\S+)(?: tables=(\d+) rows=(\d+))?(?: kept=(\S+))?`)

// restoreResult is the last "restore: result=…" line: result, kept copy.
func restoreResult(t *testing.T, r Result) (string, string) {
	t.Helper()
	m := resultRe.FindAllStringSubmatch(r.Stderr, -1)
	if len(m) == 0 {
		return "", ""
	}
	last := m[len(m)-1]
	return last[1], last[6]
}

// testRestore runs restore.sh of e against a backup the engine's own
// backup.sh made of the live server, for the database db whose table the
// tests change.
func testRestore(t *testing.T, e restoreEngine, db string, restore func(extra []string, args ...string) Result, bucket *Bucket, run string) {
	before := e.count(t, db)
	e.change(t)
	changed := e.count(t, db)
	if changed == before {
		t.Fatalf("the change did not change the row count (%s)", before)
	}
	mustFail := func(t *testing.T, r Result, want string) {
		t.Helper()
		if r.Code == 0 || !strings.Contains(r.Stderr, want) {
			t.Fatalf("restore.sh should fail saying %q: %s", want, r)
		}
		if got := e.count(t, db); got != changed {
			t.Fatalf("a failed restore changed the live database: %s rows, was %s", got, changed)
		}
	}

	t.Run("dry run changes nothing", func(t *testing.T) {
		r := restore([]string{"RESTORE_DRY_RUN=1"}, db)
		if res, _ := restoreResult(t, r); r.Code != 0 || res != "dry-run" {
			t.Fatalf("dry run: %s", r)
		}
		if got := e.count(t, db); got != changed {
			t.Fatalf("dry run changed the live database: %s rows, was %s", got, changed)
		}
	})
	t.Run("run without a manifest is refused, naming the complete ones", func(t *testing.T) {
		partial := "db/" + e.name + "/2026-01-01/000000Z"
		bucket.Put(t, partial+"/"+e.dump, bucket.Get(t, run+"/"+e.dump))
		t.Cleanup(func() { bucket.Delete(t, partial+"/") })
		r := restore(nil, db, partial)
		mustFail(t, r, "has no manifest")
		if !strings.Contains(r.Stderr, run) {
			t.Errorf("the refusal does not list the complete run %s: %s", run, r)
		}
	})
	t.Run("database not in the backup", func(t *testing.T) {
		mustFail(t, restore(nil, "nosuchdb"), "holds no database nosuchdb")
	})
	t.Run("dump altered after the backup", func(t *testing.T) {
		altered := run[:strings.LastIndex(run, "/")] + "/999999Z"
		for _, k := range bucket.Keys(t, run+"/") {
			data := bucket.Get(t, k)
			if strings.HasSuffix(k, "/"+e.dump) {
				data = data[:len(data)/2]
			}
			bucket.Put(t, altered+strings.TrimPrefix(k, run), data)
		}
		defer bucket.Delete(t, altered+"/")
		mustFail(t, restore(nil, db), "checksum mismatch")
	})
	rowsFile := strings.TrimSuffix(strings.TrimSuffix(e.dump, ".dump"), ".sql.gz") + ".rows"
	t.Run("a backup made before the row files is counted from its dump", func(t *testing.T) {
		older := run[:strings.LastIndex(run, "/")] + "/000001Z"
		copyRun(t, bucket, run, older, func(files map[string][]byte) {
			for name := range files {
				if strings.HasSuffix(name, ".rows") {
					delete(files, name)
				}
			}
		})
		recorded := restore([]string{"RESTORE_DRY_RUN=1"}, db, run)
		counted := restore([]string{"RESTORE_DRY_RUN=1"}, db, older)
		if res, _ := restoreResult(t, counted); counted.Code != 0 || res != "dry-run" || !strings.Contains(counted.Stderr, "counting the rows of the dump") {
			t.Fatalf("dry run on a backup without row files: %s", counted)
		}
		tables := regexp.MustCompile(`tables=\d+ rows=\d+`)
		if a, b := tables.FindString(recorded.Stderr), tables.FindString(counted.Stderr); a == "" || a != b {
			t.Fatalf("rows recorded by the backup (%s) and counted in the dump (%s) differ", a, b)
		}
	})
	t.Run("a table whose rows differ from the backup's record is named, the live database untouched", func(t *testing.T) {
		// The newest run: its record says one row more than the dump holds.
		off := run[:strings.LastIndex(run, "/")] + "/999998Z"
		var table string
		copyRun(t, bucket, run, off, func(files map[string][]byte) {
			lines := strings.Split(strings.TrimSpace(string(files[rowsFile])), "\n")
			name, n, _ := strings.Cut(lines[len(lines)-1], "\t")
			table = name
			lines[len(lines)-1] = name + "\t" + n + "1"
			files[rowsFile] = []byte(strings.Join(lines, "\n") + "\n")
		})
		r := restore(nil, db)
		mustFail(t, r, "does not match the dump")
		if !strings.Contains(r.Stderr, table) {
			t.Errorf("the failure does not name the table %s: %s", table, r)
		}
	})
	t.Run("an interrupted restore is done again", func(t *testing.T) {
		e.leftover(t, db)
		r := restore(nil, db)
		if res, kept := restoreResult(t, r); r.Code != 0 || res != "restored" || kept == "" || !strings.Contains(r.Stderr, "left by an interrupted restore") {
			t.Fatalf("restore after an interrupted one: %s", r)
		}
		if got := e.count(t, db); got != before {
			t.Fatalf("after the restore: %s rows, want the backup's %s", got, before)
		}
	})
	t.Run("the same backup again changes nothing", func(t *testing.T) {
		dbs := e.dbs(t)
		r := restore(nil, db, run)
		if res, _ := restoreResult(t, r); r.Code != 0 || res != "unchanged" {
			t.Fatalf("second restore of %s: %s", run, r)
		}
		if got := e.dbs(t); strings.Join(got, " ") != strings.Join(dbs, " ") {
			t.Fatalf("the second restore changed the databases: %v, was %v", got, dbs)
		}
	})
	t.Run("the previous database is kept", func(t *testing.T) {
		var kept []string
		for _, d := range e.dbs(t) {
			if strings.HasPrefix(d, db+"_before_") {
				kept = append(kept, d)
			}
		}
		if len(kept) != 1 {
			t.Fatalf("kept copies of %s: %v, want one", db, kept)
		}
		if got := e.count(t, kept[0]); got != changed {
			t.Fatalf("%s has %s rows, want the %s the live database had before the restore", kept[0], got, changed)
		}
	})
}

func TestPostgresRestore(t *testing.T) {
	Tool(t, "rclone")
	pg := StartPostgres(t)
	srv := s3test.Start(t)
	bucket := NewBucket(t, srv, "backups")
	seedPostgres(t, pg, t.TempDir())
	work := t.TempDir()
	if r := script(t, "postgres", "backup.sh", Account{}, backupEnv(pg.Env(), bucket, work), ""); r.Code != 0 {
		t.Fatalf("backup.sh: %s", r)
	}
	run := bucket.Runs(t, "postgres")[0]
	psql := func(t *testing.T, db, sql string) string {
		t.Helper()
		r := pg.Psql(t, db, sql)
		if r.Code != 0 {
			t.Fatalf("psql %s: %s", sql, r)
		}
		return strings.TrimSpace(r.Stdout)
	}
	e := restoreEngine{
		name:  "postgres",
		dump:  "n8n.dump",
		count: func(t *testing.T, db string) string { return psql(t, db, "SELECT count(*) FROM items") },
		change: func(t *testing.T) {
			psql(t, "n8n", "INSERT INTO items (body) SELECT 'after ' || g FROM generate_series(1, 7) g")
		},
		dbs: func(t *testing.T) []string {
			return strings.Fields(psql(t, "postgres", "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1"))
		},
		// A real interruption: pg_restore is killed with the script
		// (SIGKILL, no trap runs) once the schema is in the copy.
		leftover: func(t *testing.T, db string) {
			bin := t.TempDir()
			real := Tool(t, "pg_restore")
			// Only the restore into the copy (-d), not the reading of
			// the dump's rows before it.
			wrapper := "#!/bin/sh\ncase \" $* \" in *\" -d \"*) " + real + ` --section=pre-data "$@"; kill -9 $PPID ;; esac` + "\nexec " + real + ` "$@"` + "\n"
			if err := os.WriteFile(filepath.Join(bin, "pg_restore"), []byte(wrapper), 0o755); err != nil {
				t.Fatal(err)
			}
			env := append(backupEnv(pg.Env(), bucket, work), "PATH="+bin+":"+DefaultPath())
			r := script(t, "postgres", "restore.sh", Account{}, env, "", db)
			if r.Code == 0 {
				t.Fatalf("the interrupted restore succeeded: %s", r)
			}
			if n := psql(t, "postgres", "SELECT count(*) FROM pg_database WHERE datname = '"+db+"__restoring'"); n != "1" {
				t.Fatalf("the interrupted restore left no %s__restoring: %s", db, r)
			}
		},
	}
	restore := func(extra []string, args ...string) Result {
		return script(t, "postgres", "restore.sh", Account{}, append(backupEnv(pg.Env(), bucket, work), extra...), "", args...)
	}
	testRestore(t, e, "n8n", restore, bucket, run)

	t.Run("the restored database is the backup's", func(t *testing.T) {
		if got := psql(t, "n8n", `SELECT count(*) FROM "Weird ""name"" (x)"`); got != "3" {
			t.Errorf("awkward table: %s rows", got)
		}
		if got := psql(t, "n8n", "SELECT count(*) FROM app.events"); got != "500" {
			t.Errorf("partitioned table: %s rows", got)
		}
		if got := psql(t, "postgres", "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'n8n'"); !strings.HasPrefix(got, "fullfrontend-restore run="+run+" sha256=") {
			t.Errorf("mark of the restored database: %q", got)
		}
		// The app's own login still works on it once db ensure has run
		// (init.sh, as `infra db ensure` runs it).
		dir := t.TempDir()
		writeApps(t, dir, app{"n8n", "n8n", "n8n", hostilePasswords[1]})
		if r := script(t, "postgres", "init.sh", Account{}, pg.Env(), "", dir); r.Code != 0 {
			t.Fatalf("init.sh after the restore: %s", r)
		}
		if r := pg.PsqlAs(t, "n8n", hostilePasswords[1], "n8n", "INSERT INTO items (body) VALUES ('written by the app')"); r.Code != 0 {
			t.Fatalf("the app cannot write to the restored database: %s", r)
		}
	})
}

func TestMariaDBRestore(t *testing.T) {
	Tool(t, "rclone")
	m := StartMariaDB(t)
	srv := s3test.Start(t)
	bucket := NewBucket(t, srv, "backups")
	seedMariaDB(t, m, t.TempDir())
	work := t.TempDir()
	if r := script(t, "mariadb", "backup.sh", Account{}, backupEnv(m.Env(), bucket, work), ""); r.Code != 0 {
		t.Fatalf("backup.sh: %s", r)
	}
	run := bucket.Runs(t, "mariadb")[0]
	sql := func(t *testing.T, db, q string) string {
		t.Helper()
		r := m.SQL(t, db, q)
		if r.Code != 0 {
			t.Fatalf("mariadb %s: %s", q, r)
		}
		return strings.TrimSpace(r.Stdout)
	}
	e := restoreEngine{
		name:   "mariadb",
		dump:   "shop.sql.gz",
		count:  func(t *testing.T, db string) string { return sql(t, db, "SELECT COUNT(*) FROM orders") },
		change: func(t *testing.T) { sql(t, "shop", "INSERT INTO orders SELECT seq FROM seq_100_to_106") },
		dbs: func(t *testing.T) []string {
			return strings.Fields(sql(t, "", "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1"))
		},
		// A real interruption: the load into the copy (the client call
		// without -e, at the end of a pipe) takes the start of the dump,
		// then the script is killed (SIGKILL, no trap runs).
		leftover: func(t *testing.T, db string) {
			bin := t.TempDir()
			real := Tool(t, "mariadb")
			wrapper := "#!/bin/sh\ncase \" $* \" in *\" -e \"*) exec " + real + ` "$@" ;; esac` + "\n" +
				"head -c 20000 | " + real + ` "$@"` + "\nkill -9 $(ps -o ppid= -p $PPID)\n"
			if err := os.WriteFile(filepath.Join(bin, "mariadb"), []byte(wrapper), 0o755); err != nil {
				t.Fatal(err)
			}
			env := append(backupEnv(m.Env(), bucket, work), "PATH="+bin+":"+DefaultPath())
			r := script(t, "mariadb", "restore.sh", Account{}, env, "", db)
			if r.Code == 0 {
				t.Fatalf("the interrupted restore succeeded: %s", r)
			}
			if n := sql(t, "", "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '"+db+"__restoring'"); n != "1" {
				t.Fatalf("the interrupted restore left no %s__restoring: %s", db, r)
			}
		},
	}
	restore := func(extra []string, args ...string) Result {
		return script(t, "mariadb", "restore.sh", Account{}, append(backupEnv(m.Env(), bucket, work), extra...), "", args...)
	}
	testRestore(t, e, "shop", restore, bucket, run)

	t.Run("a database with a view is refused", func(t *testing.T) {
		r := restore(nil, "wordpress")
		if r.Code == 0 || !strings.Contains(r.Stderr, "view wp_titles") {
			t.Fatalf("restore of a database with a view: %s", r)
		}
	})
}

// copyRun copies the complete run from to the run to, with edit applied to
// its files (name -> content), and rewrites SHA256SUMS and the manifest's
// hash of it to match, as a backup that really held those files would.
func copyRun(t *testing.T, b *Bucket, from, to string, edit func(files map[string][]byte)) {
	t.Helper()
	files := map[string][]byte{}
	for _, k := range b.Keys(t, from+"/") {
		if name := strings.TrimPrefix(k, from+"/"); name != "manifest" && name != "SHA256SUMS" && name != "restore-check.prom" {
			files[name] = b.Get(t, k)
		}
	}
	edit(files)
	var sums strings.Builder
	for _, name := range slices.Sorted(maps.Keys(files)) {
		sum := sha256.Sum256(files[name])
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
		b.Put(t, to+"/"+name, files[name])
	}
	all := sha256.Sum256([]byte(sums.String()))
	manifest := regexp.MustCompile(`(?m)^sha256sums=.*$`).ReplaceAllString(string(b.Get(t, from+"/manifest")), "sha256sums="+hex.EncodeToString(all[:]))
	b.Put(t, to+"/SHA256SUMS", []byte(sums.String()))
	b.Put(t, to+"/manifest", []byte(manifest))
	t.Cleanup(func() { b.Delete(t, to+"/") })
}
