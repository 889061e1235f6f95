package doctor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Environment variables holding the backup bucket's keys: the names the
// database backup Jobs use too (modules/database, Secret <engine>-backup-s3).
const (
	AccessKeyEnv = "AWS_ACCESS_KEY_ID"
	SecretKeyEnv = "AWS_SECRET_ACCESS_KEY"
)

// Files of a database backup run (modules/database/files/db-lib.sh).
const (
	manifestFile     = "manifest"
	restoreCheckFile = "restore-check.prom"
)

// s3SigningRegion: Spaces ignores the signing region (the endpoint names
// it) and the local S3 server of the tests expects us-east-1.
const s3SigningRegion = "us-east-1"

// checkBackups checks the database dumps and restore checks in the bucket,
// the database CronJobs, and the Velero backups of every schedule.
func (r *runner) checkBackups(ctx context.Context) []Check {
	c := &checks{group: GroupBackups}
	b := r.o.Expect.Backups
	if len(b.Databases) == 0 && len(b.VeleroSchedules) == 0 {
		c.ok("backups", "the stack declares no database and no Velero schedule: nothing to check")
		return c.list
	}
	r.checkDumps(ctx, c)
	k, err := r.kubeClient(ctx)
	if err != nil {
		c.fail("API server", err.Error(), "give --kubeconfig (prod: <repo>/.kube/config, written by doctl) and --context")
		return c.list
	}
	for _, d := range b.Databases {
		r.checkCronJob(ctx, c, k, d.Namespace, d.BackupCronJob)
		r.checkCronJob(ctx, c, k, d.Namespace, d.RestoreCheckCronJob)
	}
	for _, s := range b.VeleroSchedules {
		r.checkVelero(ctx, c, k, b.VeleroNamespace, s)
	}
	return c.list
}

// s3Client connects to the backup bucket, or says why it cannot.
func (r *runner) s3Client() (*minio.Client, string, error) {
	loc := r.o.Expect.Backups.S3
	endpoint := loc.Endpoint
	if r.o.S3.Endpoint != "" {
		endpoint = r.o.S3.Endpoint
	}
	where := fmt.Sprintf("s3://%s at %s", loc.Bucket, endpoint)
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, where, fmt.Errorf("backups.s3.endpoint %q is not an http(s) URL (give --s3-endpoint)", endpoint)
	}
	cl, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(r.o.S3.AccessKeyID, r.o.S3.SecretAccessKey, ""),
		Secure: u.Scheme == "https",
		Region: s3SigningRegion,
		// Path style works with Spaces and with a local server on an IP.
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   2,
	})
	if err != nil {
		return nil, where, fmt.Errorf("S3 client for %s: %w", endpoint, err)
	}
	return cl, where, nil
}

// checkDumps checks, for each database, the newest complete dump and the
// newest restore check result in the bucket.
func (r *runner) checkDumps(ctx context.Context, c *checks) {
	dbs := r.o.Expect.Backups.Databases
	if len(dbs) == 0 {
		return
	}
	if r.o.S3.AccessKeyID == "" || r.o.S3.SecretAccessKey == "" {
		for _, d := range dbs {
			for _, what := range []string{"dump ", "restore check "} {
				c.warn(what+d.Engine, "not checked: no S3 keys for the backup bucket",
					fmt.Sprintf("export %s and %s (the Spaces keys spaces_access_key_id/spaces_secret_access_key of the SOPS secrets, also in the Secret %s/%s-backup-s3) and run the doctor again", AccessKeyEnv, SecretKeyEnv, d.Namespace, d.Engine))
			}
		}
		return
	}
	cl, where, err := r.s3Client()
	if err != nil {
		for _, d := range dbs {
			c.fail("dump "+d.Engine, err.Error(), "check backups.s3 in doctor.json, or give --s3-endpoint")
		}
		return
	}
	for _, d := range dbs {
		r.checkDatabaseRuns(ctx, c, cl, where, d)
	}
}

// run is one backup folder, db/<engine>/<day>/<time>Z/, and the names of
// its files.
type run struct {
	prefix string
	files  []string
}

// newestRuns walks the run folders of a database from the newest and
// returns the newest complete run (with a manifest), the newest run holding
// a restore check result, and how many newer runs had no manifest.
func newestRuns(ctx context.Context, cl *minio.Client, bucket, prefix string) (complete, checked *run, incomplete int, err error) {
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	days, _, err := listLevel(ctx, cl, bucket, prefix)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, day := range days {
		runs, _, err := listLevel(ctx, cl, bucket, day)
		if err != nil {
			return nil, nil, 0, err
		}
		for _, rp := range runs {
			_, files, err := listLevel(ctx, cl, bucket, rp)
			if err != nil {
				return nil, nil, 0, err
			}
			ru := &run{prefix: rp, files: files}
			if complete == nil {
				if slices.Contains(files, manifestFile) {
					complete = ru
				} else {
					incomplete++
				}
			}
			if checked == nil && slices.Contains(files, restoreCheckFile) {
				checked = ru
			}
			if complete != nil && checked != nil {
				return complete, checked, incomplete, nil
			}
		}
	}
	return complete, checked, incomplete, nil
}

// listLevel lists one level under prefix: the sub-folders, newest (highest
// name) first, and the file names.
func listLevel(ctx context.Context, cl *minio.Client, bucket, prefix string) (dirs, files []string, err error) {
	for obj := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if obj.Err != nil {
			return nil, nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, obj.Err)
		}
		if strings.HasSuffix(obj.Key, "/") {
			dirs = append(dirs, obj.Key)
		} else {
			files = append(files, strings.TrimPrefix(obj.Key, prefix))
		}
	}
	slices.Sort(dirs)
	slices.Reverse(dirs)
	return dirs, files, nil
}

// readObject reads a small object (a manifest or metrics file).
func readObject(ctx context.Context, cl *minio.Client, bucket, key string) (string, time.Time, error) {
	obj, err := cl.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(io.LimitReader(obj, 1<<20))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		return string(data), time.Time{}, nil
	}
	return string(data), info.LastModified, nil
}

func (r *runner) checkDatabaseRuns(ctx context.Context, c *checks, cl *minio.Client, where string, d Database) {
	bucket := r.o.Expect.Backups.S3.Bucket
	dumpName, checkName := "dump "+d.Engine, "restore check "+d.Engine
	fixDump := fmt.Sprintf("kubectl -n %s get cronjob %s and the logs of its last Job; run one now: kubectl -n %s create job --from=cronjob/%s %s-manual", d.Namespace, d.BackupCronJob, d.Namespace, d.BackupCronJob, d.BackupCronJob)
	fixCheck := fmt.Sprintf("kubectl -n %s get cronjob %s and the logs of its last Job (docs/restore.md); run one now: kubectl -n %s create job --from=cronjob/%s %s-manual", d.Namespace, d.RestoreCheckCronJob, d.Namespace, d.RestoreCheckCronJob, d.RestoreCheckCronJob)
	complete, checked, incomplete, err := newestRuns(ctx, cl, bucket, d.S3Prefix)
	if err != nil {
		fix := fmt.Sprintf("check the keys in %s/%s and the bucket in doctor.json (%s)", AccessKeyEnv, SecretKeyEnv, where)
		c.fail(dumpName, err.Error(), fix)
		c.fail(checkName, err.Error(), fix)
		return
	}
	if complete == nil {
		c.fail(dumpName, fmt.Sprintf("no complete dump (folder with a %s) under s3://%s/%s", manifestFile, bucket, d.S3Prefix), fixDump)
	} else {
		text, modified, err := readObject(ctx, cl, bucket, complete.prefix+manifestFile)
		if err != nil {
			c.fail(dumpName, err.Error(), fixDump)
		} else {
			done := modified
			if epoch, ok := promValue(text, "completed_epoch"); ok {
				done = time.Unix(int64(epoch), 0)
			}
			detail := fmt.Sprintf("newest complete dump %s, %s old", strings.TrimSuffix(complete.prefix, "/"), age(r.now.Sub(done)))
			if incomplete > 0 {
				detail += fmt.Sprintf(" (%d newer run(s) without a manifest: running or failed)", incomplete)
			}
			if r.now.Sub(done) > freshness {
				c.fail(dumpName, detail+", older than "+age(freshness), fixDump)
			} else {
				c.ok(dumpName, "%s", detail)
			}
		}
	}
	if checked == nil {
		c.fail(checkName, fmt.Sprintf("no %s under s3://%s/%s: the restore check never finished a run", restoreCheckFile, bucket, d.S3Prefix), fixCheck)
		return
	}
	text, _, err := readObject(ctx, cl, bucket, checked.prefix+restoreCheckFile)
	if err != nil {
		c.fail(checkName, err.Error(), fixCheck)
		return
	}
	label := fmt.Sprintf("{engine=%q}", d.Engine)
	success, okS := promValue(text, "fullfrontend_db_restore_check_success"+label)
	stamp, okT := promValue(text, "fullfrontend_db_restore_check_timestamp_seconds"+label)
	run := strings.TrimSuffix(checked.prefix, "/")
	switch {
	case !okS || !okT:
		c.fail(checkName, fmt.Sprintf("%s%s has no success or timestamp sample for engine %q", checked.prefix, restoreCheckFile, d.Engine), fixCheck)
	case success != 1:
		c.fail(checkName, fmt.Sprintf("FAILED on %s (%s ago) for %s", time.Unix(int64(stamp), 0).UTC().Format("2006-01-02 15:04Z"), age(r.now.Sub(time.Unix(int64(stamp), 0))), run), fixCheck)
	case r.now.Sub(time.Unix(int64(stamp), 0)) > freshness:
		c.fail(checkName, fmt.Sprintf("last passed %s ago (%s), older than %s", age(r.now.Sub(time.Unix(int64(stamp), 0))), run, age(freshness)), fixCheck)
	default:
		c.ok(checkName, "passed %s ago on %s", age(r.now.Sub(time.Unix(int64(stamp), 0))), run)
	}
}

// promValue finds "key value" or "key=value" in a Prometheus text sample
// file or a manifest.
func promValue(text, key string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		rest, ok := strings.CutPrefix(line, key)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '=') {
			continue
		}
		f := strings.Fields(rest[1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err == nil {
			return v, true
		}
	}
	return 0, false
}

// cronJobObject is the part of a batch/v1 CronJob read here.
type cronJobObject struct {
	Spec struct {
		Suspend bool `json:"suspend"`
	} `json:"spec"`
	Status struct {
		LastScheduleTime   *time.Time `json:"lastScheduleTime"`
		LastSuccessfulTime *time.Time `json:"lastSuccessfulTime"`
	} `json:"status"`
}

// checkCronJob checks that a database CronJob exists, is not suspended and
// succeeded within the freshness window.
func (r *runner) checkCronJob(ctx context.Context, c *checks, k *kubeClient, ns, name string) {
	if name == "" {
		return
	}
	check := "cronjob " + ns + "/" + name
	var cj cronJobObject
	err := k.get(ctx, "/apis/batch/v1/namespaces/"+url.PathEscape(ns)+"/cronjobs/"+url.PathEscape(name), nil, &cj)
	switch {
	case isNotFound(err):
		c.fail(check, "does not exist", "apply the platform stack: APP_ENV=prod ./scripts/tofu-secrets.sh apply")
		return
	case err != nil:
		c.fail(check, "could not read: "+err.Error(), "kubectl -n "+ns+" get cronjob "+name)
		return
	}
	fix := fmt.Sprintf("kubectl -n %s get jobs and the logs of the last one; run one now: kubectl -n %s create job --from=cronjob/%s %s-manual", ns, ns, name, name)
	switch last := cj.Status.LastSuccessfulTime; {
	case cj.Spec.Suspend:
		c.warn(check, "suspended: it does not run", fmt.Sprintf("kubectl -n %s patch cronjob %s -p '{\"spec\":{\"suspend\":false}}' once the reason is gone", ns, name))
	case last == nil:
		c.fail(check, "never succeeded", fix)
	case r.now.Sub(*last) > freshness:
		c.fail(check, fmt.Sprintf("last success %s ago, older than %s", age(r.now.Sub(*last)), age(freshness)), fix)
	default:
		c.ok(check, "last success %s ago", age(r.now.Sub(*last)))
	}
}

// veleroBackup is the part of a velero.io/v1 Backup read here.
type veleroBackup struct {
	Metadata objectMeta `json:"metadata"`
	Status   struct {
		Phase               string     `json:"phase"`
		StartTimestamp      *time.Time `json:"startTimestamp"`
		CompletionTimestamp *time.Time `json:"completionTimestamp"`
	} `json:"status"`
}

// checkVelero checks that the schedule exists and its newest Completed
// backup is recent.
func (r *runner) checkVelero(ctx context.Context, c *checks, k *kubeClient, ns, schedule string) {
	name := "velero " + schedule
	base := "/apis/velero.io/v1/namespaces/" + url.PathEscape(ns)
	var obj struct{}
	if err := k.get(ctx, base+"/schedules/"+url.PathEscape(schedule), nil, &obj); err != nil {
		if isNotFound(err) {
			c.fail(name, fmt.Sprintf("no Schedule %s in %s (or Velero is not installed)", schedule, ns), "apply the platform stack: APP_ENV=prod ./scripts/tofu-secrets.sh apply")
		} else {
			c.fail(name, "could not read the Schedule: "+err.Error(), "kubectl -n "+ns+" get schedules.velero.io")
		}
		return
	}
	backups, err := list[veleroBackup](ctx, k, base+"/backups", url.Values{"labelSelector": {"velero.io/schedule-name=" + schedule}})
	if err != nil {
		c.fail(name, "could not list its backups: "+err.Error(), "kubectl -n "+ns+" get backups.velero.io")
		return
	}
	fix := fmt.Sprintf("kubectl -n %s get backups.velero.io -l velero.io/schedule-name=%s, velero backup describe <name> --details, kubectl -n %s logs deploy/velero; run one now: velero backup create --from-schedule %s", ns, schedule, ns, schedule)
	var newest, latest *veleroBackup
	for i := range backups {
		b := &backups[i]
		if latest == nil || b.started().After(latest.started()) {
			latest = b
		}
		if b.Status.Phase == "Completed" && b.Status.CompletionTimestamp != nil &&
			(newest == nil || b.Status.CompletionTimestamp.After(*newest.Status.CompletionTimestamp)) {
			newest = b
		}
	}
	if newest == nil {
		detail := "no Completed backup"
		if latest != nil {
			detail += fmt.Sprintf(" (latest %s is %s)", latest.Metadata.Name, orDash(latest.Status.Phase))
		}
		c.fail(name, detail, fix)
		return
	}
	old := r.now.Sub(*newest.Status.CompletionTimestamp)
	detail := fmt.Sprintf("%s completed %s ago", newest.Metadata.Name, age(old))
	switch {
	case old > freshness:
		c.fail(name, detail+", older than "+age(freshness), fix)
	case latest != newest && veleroFailed(latest.Status.Phase):
		c.warn(name, fmt.Sprintf("%s; the latest, %s, is %s", detail, latest.Metadata.Name, latest.Status.Phase), fix)
	default:
		c.ok(name, "%s", detail)
	}
}

// started is when a backup began: its start, else its creation (a backup
// that never started).
func (b *veleroBackup) started() time.Time {
	if b.Status.StartTimestamp != nil {
		return *b.Status.StartTimestamp
	}
	return b.Metadata.CreationTimestamp
}

func veleroFailed(phase string) bool {
	return phase == "Failed" || phase == "PartiallyFailed" || phase == "FailedValidation"
}
