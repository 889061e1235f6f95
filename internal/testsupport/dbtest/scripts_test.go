package dbtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/s3test"
)

// hostilePasswords are passwords that would break naive quoting in SQL, the
// shell, psql or the MariaDB client; every one must work for logging in.
var hostilePasswords = []string{
	`it's a "quote"`,
	`back\slash\\ and \'`,
	`$dollar $(touch /tmp/pwned) ${HOME} ` + "`id`",
	` spaces  around `,
	`ünïcödé-密码-🔑`,
	`';DROP ROLE victim;--`,
	`:'app_user' :app_database %s %I %L \gexec`,
	`x\'); DROP DATABASE victim; -- `,
}

// hostileNames are database or user names the scripts must refuse.
var hostileNames = []struct{ name, value string }{
	{"quote injection", `x"; DROP DATABASE victim; --`},
	{"upper case", "Blog"},
	{"leading digit", "1blog"},
	{"hyphen", "my-app"},
	{"space", "my app"},
	{"non-ASCII", "café"},
	{"too long", strings.Repeat("a", 64)},
	{"backtick", "a`b"},
	{"empty", ""},
}

// app is one entry of a credentials map.
type app struct{ key, database, user, password string }

// writeApps writes the files the init Job's Secret mounts: <app>.database,
// <app>.user and <app>.password per app.
func writeApps(t *testing.T, dir string, apps ...app) {
	t.Helper()
	for _, a := range apps {
		for suffix, v := range map[string]string{"database": a.database, "user": a.user, "password": a.password} {
			if err := os.WriteFile(filepath.Join(dir, a.key+"."+suffix), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// script runs one of a module's files with sh (dash on Debian, as in the
// official images), as the given account.
func script(t *testing.T, engine, name string, as Account, env []string, stdin string, args ...string) Result {
	t.Helper()
	path := filepath.Join(ScriptDir(t, engine), name)
	// In the cluster the shared library sits beside the scripts.
	env = append(append([]string{}, env...), "DB_LIB_DIR="+LibDir(t))
	return Run(t, as, env, stdin, "/bin/sh", append([]string{path}, args...)...)
}

// jobMemoryLimits are the memory limits of the backup and restore-check
// containers (modules/database/main.tf, dump_jobs; docs/capacity.md).
var jobMemoryLimits = map[string]int64{"backup.sh": 512 << 20, "restore-check.sh": 1 << 30}

// checkMemory holds a script's measured peak to its container's limit; the
// figure goes into docs/capacity.md (run with -v).
func checkMemory(t *testing.T, engine, name string, r Result) {
	t.Helper()
	limit := jobMemoryLimits[name]
	t.Logf("%s %s: peak memory %d MiB (PSS of its processes and its scratch server), limit %d MiB", engine, name, r.PeakMemory>>20, limit>>20)
	switch {
	case r.PeakMemory == 0:
		t.Errorf("%s %s: no memory measured: the sampler read nothing", engine, name)
	case r.PeakMemory > limit:
		t.Errorf("%s %s took %d MiB, over its container's limit of %d MiB: raise it in modules/database/main.tf", engine, name, r.PeakMemory>>20, limit>>20)
	}
}

// created returns the "init: created ..." lines of an init run.
func created(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "init: created ") {
			lines = append(lines, strings.TrimPrefix(l, "init: created "))
		}
	}
	return lines
}

// backupEnv is what a backup or restore-check run sees: the engine's
// connection (nil for the restore check), the bucket, and a work directory.
func backupEnv(conn []string, b *Bucket, work string) []string {
	env := append(append([]string{}, conn...), b.Env()...)
	return append(env, "BACKUP_WORK_DIR="+work, "HOME="+work, "PATH="+DefaultPath())
}

// tamperCase copies the newest complete run to a newer run folder with one
// change, so that the restore check picks it up.
type tamperCase struct {
	name string
	// edit changes the files of the copy (name -> content); it returns
	// whether SHA256SUMS and the manifest are rewritten to match.
	edit     func(files map[string][]byte, dump string) (resum bool)
	wantPass bool
	want     string // in the restore check's stderr
}

func tamperCases() []tamperCase {
	return []tamperCase{
		{"truncated dump, checksums unchanged", func(f map[string][]byte, d string) bool {
			f[d] = f[d][:len(f[d])/2]
			return false
		}, false, "checksum mismatch"},
		{"truncated dump, checksums rewritten", func(f map[string][]byte, d string) bool {
			f[d] = f[d][:len(f[d])*2/3]
			return true
		}, false, "FAILED"},
		{"empty dump, checksums rewritten", func(f map[string][]byte, d string) bool {
			f[d] = []byte{}
			return true
		}, false, "FAILED"},
		{"corrupted bytes, checksums rewritten", func(f map[string][]byte, d string) bool {
			b := append([]byte{}, f[d]...)
			for i := len(b) / 3; i < len(b)/3+64 && i < len(b); i++ {
				b[i] ^= 0x5a
			}
			f[d] = b
			return true
		}, false, "FAILED"},
		{"manifest tampered", func(f map[string][]byte, d string) bool {
			f["manifest"] = []byte(strings.Replace(string(f["manifest"]), "sha256sums=", "sha256sums=00", 1))
			return false
		}, false, "does not match the manifest"},
		{"dump listed but missing", func(f map[string][]byte, d string) bool {
			delete(f, d)
			return false
		}, false, "download of"},
		{"incomplete newer run (no manifest) is skipped", func(f map[string][]byte, d string) bool {
			delete(f, "manifest")
			return false
		}, true, "no manifest"},
	}
}

var runRe = regexp.MustCompile(`^db/[a-z]+/\d{4}-\d{2}-\d{2}/\d{6}Z$`)

// tamperAndCheck runs every tamper case against a copy of run and asserts
// the restore check's verdict.
func tamperAndCheck(t *testing.T, engine string, b *Bucket, run, dump string, check func() Result) {
	t.Helper()
	if !runRe.MatchString(run) {
		t.Fatalf("run prefix %q does not follow db/<engine>/<YYYY-MM-DD>/<HHMMSS>Z", run)
	}
	// The copy sorts after any real run of the same day.
	copyRun := run[:strings.LastIndex(run, "/")] + "/999999Z"
	for _, tc := range tamperCases() {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for _, k := range b.Keys(t, run+"/") {
				name := strings.TrimPrefix(k, run+"/")
				if name == "restore-check.prom" {
					continue
				}
				files[name] = b.Get(t, k)
			}
			if _, ok := files[dump]; !ok {
				t.Fatalf("%s has no %s: %v", run, dump, files)
			}
			if tc.edit(files, dump) {
				var sums strings.Builder
				for _, line := range strings.Split(strings.TrimSpace(string(files["SHA256SUMS"])), "\n") {
					name := line[strings.Index(line, "  ")+2:]
					sum := sha256.Sum256(files[name])
					fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
				}
				files["SHA256SUMS"] = []byte(sums.String())
				all := sha256.Sum256(files["SHA256SUMS"])
				m := regexp.MustCompile(`(?m)^sha256sums=.*$`).ReplaceAllString(string(files["manifest"]), "sha256sums="+hex.EncodeToString(all[:]))
				files["manifest"] = []byte(m)
			}
			for name, data := range files {
				if name != "manifest" {
					b.Put(t, copyRun+"/"+name, data)
				}
			}
			if m, ok := files["manifest"]; ok {
				b.Put(t, copyRun+"/manifest", m)
			}
			t.Cleanup(func() { b.Delete(t, copyRun+"/") })
			r := check()
			if pass := r.Code == 0; pass != tc.wantPass {
				t.Fatalf("restore check passed=%v, want %v:\n%s", pass, tc.wantPass, r)
			}
			if !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("restore check output does not say %q:\n%s", tc.want, r)
			}
			if !tc.wantPass && !strings.Contains(r.Stdout, `fullfrontend_db_restore_check_success{engine="`+engine+`"} 0`) {
				t.Errorf("failed check did not report success 0:\n%s", r.Stdout)
			}
		})
	}
}

// failedUploads proves that a backup whose upload fails exits non-zero and
// leaves no new complete run.
func failedUploads(t *testing.T, engine string, srv *s3test.Server, b *Bucket, conn []string, work string) {
	t.Helper()
	before := b.Runs(t, engine)
	cases := []struct {
		name string
		env  []string
	}{
		{"wrong secret key", b.EnvWithKeys(srv.AccessKey, "wrong-"+srv.SecretKey)},
		{"server unreachable", append(b.Env(), "BACKUP_S3_ENDPOINT=http://127.0.0.1:1")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := append(append(append([]string{}, conn...), c.env...), "BACKUP_WORK_DIR="+work, "HOME="+work, "PATH="+DefaultPath())
			r := script(t, engine, "backup.sh", Account{}, env, "")
			if r.Code == 0 {
				t.Fatalf("backup succeeded with %s:\n%s", c.name, r)
			}
			if !strings.Contains(r.Stderr, "ERROR: upload of") {
				t.Errorf("backup did not report the failed upload:\n%s", r)
			}
			if after := b.Runs(t, engine); len(after) != len(before) {
				t.Errorf("complete runs %v -> %v: a failed backup left a manifest", before, after)
			}
		})
	}
}
