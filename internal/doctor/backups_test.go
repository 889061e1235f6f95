package doctor

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"fullfrontend.be/infra/internal/testsupport/s3test"
)

// backupRun is one run folder to write: its time, whether it finished
// (manifest) and the restore check result stored beside it, if any.
type backupRun struct {
	at       time.Time
	complete bool
	check    string // "" none; else restore-check.prom content
}

// checkProm is a restore-check.prom as db-lib.sh writes it.
func checkProm(success int, at time.Time) string {
	return fmt.Sprintf("fullfrontend_db_restore_check_download_seconds{engine=\"postgres\"} 3\n"+
		"fullfrontend_db_restore_check_success{engine=\"postgres\"} %d\n"+
		"fullfrontend_db_restore_check_timestamp_seconds{engine=\"postgres\"} %d\n", success, at.Unix())
}

func putRuns(t *testing.T, cl *minio.Client, bucket string, runs []backupRun) {
	t.Helper()
	put := func(key, body string) {
		if _, err := cl.PutObject(t.Context(), bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	for _, r := range runs {
		prefix := "db/postgres/" + r.at.UTC().Format("2006-01-02/150405Z") + "/"
		put(prefix+"app.dump", "dump data")
		put(prefix+"SHA256SUMS", "0000  app.dump\n")
		if r.complete {
			put(prefix+manifestFile, fmt.Sprintf("format=fullfrontend-db-backup/1\ndatabases=app\ncompleted_at=%s\ncompleted_epoch=%d\n", r.at.UTC().Format(time.RFC3339), r.at.Unix()))
		}
		if r.check != "" {
			put(prefix+restoreCheckFile, r.check)
		}
	}
}

func TestDumps(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	root, err := minio.New(strings.TrimPrefix(srv.Endpoint(), "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	h := func(n int) time.Time { return now.Add(-time.Duration(n) * time.Hour) }
	tests := []struct {
		name  string
		runs  []backupRun
		keys  [2]string // access, secret; empty: the server's
		wants map[string]want
	}{
		{name: "fresh dump, passed check", runs: []backupRun{
			{at: h(30), complete: true, check: checkProm(1, h(29))},
			{at: h(6), complete: true, check: checkProm(1, h(5))},
		}, wants: map[string]want{
			"dump postgres":          {OK, "newest complete dump db/postgres/2026-03-10/060000Z, 6 h old"},
			"restore check postgres": {OK, "passed 5 h ago on db/postgres/2026-03-10/060000Z"},
		}},
		{name: "runs across days, the newest day wins", runs: []backupRun{
			{at: h(47), complete: true, check: checkProm(1, h(46))},
			{at: h(13), complete: true, check: checkProm(1, h(12))}, // 2026-03-09 23:00
		}, wants: map[string]want{
			"dump postgres":          {OK, "2026-03-09/230000Z, 13 h old"},
			"restore check postgres": {OK, "passed 12 h ago"},
		}},
		{name: "dump and check too old", runs: []backupRun{
			{at: h(30), complete: true, check: checkProm(1, h(29))},
		}, wants: map[string]want{
			"dump postgres":          {Error, "30 h old, older than 26 h"},
			"restore check postgres": {Error, "last passed 29 h ago"},
		}},
		{name: "newest run unfinished, the previous one counts", runs: []backupRun{
			{at: h(20), complete: true, check: checkProm(1, h(19))},
			{at: h(1), complete: false},
		}, wants: map[string]want{
			"dump postgres":          {OK, "20 h old (1 newer run(s) without a manifest"},
			"restore check postgres": {OK, "passed 19 h ago"},
		}},
		{name: "failed restore check", runs: []backupRun{
			{at: h(30), complete: true, check: checkProm(1, h(29))},
			{at: h(6), complete: true, check: checkProm(0, h(5))},
		}, wants: map[string]want{
			"restore check postgres": {Error, "FAILED on 2026-03-10 07:00Z (5 h ago) for db/postgres/2026-03-10/060000Z"},
		}},
		{name: "restore check result without samples", runs: []backupRun{
			{at: h(6), complete: true, check: "# nothing\n"},
		}, wants: map[string]want{
			"restore check postgres": {Error, "has no success or timestamp sample"},
		}},
		{name: "only an unfinished run", runs: []backupRun{{at: h(2)}}, wants: map[string]want{
			"dump postgres":          {Error, "no complete dump (folder with a manifest) under s3://"},
			"restore check postgres": {Error, "the restore check never finished a run"},
		}},
		{name: "empty bucket", wants: map[string]want{
			"dump postgres":          {Error, "no complete dump"},
			"restore check postgres": {Error, "no restore-check.prom"},
		}},
		{name: "keys the server rejects", keys: [2]string{"nobody", "wrong-secret"}, runs: []backupRun{{at: h(2), complete: true}}, wants: map[string]want{
			"dump postgres":          {Error, "list s3://"},
			"restore check postgres": {Error, "list s3://"},
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bucket := fmt.Sprintf("backups-%d", i)
			if err := root.MakeBucket(t.Context(), bucket, minio.MakeBucketOptions{}); err != nil {
				t.Fatal(err)
			}
			putRuns(t, root, bucket, tt.runs)
			e := testExpect(t)
			e.Backups.S3.Bucket = bucket
			e.Backups.VeleroSchedules = nil
			access, secret := srv.AccessKey, srv.SecretKey
			if tt.keys[0] != "" {
				access, secret = tt.keys[0], tt.keys[1]
			}
			rep := runGroups(t, Options{
				Expect: e, Now: now,
				S3: S3Access{AccessKeyID: access, SecretAccessKey: secret, Endpoint: srv.Endpoint()},
				// No cluster here: the CronJob checks fail on their own line.
				Kube: KubeAccess{Kubeconfig: filepath.Join(t.TempDir(), "absent")},
			}, GroupBackups)
			wants := tt.wants
			wants["API server"] = want{Error, "read kubeconfig"}
			expectChecks(t, rep, []string{GroupBackups}, wants)
		})
	}
	t.Run("without keys", func(t *testing.T) {
		t.Parallel()
		e := testExpect(t)
		rep := runGroups(t, Options{Expect: e, Now: now, Kube: KubeAccess{Kubeconfig: filepath.Join(t.TempDir(), "absent")}}, GroupBackups)
		expectChecks(t, rep, []string{GroupBackups}, map[string]want{
			"dump postgres":          {Warning, "not checked: no S3 keys"},
			"restore check postgres": {Warning, "not checked: no S3 keys"},
			"API server":             {Error, "read kubeconfig"},
		})
		for _, c := range rep.Checks {
			if c.Name == "dump postgres" && !strings.Contains(c.Fix, "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
				t.Errorf("fix does not say how to give the keys: %q", c.Fix)
			}
		}
	})
}

func TestPromValue(t *testing.T) {
	t.Parallel()
	text := "# HELP x\nfullfrontend_db_restore_check_success{engine=\"postgres\"} 1\nfullfrontend_db_restore_check_success{engine=\"mariadb\"} 0\ncompleted_epoch=1700000000\nfoo_total 3 1700000000000\n"
	tests := []struct {
		key  string
		want float64
		ok   bool
	}{
		{`fullfrontend_db_restore_check_success{engine="postgres"}`, 1, true},
		{`fullfrontend_db_restore_check_success{engine="mariadb"}`, 0, true},
		{"completed_epoch", 1700000000, true},
		{"foo_total", 3, true},
		{"foo", 0, false},
		{`fullfrontend_db_restore_check_success{engine="valkey"}`, 0, false},
	}
	for _, tt := range tests {
		got, ok := promValue(text, tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("promValue(%q) = %v, %v; want %v, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}
