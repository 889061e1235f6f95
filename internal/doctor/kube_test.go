package doctor

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"fullfrontend.be/infra/internal/testsupport/certtest"
	"fullfrontend.be/infra/internal/testsupport/kubeharness"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// TestKube runs the cluster, CronJob, Velero and kubeconfig checks against
// one real kube-apiserver (about twenty seconds to start, so the subtests
// share it and keep to their own namespaces).
func TestKube(t *testing.T) {
	t.Parallel()
	clientCA := certtest.NewCA(t, "kubeharness client CA")
	c := kubeharness.Start(t,
		// No controller creates the default ServiceAccount Pods would need.
		kubeharness.WithoutAdmission("ServiceAccount"),
		// So that a kubeconfig with a client certificate can log in.
		kubeharness.WithAPIServerArgs("--client-ca-file="+clientCA.WritePEM(t, t.TempDir())),
	)
	if err := c.ApplyCRDs(t.Context(), testenv.Shared(t, "crds", "velero-12.1.0")); err != nil {
		t.Fatal(err)
	}
	admin := readKubeconfig(t, c.Kubeconfig())

	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		testClusterChecks(t, c)
	})
	t.Run("backups", func(t *testing.T) {
		t.Parallel()
		testKubeBackups(t, c)
	})
	t.Run("kubeconfig", func(t *testing.T) {
		t.Parallel()
		testKubeconfigs(t, c, admin, clientCA)
	})
}

// harnessConfig is what the tests reuse of the harness's kubeconfig.
type harnessConfig struct {
	server, token string
	caData        []byte
}

func readKubeconfig(t *testing.T, path string) harnessConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		t.Fatal(err)
	}
	return harnessConfig{server: kc.Clusters[0].Cluster.Server, token: kc.Users[0].User.Token, caData: kc.Clusters[0].Cluster.CertificateAuthorityData}
}

func apply(t *testing.T, c *kubeharness.Cluster, manifest string) {
	t.Helper()
	if _, err := c.Apply(t.Context(), []byte(manifest), kubeharness.ApplyOptions{}); err != nil {
		t.Fatalf("apply: %v\n%s", err, manifest)
	}
}

// patchStatus writes an object's status through its status subresource, as
// a kubelet or controller would.
func patchStatus(t *testing.T, c *kubeharness.Cluster, path string, status any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, c.URL()+path+"/status", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/merge-patch+json")
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("patch %s/status: HTTP %d: %s", path, resp.StatusCode, msg)
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// writeKubeconfig writes a kubeconfig with one context per entry of users,
// all on server; current is the current-context.
func writeKubeconfig(t *testing.T, server string, caData []byte, current string, users map[string]map[string]any) string {
	t.Helper()
	type named struct {
		Name    string         `json:"name"`
		Cluster map[string]any `json:"cluster,omitempty"`
		User    map[string]any `json:"user,omitempty"`
		Context map[string]any `json:"context,omitempty"`
	}
	cluster := map[string]any{"server": server}
	if caData != nil {
		cluster["certificate-authority-data"] = base64.StdEncoding.EncodeToString(caData)
	}
	doc := map[string]any{"apiVersion": "v1", "kind": "Config", "current-context": current,
		"clusters": []named{{Name: "test", Cluster: cluster}}}
	var us, cs []named
	for name, u := range users {
		us = append(us, named{Name: name, User: u})
		cs = append(cs, named{Name: name, Context: map[string]any{"cluster": "test", "user": name}})
	}
	doc["users"], doc["contexts"] = us, cs
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// kubeletFront stands in front of the real API server and answers the
// stats summary of the nodes in stats itself, passing everything else
// through. kube-apiserver refuses to proxy to a loopback address (node
// addresses must be global unicast: pkg/registry/core/node
// isProxyableHostname), so a fake kubelet on 127.0.0.1 cannot be reached
// through it; the front plays the kubelet's answer at the very path the
// doctor calls. Nodes not in stats get the real API server's answer (no
// kubelet: an error), which exercises the failure path.
func kubeletFront(t *testing.T, c *kubeharness.Cluster, stats map[string]string) string {
	t.Helper()
	target, err := url.Parse(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = c.HTTPClient().Transport // trusts the server, adds the admin token
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		node, ok := strings.CutPrefix(r.URL.Path, "/api/v1/nodes/")
		if node, ok = strings.CutSuffix(node, "/proxy/stats/summary"); ok {
			if body, found := stats[node]; found {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, body)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func testClusterChecks(t *testing.T, c *kubeharness.Cluster) {
	now := time.Now()
	ready := map[string]any{"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": stamp(now), "lastTransitionTime": stamp(now)}
	nodes := map[string][]any{
		"node-a": {ready},
		"node-b": {map[string]any{"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "container runtime is down", "lastHeartbeatTime": stamp(now), "lastTransitionTime": stamp(now)}},
		"node-c": {ready, map[string]any{"type": "DiskPressure", "status": "True", "reason": "KubeletHasDiskPressure", "lastHeartbeatTime": stamp(now), "lastTransitionTime": stamp(now)}},
		"node-d": {ready},
	}
	for name, conds := range nodes {
		spec := ""
		if name == "node-d" {
			spec = "spec: {unschedulable: true}\n"
		}
		apply(t, c, fmt.Sprintf("apiVersion: v1\nkind: Node\nmetadata: {name: %s}\n%s", name, spec))
		patchStatus(t, c, "/api/v1/nodes/"+name, map[string]any{"conditions": conds})
	}
	for _, ns := range []string{"app-ok", "app-bad", "app-empty", "db-c"} {
		if err := c.CreateNamespace(t.Context(), ns); err != nil {
			t.Fatal(err)
		}
	}
	type podCase struct {
		ns, name, owner, phase string
		ready                  bool
		waiting, unschedulable string
	}
	pods := []podCase{
		{ns: "app-ok", name: "web-1", phase: "Running", ready: true},
		{ns: "app-ok", name: "web-2", phase: "Running", ready: true},
		{ns: "app-ok", name: "cron-123-abc", owner: "Job", phase: "Succeeded"},
		{ns: "app-ok", name: "cron-456-def", owner: "Job", phase: "Failed"},
		{ns: "app-bad", name: "api-1", phase: "Running", waiting: "CrashLoopBackOff"},
		{ns: "app-bad", name: "api-2", phase: "Pending", unschedulable: "Unschedulable"},
		{ns: "app-bad", name: "api-3", phase: "Running", ready: true},
		{ns: "db-c", name: "postgres-0", owner: "StatefulSet", phase: "Running", ready: true},
	}
	for _, p := range pods {
		owner := ""
		if p.owner != "" {
			owner = fmt.Sprintf("  ownerReferences: [{apiVersion: v1, kind: %s, name: owner, uid: 6f1c0f4e-0000-4000-8000-000000000001}]\n", p.owner)
		}
		node := "  nodeName: node-a\n"
		if p.unschedulable != "" {
			node = ""
		}
		apply(t, c, fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: %s\n%sspec:\n%s  containers: [{name: app, image: registry.example/app:1.0}]\n", p.name, p.ns, owner, node))
		readyStatus := "False"
		if p.ready {
			readyStatus = "True"
		}
		conds := []any{map[string]any{"type": "Ready", "status": readyStatus}}
		if p.unschedulable != "" {
			conds = append(conds, map[string]any{"type": "PodScheduled", "status": "False", "reason": p.unschedulable})
		}
		status := map[string]any{"phase": p.phase, "conditions": conds}
		if p.phase == "Running" {
			state := map[string]any{"running": map[string]any{"startedAt": stamp(now)}}
			if p.waiting != "" {
				state = map[string]any{"waiting": map[string]any{"reason": p.waiting}}
			}
			status["containerStatuses"] = []any{map[string]any{"name": "app", "ready": p.ready, "restartCount": 3, "image": "registry.example/app:1.0", "imageID": "", "state": state}}
		}
		patchStatus(t, c, "/api/v1/namespaces/"+p.ns+"/pods/"+p.name, status)
	}
	for _, pvc := range []struct{ ns, name string }{{"app-ok", "data-ok"}, {"app-ok", "data-warn"}, {"app-ok", "data-full"}, {"app-ok", "data-idle"}, {"app-bad", "data-pending"}} {
		apply(t, c, fmt.Sprintf("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: %s, namespace: %s}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 5Gi}}\n", pvc.name, pvc.ns))
		if pvc.name != "data-pending" {
			patchStatus(t, c, "/api/v1/namespaces/"+pvc.ns+"/persistentvolumeclaims/"+pvc.name, map[string]any{"phase": "Bound", "accessModes": []string{"ReadWriteOnce"}, "capacity": map[string]string{"storage": "5Gi"}})
		}
	}
	const gi = int64(1) << 30
	vol := func(pvc string, availablePercent int64) string {
		capacity := 5 * gi
		avail := capacity * availablePercent / 100
		return fmt.Sprintf(`{"name":%q,"usedBytes":%d,"availableBytes":%d,"capacityBytes":%d,"pvcRef":{"name":%q,"namespace":"app-ok"}}`, pvc, capacity-avail-gi/10, avail, capacity, pvc)
	}
	summary := fmt.Sprintf(`{"node":{"nodeName":"node-a"},"pods":[
		{"podRef":{"name":"web-1","namespace":"app-ok"},"volume":[%s,%s,{"name":"kube-api-access","usedBytes":4096,"capacityBytes":1000000}]},
		{"podRef":{"name":"web-2","namespace":"app-ok"},"volume":[%s]}]}`, vol("data-ok", 40), vol("data-warn", 15), vol("data-full", 3))
	front := kubeletFront(t, c, map[string]string{"node-a": summary})

	e := testExpect(t)
	e.AppNamespaces = map[string]string{"a": "app-ok", "b": "app-bad", "c": "app-empty", "d": "app-missing", "e": "app-ok"}
	e.Backups.Databases = []Database{{Engine: "postgres", Namespace: "db-c", S3Prefix: "db/postgres/"}}
	kc := writeKubeconfig(t, front, nil, "front", map[string]map[string]any{"front": {}})
	rep := runGroups(t, Options{Expect: e, Kube: KubeAccess{Kubeconfig: kc}, Timeout: 10 * time.Second}, GroupCluster)
	expectChecks(t, rep, []string{GroupCluster}, map[string]want{
		"node node-a":              {OK, "Ready"},
		"node node-b":              {Error, "not Ready: Ready=False KubeletNotReady container runtime is down"},
		"node node-c":              {Warning, "Ready, under DiskPressure"},
		"node node-d":              {Warning, "cordoned"},
		"volume usage on node-c":   {Warning, "could not read the kubelet's stats"},
		"volume usage on node-d":   {Warning, "could not read the kubelet's stats"},
		"pods app-ok":              {OK, "2/2 ready"},
		"pods app-bad":             {Error, "2 of 3 not ready: api-1 (CrashLoopBackOff), api-2 (Unschedulable)"},
		"pods app-empty":           {Warning, "no pod runs in app-empty"},
		"pods app-missing":         {Error, "namespace app-missing does not exist"},
		"pods db-c":                {OK, "1/1 ready"},
		"pvc app-ok/data-ok":       {OK, "60 % full (2.9 GiB used of 5.0 GiB)"},
		"pvc app-ok/data-warn":     {Warning, "85 % full"},
		"pvc app-ok/data-full":     {Error, "97 % full"},
		"pvc app-ok/data-idle":     {OK, "bound, 5Gi; not mounted by a running pod, usage unknown"},
		"pvc app-bad/data-pending": {Error, "not bound (phase Pending)"},
	})
	// app-ok is listed twice in app_namespaces; it is checked once.
	n := 0
	for _, ch := range rep.Checks {
		if ch.Name == "pods app-ok" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("pods app-ok checked %d times", n)
	}
}

func testKubeBackups(t *testing.T, c *kubeharness.Cluster) {
	now := time.Now()
	for _, ns := range []string{"data-b", "infra-b"} {
		if err := c.CreateNamespace(t.Context(), ns); err != nil {
			t.Fatal(err)
		}
	}
	cronJobs := []struct {
		name        string
		suspend     bool
		lastSuccess time.Duration // 0: never
	}{
		{"pg-backup", false, 2 * time.Hour},
		{"pg-restore-check", false, 40 * time.Hour},
		{"mdb-backup", true, 3 * time.Hour},
		{"never-backup", false, 0},
	}
	for _, cj := range cronJobs {
		apply(t, c, fmt.Sprintf(`apiVersion: batch/v1
kind: CronJob
metadata: {name: %s, namespace: data-b}
spec:
  schedule: "0 3 * * *"
  suspend: %t
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: job, image: registry.example/job:1.0}]
`, cj.name, cj.suspend))
		if cj.lastSuccess > 0 {
			patchStatus(t, c, "/apis/batch/v1/namespaces/data-b/cronjobs/"+cj.name, map[string]any{
				"lastScheduleTime": stamp(now.Add(-cj.lastSuccess - time.Minute)), "lastSuccessfulTime": stamp(now.Add(-cj.lastSuccess)),
			})
		}
	}
	for _, s := range []string{"registry-daily", "wordpress-daily", "mailu-daily", "n8n-daily"} {
		apply(t, c, fmt.Sprintf("apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: %s, namespace: infra-b}\nspec:\n  schedule: \"0 2 * * *\"\n  template: {includedNamespaces: [x]}\n", s))
	}
	backups := []struct {
		name, schedule, phase string
		started, done         time.Duration // ago; done 0: not finished
	}{
		{"registry-daily-20260309", "registry-daily", "Completed", 27 * time.Hour, 26*time.Hour + 50*time.Minute},
		{"registry-daily-20260310", "registry-daily", "Completed", 3*time.Hour + 5*time.Minute, 3 * time.Hour},
		{"wordpress-daily-20260309", "wordpress-daily", "Completed", 30*time.Hour + 10*time.Minute, 30 * time.Hour},
		{"manual-wordpress", "other-daily", "Completed", 2 * time.Hour, time.Hour},
		{"mailu-daily-20260310", "mailu-daily", "Failed", 4 * time.Hour, 0},
		{"n8n-daily-20260309", "n8n-daily", "Completed", 5*time.Hour + 5*time.Minute, 5 * time.Hour},
		{"n8n-daily-20260310", "n8n-daily", "PartiallyFailed", time.Hour, 50 * time.Minute},
	}
	for _, b := range backups {
		status := fmt.Sprintf("  phase: %s\n  startTimestamp: %q\n", b.phase, stamp(now.Add(-b.started)))
		if b.done > 0 {
			status += fmt.Sprintf("  completionTimestamp: %q\n", stamp(now.Add(-b.done)))
		}
		apply(t, c, fmt.Sprintf("apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: %s\n  namespace: infra-b\n  labels: {velero.io/schedule-name: %s}\nspec: {}\nstatus:\n%s", b.name, b.schedule, status))
	}

	e := testExpect(t)
	e.Backups.Databases = []Database{
		{Engine: "postgres", Namespace: "data-b", BackupCronJob: "pg-backup", RestoreCheckCronJob: "pg-restore-check", S3Prefix: "db/postgres/"},
		{Engine: "mariadb", Namespace: "data-b", BackupCronJob: "mdb-backup", RestoreCheckCronJob: "mdb-restore-check", S3Prefix: "db/mariadb/"},
		{Engine: "valkey", Namespace: "data-b", BackupCronJob: "never-backup", S3Prefix: "db/valkey/"},
	}
	e.Backups.VeleroNamespace = "infra-b"
	e.Backups.VeleroSchedules = []string{"registry-daily", "wordpress-daily", "mailu-daily", "n8n-daily", "crm-daily"}
	rep := runGroups(t, Options{Expect: e, Kube: KubeAccess{Kubeconfig: c.Kubeconfig()}, Timeout: 10 * time.Second}, GroupBackups)
	expectChecks(t, rep, []string{GroupBackups}, map[string]want{
		"dump postgres":                    {Warning, "no S3 keys"},
		"restore check postgres":           {Warning, "no S3 keys"},
		"dump mariadb":                     {Warning, "no S3 keys"},
		"restore check mariadb":            {Warning, "no S3 keys"},
		"dump valkey":                      {Warning, "no S3 keys"},
		"restore check valkey":             {Warning, "no S3 keys"},
		"cronjob data-b/pg-backup":         {OK, "last success 2 h ago"},
		"cronjob data-b/pg-restore-check":  {Error, "last success 40 h ago, older than 26 h"},
		"cronjob data-b/mdb-backup":        {Warning, "suspended"},
		"cronjob data-b/mdb-restore-check": {Error, "does not exist"},
		"cronjob data-b/never-backup":      {Error, "never succeeded"},
		"velero registry-daily":            {OK, "registry-daily-20260310 completed 3 h ago"},
		"velero wordpress-daily":           {Error, "wordpress-daily-20260309 completed 30 h ago, older than 26 h"},
		"velero mailu-daily":               {Error, "no Completed backup (latest mailu-daily-20260310 is Failed)"},
		"velero n8n-daily":                 {Warning, "the latest, n8n-daily-20260310, is PartiallyFailed"},
		"velero crm-daily":                 {Error, "no Schedule crm-daily in infra-b"},
	})
}

func testKubeconfigs(t *testing.T, c *kubeharness.Cluster, admin harnessConfig, clientCA *certtest.CA) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A credential plugin as client-go runs them: it must see
	// KUBERNETES_EXEC_INFO and its env entries, and print an ExecCredential.
	goodExec := script("good-plugin", `[ -n "$KUBERNETES_EXEC_INFO" ] || { echo "no exec info" >&2; exit 3; }
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$PLUGIN_TOKEN"
`)
	badExec := script("bad-plugin", "echo 'Error: unable to authenticate: not logged in' >&2\nexit 1\n")
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(admin.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	masters := clientCA.Issue(t, certtest.Leaf{CommonName: "doctor", Organization: []string{"system:masters"}, Client: true})
	certPEM, keyPEM := certtest.PEMs(t, masters)
	stranger := certtest.NewCA(t, "someone else").Issue(t, certtest.Leaf{CommonName: "doctor", Organization: []string{"system:masters"}, Client: true})
	strangerCert, strangerKey := certtest.PEMs(t, stranger)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

	users := map[string]map[string]any{
		"token":        {"token": admin.token},
		"token-file":   {"tokenFile": "token"}, // relative: beside the kubeconfig
		"exec":         {"exec": map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "command": goodExec, "env": []any{map[string]any{"name": "PLUGIN_TOKEN", "value": admin.token}}}},
		"exec-fails":   {"exec": map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "command": badExec}},
		"client-cert":  {"client-certificate-data": b64(certPEM), "client-key-data": b64(keyPEM)},
		"foreign-cert": {"client-certificate-data": b64(strangerCert), "client-key-data": b64(strangerKey)},
		"wrong-token":  {"token": "not-the-token"},
	}
	kc := writeKubeconfig(t, admin.server, admin.caData, "wrong-token", users)
	// The token file sits beside the kubeconfig, named relatively.
	if err := os.Rename(tokenFile, filepath.Join(filepath.Dir(kc), "token")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		context string
		wantErr string // "" ok
	}{
		{"token", ""},
		{"token-file", ""},
		{"exec", ""},
		{"client-cert", ""},
		{"exec-fails", "credential plugin " + badExec + " failed: exit status 1: Error: unable to authenticate: not logged in"},
		{"foreign-cert", `User "system:anonymous" cannot get`}, // an unknown CA: not logged in
		{"wrong-token", "HTTP 401"},
		{"", "HTTP 401"}, // the current-context, wrong-token
		{"nope", `context "nope" is not in the kubeconfig`},
	}
	for _, tt := range tests {
		err := func() error {
			k, err := newKubeClient(t.Context(), KubeAccess{Kubeconfig: kc, Context: tt.context}, 10*time.Second)
			if err != nil {
				return err
			}
			var ns struct {
				Metadata objectMeta `json:"metadata"`
			}
			if err := k.get(t.Context(), "/api/v1/namespaces/default", nil, &ns); err != nil {
				return err
			}
			if ns.Metadata.Name != "default" {
				return fmt.Errorf("got namespace %q", ns.Metadata.Name)
			}
			return nil
		}()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("context %q: %v", tt.context, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("context %q: want error with %q, got %v", tt.context, tt.wantErr, err)
		}
	}

	t.Run("missing kubeconfig and CA", func(t *testing.T) {
		if _, err := newKubeClient(t.Context(), KubeAccess{Kubeconfig: filepath.Join(dir, "absent")}, time.Second); err == nil || !strings.Contains(err.Error(), "read kubeconfig") {
			t.Errorf("absent file: %v", err)
		}
		// Without the cluster's CA, the server's certificate is refused.
		noCA := writeKubeconfig(t, admin.server, nil, "token", map[string]map[string]any{"token": {"token": admin.token}})
		k, err := newKubeClient(t.Context(), KubeAccess{Kubeconfig: noCA}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var v struct{}
		if err := k.get(t.Context(), "/api/v1/namespaces/default", nil, &v); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("no CA: want a certificate error, got %v", err)
		}
	})
}
