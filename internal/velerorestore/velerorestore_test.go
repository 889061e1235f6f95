package velerorestore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"fullfrontend.be/infra/internal/testsupport/kubeharness"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// TestRestoreVolumes runs the command against a real kube-apiserver with
// Velero's CRDs (../shared/crds): the Restore it creates must pass their
// schema, and it must follow the status Velero would write (here the test
// writes it, as no Velero runs).
func TestRestoreVolumes(t *testing.T) {
	t.Parallel()
	crds := testenv.Shared(t, "crds", "velero-12.1.0")
	c := kubeharness.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := c.ApplyCRDs(ctx, crds); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(t *testing.T, yaml string) {
		t.Helper()
		if _, err := c.Apply(ctx, []byte(yaml), kubeharness.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	apply(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: infra}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n8n}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: nextcloud}\n")
	backup := func(name, schedule, phase, completed string) string {
		return fmt.Sprintf(`apiVersion: velero.io/v1
kind: Backup
metadata: {name: %s, namespace: infra, labels: {velero.io/schedule-name: %s}}
spec: {includedNamespaces: [n8n], defaultVolumesToFsBackup: true}
status: {phase: %s, completionTimestamp: "%s"}
---
`, name, schedule, phase, completed)
	}
	apply(t, backup("n8n-daily-20260519030000", "n8n-daily", "Completed", "2026-05-19T03:04:00Z")+
		backup("n8n-daily-20260520030000", "n8n-daily", "Completed", "2026-05-20T03:05:00Z")+
		backup("n8n-daily-20260521030000", "n8n-daily", "PartiallyFailed", "2026-05-21T03:05:00Z")+
		backup("crm-daily-20260522030000", "crm-daily", "Completed", "2026-05-22T03:05:00Z"))
	// nextcloud still has its volume.
	apply(t, `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: nextcloud-data, namespace: nextcloud}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`)

	clock := time.Date(2026, 5, 22, 9, 0, 0, 0, time.UTC)
	opts := func(app string, f func(*Options)) Options {
		o := Options{App: app, VeleroNS: "infra", Timeout: time.Minute, Poll: 20 * time.Millisecond, Now: func() time.Time { return clock }}
		if f != nil {
			f(&o)
		}
		return o
	}
	// velero plays Velero: it waits for the Restore, then writes phases.
	velero := func(t *testing.T, name string, phases ...map[string]any) *sync.WaitGroup {
		var wg sync.WaitGroup
		wg.Go(func() {
			rc := dc.Resource(restores).Namespace("infra")
			for range 500 {
				r, err := rc.Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				for _, st := range phases {
					r.Object["status"] = st
					if r, err = rc.Update(ctx, r, metav1.UpdateOptions{}); err != nil {
						t.Errorf("write the Restore's status: %v", err)
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
				return
			}
			t.Errorf("no Restore %s was created", name)
		})
		return &wg
	}
	restoreName := "n8n-20260522-090000"

	tests := []struct {
		name       string
		opts       Options
		phases     []map[string]any
		wantErr    string
		wantBackup string
		wantOut    []string
		wantMap    map[string]any
	}{
		{
			name:       "newest completed backup, followed to its end",
			opts:       opts("n8n", nil),
			phases:     []map[string]any{{"phase": "InProgress"}, {"phase": "Completed", "progress": map[string]any{"itemsRestored": int64(14), "totalItems": int64(14)}}},
			wantBackup: "n8n-daily-20260520030000",
			wantOut:    []string{"InProgress", "Completed, 14 of 14 items restored, 0 warnings, 0 errors"},
		},
		{
			name:       "into another namespace, beside the app",
			opts:       opts("n8n", func(o *Options) { o.Into = "n8n-restored"; o.Backup = "n8n-daily-20260519030000" }),
			phases:     []map[string]any{{"phase": "Completed"}},
			wantBackup: "n8n-daily-20260519030000",
			wantMap:    map[string]any{"n8n": "n8n-restored"},
		},
		{
			name:       "a restore that partly fails fails the command",
			opts:       opts("n8n", nil),
			phases:     []map[string]any{{"phase": "PartiallyFailed", "errors": int64(2), "warnings": int64(1)}},
			wantBackup: "n8n-daily-20260520030000",
			wantErr:    "ended PartiallyFailed (2 errors, 1 warnings)",
		},
		{
			name:    "a backup that did not complete is refused",
			opts:    opts("n8n", func(o *Options) { o.Backup = "n8n-daily-20260521030000" }),
			wantErr: "is PartiallyFailed, not Completed: refusing it; completed ones, newest first: n8n-daily-20260520030000, n8n-daily-20260519030000",
		},
		{
			name:    "an app without a completed backup",
			opts:    opts("analytics", nil),
			wantErr: "schedule analytics-daily has no completed backup",
		},
		{
			name:    "a namespace that still has its volumes",
			opts:    opts("nextcloud", nil),
			wantErr: "namespace nextcloud still has 1 volume claim(s) (nextcloud-data)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "a namespace that still has its volumes" {
				apply(t, backup("nextcloud-daily-20260522030000", "nextcloud-daily", "Completed", "2026-05-22T03:05:00Z"))
			}
			var wg *sync.WaitGroup
			if tt.phases != nil {
				wg = velero(t, restoreName, tt.phases...)
			}
			var out bytes.Buffer
			err := Run(ctx, dc, tt.opts, &out)
			if wg != nil {
				wg.Wait()
			}
			defer dc.Resource(restores).Namespace("infra").Delete(ctx, restoreName, metav1.DeleteOptions{})
			t.Logf("output:\n%s", out.String())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q", w)
				}
			}
			r, err := dc.Resource(restores).Namespace("infra").Get(ctx, restoreName, metav1.GetOptions{})
			if tt.wantBackup == "" {
				if err == nil {
					t.Fatalf("a Restore was created: %v", r.Object["spec"])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _, _ := unstructured.NestedString(r.Object, "spec", "backupName"); b != tt.wantBackup {
				t.Errorf("Restore of backup %s, want %s", b, tt.wantBackup)
			}
			if ns, _, _ := unstructured.NestedStringSlice(r.Object, "spec", "includedNamespaces"); len(ns) != 1 || ns[0] != "n8n" {
				t.Errorf("Restore of namespaces %v, want [n8n]", ns)
			}
			if m, _, _ := unstructured.NestedMap(r.Object, "spec", "namespaceMapping"); fmt.Sprint(m) != fmt.Sprint(tt.wantMap) && !(len(m) == 0 && tt.wantMap == nil) {
				t.Errorf("namespaceMapping %v, want %v", m, tt.wantMap)
			}
		})
	}
}
