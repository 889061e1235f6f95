// Package velerorestore restores an app's namespace (its volumes and
// objects) from the newest completed Velero backup of its daily schedule:
// it creates the velero.io/v1 Restore and follows it to its end. This is
// `infra restore volumes`.
package velerorestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var (
	backups  = schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "backups"}
	restores = schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "restores"}
	pvcs     = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
)

// Options say what to restore and where.
type Options struct {
	App           string        // the app; its namespace and schedule <app>-daily
	Namespace     string        // the app's namespace (default: App)
	VeleroNS      string        // where Velero and its objects live (the platform: infra)
	Backup        string        // a Backup's name; empty: the newest completed one of the schedule
	Into          string        // restore into this namespace instead (namespaceMapping)
	Timeout, Poll time.Duration // how long to follow the Restore, how often
	Now           func() time.Time
}

// Run creates the Restore and follows it; it fails unless the Restore
// ends Completed.
func Run(ctx context.Context, c dynamic.Interface, o Options, out io.Writer) error {
	ns := o.Namespace
	if ns == "" {
		ns = o.App
	}
	schedule := o.App + "-daily"
	backup, err := pickBackup(ctx, c, o.VeleroNS, schedule, o.Backup)
	if err != nil {
		return err
	}
	target := ns
	if o.Into != "" {
		target = o.Into
	}
	// Velero never overwrites an existing object, so a claim that is still
	// there would be skipped and its data not restored, without an error.
	claims, err := c.Resource(pvcs).Namespace(target).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list the volume claims of %s: %w", target, err)
	}
	if n := len(claims.Items); n > 0 {
		var names []string
		for _, p := range claims.Items {
			names = append(names, p.GetName())
		}
		return fmt.Errorf("namespace %s still has %d volume claim(s) (%s): Velero never overwrites an existing volume, so their data would not be restored. Restore beside it first to look at the backup (--into %s-restored), or, once sure, delete the namespace (kubectl delete namespace %s) and run this again", target, n, strings.Join(names, ", "), ns, target)
	}

	name := fmt.Sprintf("%s-%s", o.App, o.Now().UTC().Format("20060102-150405"))
	spec := map[string]any{
		"backupName":         backup,
		"includedNamespaces": []any{ns},
		"restorePVs":         true,
	}
	if o.Into != "" {
		spec["namespaceMapping"] = map[string]any{ns: o.Into}
	}
	r := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1",
		"kind":       "Restore",
		"metadata": map[string]any{
			"name":      name,
			"namespace": o.VeleroNS,
			"labels":    map[string]any{"app.kubernetes.io/managed-by": "infra"},
		},
		"spec": spec,
	}}
	if _, err := c.Resource(restores).Namespace(o.VeleroNS).Create(ctx, r, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the Restore %s/%s: %w", o.VeleroNS, name, err)
	}
	fmt.Fprintf(out, "restore: Restore %s/%s of namespace %s from backup %s into %s\n", o.VeleroNS, name, ns, backup, target)
	return follow(ctx, c, o, name, out)
}

// pickBackup returns the named Backup if it completed, else the newest
// completed Backup of the schedule; it names the completed ones when the
// asked one cannot serve.
func pickBackup(ctx context.Context, c dynamic.Interface, veleroNS, schedule, want string) (string, error) {
	list, err := c.Resource(backups).Namespace(veleroNS).List(ctx, metav1.ListOptions{LabelSelector: "velero.io/schedule-name=" + schedule})
	if err != nil {
		return "", fmt.Errorf("list the backups of schedule %s in %s: %w", schedule, veleroNS, err)
	}
	type done struct {
		name string
		at   string
	}
	var completed []done
	phases := map[string]string{}
	for _, b := range list.Items {
		phase, _, _ := unstructured.NestedString(b.Object, "status", "phase")
		phases[b.GetName()] = phase
		if phase == "Completed" {
			at, _, _ := unstructured.NestedString(b.Object, "status", "completionTimestamp")
			completed = append(completed, done{b.GetName(), at})
		}
	}
	// RFC 3339 times in UTC sort as strings; the name breaks ties.
	slices.SortFunc(completed, func(a, b done) int { return strings.Compare(b.at+b.name, a.at+a.name) })
	var names []string
	for _, d := range completed {
		names = append(names, d.name)
	}
	listed := strings.Join(names, ", ")
	if listed == "" {
		listed = "none"
	}
	if want != "" {
		phase, ok := phases[want]
		switch {
		case !ok:
			return "", fmt.Errorf("no backup %s of schedule %s in %s; completed ones, newest first: %s", want, schedule, veleroNS, listed)
		case phase != "Completed":
			return "", fmt.Errorf("backup %s is %s, not Completed: refusing it; completed ones, newest first: %s", want, orNone(phase), listed)
		}
		return want, nil
	}
	if len(completed) == 0 {
		return "", fmt.Errorf("schedule %s has no completed backup in %s (velero backup get; infra doctor says why)", schedule, veleroNS)
	}
	return completed[0].name, nil
}

func orNone(s string) string {
	if s == "" {
		return "without a phase"
	}
	return s
}

// terminal are the phases a Restore ends in, and whether they succeed.
var terminal = map[string]bool{"Completed": true, "PartiallyFailed": false, "Failed": false, "FailedValidation": false}

// follow polls the Restore until it ends, printing each new phase.
func follow(ctx context.Context, c dynamic.Interface, o Options, name string, out io.Writer) error {
	deadline := o.Now().Add(o.Timeout)
	last := ""
	for {
		r, err := c.Resource(restores).Namespace(o.VeleroNS).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("the Restore %s/%s is gone", o.VeleroNS, name)
		}
		if err != nil {
			return fmt.Errorf("follow the Restore %s/%s: %w", o.VeleroNS, name, err)
		}
		phase, _, _ := unstructured.NestedString(r.Object, "status", "phase")
		restored, _, _ := unstructured.NestedInt64(r.Object, "status", "progress", "itemsRestored")
		total, _, _ := unstructured.NestedInt64(r.Object, "status", "progress", "totalItems")
		warnings, _, _ := unstructured.NestedInt64(r.Object, "status", "warnings")
		errs, _, _ := unstructured.NestedInt64(r.Object, "status", "errors")
		if line := fmt.Sprintf("restore: %s: %s, %d of %d items restored, %d warnings, %d errors", name, orNone(phase), restored, total, warnings, errs); line != last {
			fmt.Fprintln(out, line)
			last = line
		}
		if ok, end := terminal[phase]; end {
			if ok {
				fmt.Fprintf(out, "restore: done; details: velero restore describe %s --details -n %s\n", name, o.VeleroNS)
				return nil
			}
			why, _, _ := unstructured.NestedStringSlice(r.Object, "status", "validationErrors")
			if reason, _, _ := unstructured.NestedString(r.Object, "status", "failureReason"); reason != "" {
				why = append(why, reason)
			}
			return fmt.Errorf("the Restore %s ended %s (%d errors, %d warnings)%s: velero restore describe %s --details -n %s; velero restore logs %s -n %s", name, phase, errs, warnings, joinWhy(why), name, o.VeleroNS, name, o.VeleroNS)
		}
		if !o.Now().Before(deadline) {
			return fmt.Errorf("the Restore %s is still %s after %s: follow it with velero restore describe %s -n %s", name, orNone(phase), o.Timeout, name, o.VeleroNS)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), fmt.Errorf("the Restore %s goes on in the cluster", name))
		case <-time.After(o.Poll):
		}
	}
}

func joinWhy(why []string) string {
	if len(why) == 0 {
		return ""
	}
	return ": " + strings.Join(why, "; ")
}
