package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// backupCronJob is the shape modules/database gives the backup CronJob.
const backupCronJob = `{"spec":{"jobTemplate":{"spec":{"backoffLimit":1,"template":{
  "metadata":{"labels":{"app.kubernetes.io/component":"backup","fullfrontend.be/db-client":"postgres"}},
  "spec":{"restartPolicy":"Never","containers":[{"name":"backup","image":"docker.io/library/postgres:17.7",
    "command":["sh","/scripts/backup.sh"],"env":[{"name":"PGHOST","value":"postgres"}],
    "envFrom":[{"secretRef":{"name":"postgres-backup-s3"}}]}]}}}}}}`

// fakeCluster answers the kubectl calls of `infra restore db` and records
// them, with the app's workloads, the Job's end and its logs.
type fakeCluster struct {
	calls     []string
	job       map[string]any // the Job created
	jobStatus string         // status JSON of the Job
	logs      string
	noCronJob bool
	ensureErr bool           // db ensure's init.sh fails
	replicas  map[string]int // kind/name -> replicas
}

func (f *fakeCluster) run(_ context.Context, args []string, in io.Reader, _ io.Writer) ([]byte, error) {
	line := strings.Join(args, " ")
	f.calls = append(f.calls, line)
	switch {
	case strings.HasPrefix(line, "get secret"):
		return secretJSON("n8n", "n8n", "n8n-password"), nil
	case strings.HasPrefix(line, "get cronjob"):
		if f.noCronJob {
			return nil, errors.New("exit status 1")
		}
		return []byte(backupCronJob), nil
	case strings.HasPrefix(line, "get deployments,statefulsets"):
		var items []string
		for _, ref := range slices.Sorted(maps.Keys(f.replicas)) {
			kind, name, _ := strings.Cut(ref, "/")
			items = append(items, fmt.Sprintf(`{"kind":%q,"metadata":{"name":%q},"spec":{"replicas":%d,"selector":{"matchLabels":{"app":%q}}}}`, kind, name, f.replicas[ref], name))
		}
		return []byte(`{"items":[` + strings.Join(items, ",") + `]}`), nil
	case strings.HasPrefix(line, "scale "):
		ref := strings.Fields(line)[1]
		var n int
		fmt.Sscanf(line[strings.Index(line, "--replicas=")+len("--replicas="):], "%d", &n)
		kind, name, _ := strings.Cut(ref, "/")
		f.replicas[map[string]string{"deployment": "Deployment", "statefulset": "StatefulSet"}[kind]+"/"+name] = n
		return nil, nil
	case strings.HasPrefix(line, "create"):
		b, _ := io.ReadAll(in)
		if err := json.Unmarshal(b, &f.job); err != nil {
			return nil, err
		}
		return nil, nil
	case strings.HasPrefix(line, "get job"):
		return []byte(`{"status":` + f.jobStatus + `}`), nil
	case strings.HasPrefix(line, "logs"):
		return []byte(f.logs), nil
	case strings.HasPrefix(line, "exec"):
		if f.ensureErr {
			return nil, errors.New("exit status 1")
		}
		return []byte("init: ok n8n n8n\n"), nil
	}
	return nil, nil
}

func TestRestoreDB(t *testing.T) {
	const (
		restored  = "2026-05-21T08:00:03Z restore: result=restored database=n8n run=db/postgres/2026-05-20/021500Z tables=4 rows=1503 kept=n8n_before_20260521_080000z\n"
		unchanged = "2026-05-21T08:00:03Z restore: result=unchanged database=n8n run=db/postgres/2026-05-20/021500Z tables=4 rows=1503\n"
		dryRun    = "2026-05-21T08:00:03Z restore: result=dry-run database=n8n run=db/postgres/2026-05-20/021500Z tables=4 rows=1503\n"
		failed    = "2026-05-21T08:00:03Z ERROR: checksum mismatch: db/postgres/2026-05-20/021500Z/n8n.dump is not the file the backup wrote\n"
	)
	tests := []struct {
		name      string
		opts      func(*restoreDBOptions)
		cluster   fakeCluster
		wantErr   string
		wantArgs  []string // the Job's command
		wantDry   bool
		wantScale []string // scale calls, in order
		ensure    bool
	}{
		{
			name:      "restore a named backup",
			opts:      func(o *restoreDBOptions) { o.backup = "2026-05-20/021500Z" },
			cluster:   fakeCluster{jobStatus: `{"succeeded":1}`, logs: restored},
			wantArgs:  []string{"sh", "/scripts/restore.sh", "n8n", "db/postgres/2026-05-20/021500Z"},
			wantScale: []string{"deployment/n8n-main=0", "statefulset/n8n-worker=0", "deployment/n8n-main=1", "statefulset/n8n-worker=2"},
			ensure:    true,
		},
		{
			name:      "restored, but db ensure fails: said, and the app comes back",
			cluster:   fakeCluster{jobStatus: `{"succeeded":1}`, logs: restored, ensureErr: true},
			wantErr:   "n8n is restored, but applying its owner and password failed",
			wantArgs:  []string{"sh", "/scripts/restore.sh", "n8n"},
			wantScale: []string{"deployment/n8n-main=0", "statefulset/n8n-worker=0", "deployment/n8n-main=1", "statefulset/n8n-worker=2"},
			ensure:    true,
		},
		{
			name:      "same backup again: nothing to apply",
			cluster:   fakeCluster{jobStatus: `{"succeeded":1}`, logs: unchanged},
			wantArgs:  []string{"sh", "/scripts/restore.sh", "n8n"},
			wantScale: []string{"deployment/n8n-main=0", "statefulset/n8n-worker=0", "deployment/n8n-main=1", "statefulset/n8n-worker=2"},
		},
		{
			name:     "dry run: the app keeps running",
			opts:     func(o *restoreDBOptions) { o.dryRun = true },
			cluster:  fakeCluster{jobStatus: `{"succeeded":1}`, logs: dryRun},
			wantArgs: []string{"sh", "/scripts/restore.sh", "n8n"},
			wantDry:  true,
		},
		{
			name:      "failed restore: the app comes back, the error says why",
			cluster:   fakeCluster{jobStatus: `{"failed":1}`, logs: failed},
			wantErr:   "failed: checksum mismatch: db/postgres/2026-05-20/021500Z/n8n.dump",
			wantArgs:  []string{"sh", "/scripts/restore.sh", "n8n"},
			wantScale: []string{"deployment/n8n-main=0", "statefulset/n8n-worker=0", "deployment/n8n-main=1", "statefulset/n8n-worker=2"},
		},
		{
			name:      "restore still running at the deadline: the app stays stopped",
			opts:      func(o *restoreDBOptions) { o.timeout = 0 },
			cluster:   fakeCluster{jobStatus: `{"active":1}`},
			wantErr:   "still running after",
			wantArgs:  []string{"sh", "/scripts/restore.sh", "n8n"},
			wantScale: []string{"deployment/n8n-main=0", "statefulset/n8n-worker=0"},
		},
		{
			name:    "no backup CronJob: nothing stopped",
			cluster: fakeCluster{noCronJob: true},
			wantErr: "read the CronJob data/postgres-backup",
		},
		{
			name:    "backup of the other engine",
			opts:    func(o *restoreDBOptions) { o.backup = "db/mariadb/2026-05-20/021500Z" },
			wantErr: "want a postgres run",
		},
		{
			name:    "backup in another form",
			opts:    func(o *restoreDBOptions) { o.backup = "yesterday" },
			wantErr: "for example 2026-05-20/021500Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := restoreDBOptions{dbEnsureOptions: dbEnsureOptions{engine: "postgres", dataNS: "data"}, timeout: time.Minute, poll: time.Millisecond,
				now: func() time.Time { return time.Date(2026, 5, 21, 8, 0, 0, 0, time.UTC) }}
			if tt.opts != nil {
				tt.opts(&o)
			}
			f := tt.cluster
			f.replicas = map[string]int{"Deployment/n8n-main": 1, "StatefulSet/n8n-worker": 2, "Deployment/n8n-webhook": 0}
			var out bytes.Buffer
			err := restoreDB(context.Background(), o, "n8n", f.run, &out, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("restoreDB: %v\n%s", err, out.String())
			}

			var scales []string
			ensured := false
			for _, c := range f.calls {
				if strings.HasPrefix(c, "scale ") {
					fs := strings.Fields(c)
					scales = append(scales, fs[1]+"="+strings.TrimPrefix(fs[len(fs)-1], "--replicas="))
				}
				ensured = ensured || strings.HasPrefix(c, "exec")
			}
			if !slices.Equal(scales, tt.wantScale) {
				t.Errorf("scale calls %q, want %q", scales, tt.wantScale)
			}
			if ensured != tt.ensure {
				t.Errorf("db ensure ran: %v, want %v", ensured, tt.ensure)
			}
			if tt.wantArgs == nil {
				if f.job != nil {
					t.Errorf("a Job was created: %v", f.job)
				}
				return
			}
			c := jsonPath(f.job, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
			var args []string
			for _, a := range c["command"].([]any) {
				args = append(args, a.(string))
			}
			if !slices.Equal(args, tt.wantArgs) {
				t.Errorf("Job command %q, want %q", args, tt.wantArgs)
			}
			env, _ := json.Marshal(c["env"])
			if dry := strings.Contains(string(env), "RESTORE_DRY_RUN"); dry != tt.wantDry {
				t.Errorf("Job env %s: dry run %v, want %v", env, dry, tt.wantDry)
			}
			if jsonPath(f.job, "spec", "backoffLimit") != float64(0) || c["image"] != "docker.io/library/postgres:17.7" || c["envFrom"] == nil {
				t.Errorf("the Job is not the backup's pod with the restore script and no retry: %v", f.job)
			}
			if jsonPath(f.job, "spec", "template", "metadata", "labels", "fullfrontend.be/db-client") != "postgres" {
				t.Errorf("the Job lost the label that lets it reach the server: %v", f.job)
			}
			if name := jsonPath(f.job, "metadata", "name"); name != "restore-n8n-20260521-080000" {
				t.Errorf("Job name %v", name)
			}
		})
	}
}
