package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"fullfrontend.be/infra/internal/appcatalog"
	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/velerorestore"
)

// restoreDBOptions are the flags of `infra restore db`.
type restoreDBOptions struct {
	dbEnsureOptions
	backup  string        // a run of the bucket; empty: the newest complete one
	dryRun  bool          // verify and report only
	timeout time.Duration // how long the restore Job may take
	poll    time.Duration // how often its state is read
	now     func() time.Time
}

// backupRunRe accepts a run as the bucket names it (db/<engine>/<day>/<time>Z),
// as docs/restore.md shows it (<day>/<time>Z) or as one timestamp.
var backupRunRe = regexp.MustCompile(`^(?:db/(postgres|mariadb)/)?(\d{4}-\d{2}-\d{2})[/T](\d{6})Z$`)

// runPrefix turns --backup into the run's prefix in the bucket.
func runPrefix(engine, backup string) (string, error) {
	if backup == "" {
		return "", nil
	}
	m := backupRunRe.FindStringSubmatch(backup)
	if m == nil || (m[1] != "" && m[1] != engine) {
		return "", fmt.Errorf("--backup %q: want a %s run as the bucket names it, for example 2026-05-20/021500Z or db/%s/2026-05-20/021500Z (list them: docs/restore.md, step 0)", backup, engine, engine)
	}
	return "db/" + engine + "/" + m[2] + "/" + m[3] + "Z", nil
}

// workload is a Deployment or StatefulSet of the app that runs.
type workload struct {
	kind, name string
	replicas   int
	selector   string // its pods, as kubectl's --selector
}

// restoreDB restores the app's database from a backup: the app stops, a Job
// made from the engine's backup CronJob runs restore.sh (which restores
// beside the live database, checks every table's rows against the dump and
// only then swaps, keeping the previous one), `infra db ensure` applies the
// app's owner, grants and password, and the app starts again, whatever
// happened in between.
func restoreDB(ctx context.Context, o restoreDBOptions, app string, run runKubectl, out, errOut io.Writer) (err error) {
	if err := o.validate(app); err != nil {
		return err
	}
	prefix, err := runPrefix(o.engine, o.backup)
	if err != nil {
		return err
	}
	raw, err := run(ctx, o.secretArgs(app), nil, errOut)
	if err != nil {
		return fmt.Errorf("read the Secret %s-%s, which names the app's database (apply the stack first): %w", app, o.engine, err)
	}
	creds, err := parseAppSecret(raw)
	if err != nil {
		return fmt.Errorf("Secret %s-%s: %w", app, o.engine, err)
	}
	cronJob := o.engine + "-backup"
	raw, err = run(ctx, o.kubectlArgs("get", "cronjob", cronJob, "--namespace", o.dataNS, "--output", "json"), nil, errOut)
	if err != nil {
		return fmt.Errorf("read the CronJob %s/%s, whose Job the restore reuses (same image, login and bucket keys): %w", o.dataNS, cronJob, err)
	}
	job, name, err := restoreJob(raw, creds.Database, prefix, o.dryRun, o.now())
	if err != nil {
		return fmt.Errorf("CronJob %s/%s: %w", o.dataNS, cronJob, err)
	}

	// Set when the Job may still swap the database: the app must not
	// start against the old one.
	stillRunning := false
	if !o.dryRun {
		running, err := o.runningWorkloads(ctx, app, run, errOut)
		if err != nil {
			return err
		}
		// From here on the app comes back whatever happens, unless the
		// restore is still under way.
		defer func() {
			if stillRunning {
				for _, w := range running {
					fmt.Fprintf(errOut, "restore: %s %s/%s stays at 0: once the Job has ended, kubectl -n %s scale %s/%s --replicas=%d\n", o.appNS(app), w.kind, w.name, o.appNS(app), w.kind, w.name, w.replicas)
				}
				return
			}
			if serr := o.scale(ctx, app, running, false, run, out, errOut); serr != nil {
				err = errors.Join(err, serr)
			}
		}()
		if err := o.scale(ctx, app, running, true, run, out, errOut); err != nil {
			return err
		}
	}

	fmt.Fprintf(out, "restore: Job %s/%s restores %s from %s\n", o.dataNS, name, creds.Database, orDefault(prefix, "the newest complete backup"))
	if _, err := run(ctx, o.kubectlArgs("create", "--namespace", o.dataNS, "--filename", "-"), strings.NewReader(job), errOut); err != nil {
		return fmt.Errorf("create the restore Job %s: %w", name, err)
	}
	failed, err := o.waitJob(ctx, name, run, errOut)
	if err != nil {
		stillRunning = true
		return err
	}
	logs, lerr := run(ctx, o.kubectlArgs("logs", "job/"+name, "--namespace", o.dataNS), nil, errOut)
	out.Write(logs)
	if lerr != nil {
		return fmt.Errorf("read the logs of Job %s (kubectl logs job/%s -n %s): %w", name, name, o.dataNS, lerr)
	}
	if failed {
		return fmt.Errorf("restore Job %s failed: %s (the live database is replaced only after a complete, checked restore; logs above)", name, lastError(string(logs)))
	}
	result := restoreResultOf(string(logs))
	switch result {
	case "restored":
		fmt.Fprintf(out, "restore: %s restored; applying the app's owner, grants and password\n", creds.Database)
		if err := dbEnsure(ctx, o.dbEnsureOptions, app, run, out, errOut); err != nil {
			return fmt.Errorf("%s is restored, but applying its owner and password failed: %w; run `infra db ensure %s --engine %s` (the app is started again and may not log in until then)", creds.Database, err, app, o.engine)
		}
	case "unchanged", "dry-run":
	default:
		return fmt.Errorf("restore Job %s ended without a result line: read its logs above", name)
	}
	return nil
}

// restoreJob builds the Job from the CronJob's template: the same pod, the
// restore script instead of the backup, no retry (a restore is repeated
// by the operator, never behind their back).
func restoreJob(cronJob []byte, database, prefix string, dryRun bool, now time.Time) (string, string, error) {
	var cj struct {
		Spec struct {
			JobTemplate struct {
				Spec map[string]any `json:"spec"`
			} `json:"jobTemplate"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(cronJob, &cj); err != nil {
		return "", "", fmt.Errorf("decode: %w", err)
	}
	spec := cj.Spec.JobTemplate.Spec
	pod, _ := jsonPath(spec, "template", "spec").(map[string]any)
	containers, _ := jsonPath(pod, "containers").([]any)
	if len(containers) != 1 {
		return "", "", fmt.Errorf("want one container in its Job template, found %d", len(containers))
	}
	c := containers[0].(map[string]any)
	args := []string{"sh", "/scripts/restore.sh", database}
	if prefix != "" {
		args = append(args, prefix)
	}
	c["name"] = "restore"
	c["command"] = args
	if dryRun {
		env, _ := c["env"].([]any)
		c["env"] = append(env, map[string]any{"name": "RESTORE_DRY_RUN", "value": "1"})
	}
	if labels, ok := jsonPath(spec, "template", "metadata", "labels").(map[string]any); ok {
		labels["app.kubernetes.io/component"] = "restore"
	}
	spec["backoffLimit"] = 0
	spec["ttlSecondsAfterFinished"] = 7 * 24 * 3600
	name := fmt.Sprintf("restore-%s-%s", strings.ReplaceAll(database, "_", "-"), now.UTC().Format("20060102-150405"))
	if len(name) > 63 {
		name = name[:63]
	}
	job := map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": name, "labels": map[string]any{"app.kubernetes.io/component": "restore", "app.kubernetes.io/managed-by": "infra"}},
		"spec":       spec,
	}
	data, err := json.Marshal(job)
	return string(data), name, err
}

func jsonPath(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func orDefault(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// runningWorkloads lists the app's Deployments and StatefulSets that have
// replicas: those the restore stops and starts again.
func (o restoreDBOptions) runningWorkloads(ctx context.Context, app string, run runKubectl, errOut io.Writer) ([]workload, error) {
	raw, err := run(ctx, o.kubectlArgs("get", "deployments,statefulsets", "--namespace", o.appNS(app), "--output", "json"), nil, errOut)
	if err != nil {
		return nil, fmt.Errorf("list the workloads of %s: %w", o.appNS(app), err)
	}
	var list struct {
		Items []struct {
			Kind     string
			Metadata struct{ Name string }
			Spec     struct {
				Replicas *int
				Selector struct{ MatchLabels map[string]string }
			}
		}
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("decode the workloads of %s: %w", o.appNS(app), err)
	}
	var ws []workload
	for _, it := range list.Items {
		if it.Spec.Replicas == nil || *it.Spec.Replicas == 0 {
			continue
		}
		var sel []string
		for k, v := range it.Spec.Selector.MatchLabels {
			sel = append(sel, k+"="+v)
		}
		if len(sel) == 0 {
			return nil, fmt.Errorf("%s %s has no matchLabels selector: stop it by hand before the restore", it.Kind, it.Metadata.Name)
		}
		slices.Sort(sel)
		ws = append(ws, workload{strings.ToLower(it.Kind), it.Metadata.Name, *it.Spec.Replicas, strings.Join(sel, ",")})
	}
	slices.SortFunc(ws, func(a, b workload) int { return strings.Compare(a.kind+"/"+a.name, b.kind+"/"+b.name) })
	return ws, nil
}

func (o restoreDBOptions) appNS(app string) string { return orDefault(o.appNamespace, app) }

// scale stops the workloads (down: to zero, and waits until their pods are
// gone) or gives them back their replicas.
func (o restoreDBOptions) scale(ctx context.Context, app string, ws []workload, down bool, run runKubectl, out, errOut io.Writer) error {
	var errs []error
	for _, w := range ws {
		n := w.replicas
		if down {
			n = 0
		}
		ref := w.kind + "/" + w.name
		if _, err := run(ctx, o.kubectlArgs("scale", ref, "--namespace", o.appNS(app), fmt.Sprintf("--replicas=%d", n)), nil, errOut); err != nil {
			errs = append(errs, fmt.Errorf("scale %s to %d (do it by hand: kubectl -n %s scale %s --replicas=%d): %w", ref, n, o.appNS(app), ref, n, err))
			continue
		}
		fmt.Fprintf(out, "restore: %s %s scaled to %d\n", o.appNS(app), ref, n)
		// Stopped means no pod left, not one terminating that still writes.
		if down {
			if _, err := run(ctx, o.kubectlArgs("wait", "--for=delete", "pod", "--selector", w.selector, "--namespace", o.appNS(app), "--timeout", "10m"), nil, errOut); err != nil {
				errs = append(errs, fmt.Errorf("wait for the pods of %s to stop: %w", ref, err))
			}
		}
	}
	return errors.Join(errs...)
}

// waitJob follows the Job until it succeeds or fails.
func (o restoreDBOptions) waitJob(ctx context.Context, name string, run runKubectl, errOut io.Writer) (failed bool, err error) {
	deadline := o.now().Add(o.timeout)
	for {
		raw, err := run(ctx, o.kubectlArgs("get", "job", name, "--namespace", o.dataNS, "--output", "json"), nil, errOut)
		if err != nil {
			return false, fmt.Errorf("follow the restore Job %s: %w", name, err)
		}
		var j struct {
			Status struct{ Succeeded, Failed int }
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return false, fmt.Errorf("decode the restore Job %s: %w", name, err)
		}
		switch {
		case j.Status.Succeeded > 0:
			return false, nil
		case j.Status.Failed > 0:
			return true, nil
		case !o.now().Before(deadline):
			return false, fmt.Errorf("the restore Job %s is still running after %s: follow it with kubectl logs -f job/%s -n %s, then run infra db ensure and start the app again", name, o.timeout, name, o.dataNS)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(o.poll):
		}
	}
}

var resultLineRe = regexp.MustCompile(`restore: result=(\S+)`)

// restoreResultOf is the result of restore.sh's last result line.
func restoreResultOf(logs string) string {
	m := resultLineRe.FindAllStringSubmatch(logs, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// lastError is restore.sh's last "ERROR:" line, or a pointer to the logs.
func lastError(logs string) string {
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if _, msg, ok := strings.Cut(lines[i], "ERROR: "); ok {
			return msg
		}
	}
	return "no error line in its logs"
}

// engineOf is the app's database engine in modules/environment/apps.yaml.
func engineOf(app string) (string, error) {
	root, err := repo.FromWD()
	if err != nil {
		return "", fmt.Errorf("find the repository to read the app catalog (or give --engine): %w", err)
	}
	apps, err := appcatalog.Load(root)
	if err != nil {
		return "", err
	}
	a, ok := apps[app]
	if !ok {
		return "", fmt.Errorf("app %q is not in modules/environment/apps.yaml", app)
	}
	if a.Database == nil {
		return "", fmt.Errorf("app %s has no database (modules/environment/apps.yaml)", app)
	}
	return *a.Database, nil
}

func restoreCmd() *cobra.Command {
	restore := &cobra.Command{
		Use:   "restore",
		Short: "Restore from the platform's backups on a running cluster",
	}
	o := restoreDBOptions{poll: 5 * time.Second, now: time.Now}
	db := &cobra.Command{
		Use:   "db <app>",
		Short: "Restore an app's database from a backup in the bucket, keeping the current one",
		Long: `Stops the app, restores its database from a backup of the bucket
(--backup, or the newest complete one) and starts the app again.

The restore runs in the cluster, as a Job made from the engine's backup
CronJob (modules/database/files/<engine>/restore.sh): it verifies the
manifest and checksums, restores beside the live database, compares the row
count of every table with the dump's, and only then swaps: the current
database is kept as <db>_before_<UTC time> (drop it by hand once the app is
checked). Then the app's owner, grants and password are applied (as
infra db ensure) and the app's Deployments and StatefulSets get their
replicas back, even when the restore failed.

A second run on the same backup changes nothing. --dry-run verifies the
backup and says what would change, without stopping the app.`,
		Example: `  infra restore db n8n --dry-run
  infra restore db n8n
  infra restore db wordpress --backup 2026-05-20/021500Z`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if o.engine == "" {
				e, err := engineOf(args[0])
				if err != nil {
					return err
				}
				o.engine = e
			}
			bin := orDefault(o.kubectl, "kubectl")
			if o.kubeconfig == "" {
				o.kubeconfig = os.Getenv("KUBECONFIG")
			}
			return restoreDB(c.Context(), o, args[0], execKubectl(bin), c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	db.Flags().StringVar(&o.backup, "backup", "", "run to restore, as the bucket names it (2026-05-20/021500Z); default: the newest complete one")
	db.Flags().BoolVar(&o.dryRun, "dry-run", false, "verify the backup and report, change nothing")
	db.Flags().DurationVar(&o.timeout, "timeout", 2*time.Hour, "how long the restore Job may run")
	db.Flags().StringVar(&o.engine, "engine", "", "postgres or mariadb (default: the app's, from modules/environment/apps.yaml)")
	db.Flags().StringVar(&o.appNamespace, "app-namespace", "", "namespace of the app (default: the app's name)")
	db.Flags().StringVar(&o.dataNS, "namespace", "data", "namespace of the database StatefulSet and its CronJobs")
	db.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then kubectl's default)")
	db.Flags().StringVar(&o.context, "context", "", "kubeconfig context (default: the current one)")
	db.Flags().StringVar(&o.kubectl, "kubectl", "", "kubectl binary (default: kubectl from PATH)")
	restore.AddCommand(db, restoreVolumesCmd())
	return restore
}

func restoreVolumesCmd() *cobra.Command {
	o := velerorestore.Options{Poll: 5 * time.Second, Now: time.Now}
	var kubeconfig, kubeContext string
	cmd := &cobra.Command{
		Use:   "volumes <app>",
		Short: "Restore an app's namespace (volumes and objects) from its newest completed Velero backup",
		Long: `Creates the Velero Restore of the app's namespace from the newest completed
backup of its schedule <app>-daily (or --backup NAME, which must have
completed), follows it to its end and prints what was restored. Fails unless
the Restore ends Completed.

Velero never overwrites an existing object: a namespace that still has its
volume claims is refused, since their data would silently not be restored.
--into NAMESPACE restores beside the app, to look at the backup first; once
sure, delete the app's namespace and run the command again.`,
		Example: `  infra restore volumes nextcloud --into nextcloud-restored
  kubectl delete namespace nextcloud && infra restore volumes nextcloud
  infra restore volumes wordpress --backup wordpress-daily-20260520030000`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !appNameRe.MatchString(args[0]) {
				return fmt.Errorf("app %q: want an app name of modules/environment/apps.yaml", args[0])
			}
			o.App = args[0]
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			rules.ExplicitPath = kubeconfig
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
			if err != nil {
				return fmt.Errorf("kubeconfig (prod: <repo>/.kube/config, written by doctl): %w", err)
			}
			dc, err := dynamic.NewForConfig(cfg)
			if err != nil {
				return err
			}
			return velerorestore.Run(c.Context(), dc, o, c.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&o.Backup, "backup", "", "the Backup to restore (velero backup get); default: the newest completed one of <app>-daily")
	cmd.Flags().StringVar(&o.Into, "into", "", "restore into this namespace instead of the app's")
	cmd.Flags().StringVar(&o.Namespace, "app-namespace", "", "namespace of the app (default: the app's name)")
	cmd.Flags().StringVar(&o.VeleroNS, "velero-namespace", "infra", "namespace of Velero and its Backups")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 2*time.Hour, "how long to follow the Restore")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	cmd.Flags().StringVar(&kubeContext, "context", "", "kubeconfig context (default: the current one)")
	return cmd
}
