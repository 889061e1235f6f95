// Package chartrender renders Helm releases offline from the real packaged
// charts, the way the OpenTofu helm provider (Helm SDK v3.18.5) renders them
// at install, so that template-time failures and values no template reads are
// found before an apply.
package chartrender

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"sigs.k8s.io/yaml"
)

// KubeVersion is the Kubernetes version the platform's clusters run.
const KubeVersion = "v1.34.2"

// platformAPIs are the CRD API versions (and their kinds) the platform
// installs, so that templates guarded by .Capabilities.APIVersions.Has render
// as they do on the cluster; a cluster's discovery lists both forms.
var platformAPIs = map[string][]string{
	"monitoring.coreos.com/v1":    {"Alertmanager", "PodMonitor", "Probe", "Prometheus", "PrometheusRule", "ServiceMonitor", "ThanosRuler"},
	"cert-manager.io/v1":          {"Certificate", "CertificateRequest", "ClusterIssuer", "Issuer"},
	"traefik.io/v1alpha1":         {"IngressRoute", "IngressRouteTCP", "IngressRouteUDP", "Middleware", "MiddlewareTCP", "ServersTransport", "ServersTransportTCP", "TLSOption", "TLSStore", "TraefikService"},
	"velero.io/v1":                {"Backup", "BackupRepository", "BackupStorageLocation", "DeleteBackupRequest", "DownloadRequest", "PodVolumeBackup", "PodVolumeRestore", "Restore", "Schedule", "ServerStatusRequest", "VolumeSnapshotLocation"},
	"externaldns.k8s.io/v1alpha1": {"DNSEndpoint"},
}

// APIVersions returns the API versions added to Helm's default set.
func APIVersions() []string {
	var out []string
	for gv, kinds := range platformAPIs {
		out = append(out, gv)
		for _, k := range kinds {
			out = append(out, gv+"/"+k)
		}
	}
	slices.Sort(out)
	return out
}

// capabilities are those Install sets up in client-only mode with
// KubeVersion and APIVersions.
func capabilities(req Request) (*chartutil.Capabilities, error) {
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	caps.APIVersions = append(caps.APIVersions, extraAPIVersions(req)...)
	return caps, nil
}

func extraAPIVersions(req Request) []string {
	if req.APIVersions != nil {
		return req.APIVersions
	}
	return APIVersions()
}

// Request is one release to render.
type Request struct {
	RepoDir   string         // a chart repository directory (index.yaml + .tgz)
	Chart     string         // chart name as in index.yaml ("mailu")
	Version   string         // exact chart version ("2.7.1")
	Name      string         // release name
	Namespace string         // release namespace
	Values    map[string]any // user values as the helm provider passes them (not merged with defaults)
	// APIVersions are what the cluster's discovery lists ("policy/v1",
	// "policy/v1/PodDisruptionBudget", ...), as the helm provider asks the
	// cluster at install; nil means Helm's offline defaults and the
	// platform's CRDs (APIVersions()).
	APIVersions []string
}

func (r Request) String() string {
	return fmt.Sprintf("chart %s %s (release %s/%s)", r.Chart, r.Version, r.Namespace, r.Name)
}

// Object is one rendered Kubernetes object.
type Object struct {
	Template string         // source template path, e.g. "mailu/templates/front/deployment.yaml"
	Hook     bool           // a Helm hook (helm.sh/hook annotation), installed too
	Object   map[string]any // decoded YAML
}

// Renderer renders releases; it keeps each chart archive it has read, and
// each UnreadKeys answer (the same release planned in two environments is
// searched once). Safe for concurrent use.
type Renderer struct {
	mu      sync.Mutex
	charts  map[chartKey]*archive
	unread  map[string][]string // request digest -> UnreadKeys answer
	renders atomic.Int64        // for tests: the cost of UnreadKeys
}

type chartKey struct{ repoDir, name, version string }

// archive is a chart's unpacked files, loaded once. A *chart.Chart is not
// shared between renders: Install mutates it (disabled subcharts are removed,
// import-values rewrite its values), so each render loads a fresh one from
// these files.
type archive struct {
	once  sync.Once
	files []*loader.BufferedFile
	err   error
}

// NewRenderer returns a Renderer with an empty cache.
func NewRenderer() *Renderer {
	return &Renderer{charts: map[chartKey]*archive{}, unread: map[string][]string{}}
}

// Render renders one release with a Renderer of its own (nothing cached).
func Render(req Request) ([]Object, error) { return NewRenderer().Render(req) }

// UnreadKeys is Renderer.UnreadKeys with a Renderer of its own.
func UnreadKeys(req Request) ([]string, error) { return NewRenderer().UnreadKeys(req) }

// Render renders one release like `helm install --dry-run` without a cluster:
// values coalesced with the chart's defaults, validated against its
// values.schema.json, every template rendered. Objects come in Helm's order:
// hooks (every event, tests included), then the manifest in install order.
// The chart's crds/ directory is left out, as the helm provider applies it
// before rendering; CRDs from templates are in.
func (r *Renderer) Render(req Request) ([]Object, error) {
	docs, err := r.render(req)
	if err != nil {
		return nil, err
	}
	objs := make([]Object, 0, len(docs))
	for _, d := range docs {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d.text), &m); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", req, d.template, err)
		}
		if len(m) == 0 {
			continue // only comments or whitespace
		}
		objs = append(objs, Object{Template: d.template, Hook: d.hook, Object: m})
	}
	return objs, nil
}

// doc is one rendered document, undecoded.
type doc struct {
	template string
	hook     bool
	text     string
}

// prepare counts a render and gives it a fresh chart and the capabilities.
func (r *Renderer) prepare(req Request) (*chart.Chart, *chartutil.Capabilities, error) {
	r.renders.Add(1)
	ch, err := r.load(req)
	if err != nil {
		return nil, nil, err
	}
	caps, err := capabilities(req)
	return ch, caps, err
}

func (r *Renderer) render(req Request) (docs []doc, err error) {
	ch, caps, err := r.prepare(req)
	if err != nil {
		return nil, err
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.ClientOnly = true
	inst.DryRun = true
	inst.Replace = true
	inst.ReleaseName = req.Name
	inst.Namespace = req.Namespace
	inst.IncludeCRDs = false
	inst.KubeVersion = &caps.KubeVersion
	inst.APIVersions = extraAPIVersions(req)

	// Helm code run on arbitrary values has unchecked type assertions: a
	// panic there is this release's error, not the caller's crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: helm panicked: %v", req, p)
		}
	}()
	rel, err := inst.Run(ch, copyValues(req.Values))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req, err)
	}

	for _, h := range rel.Hooks {
		// Test hooks run at `helm test` only: an install never creates them.
		if slices.Contains(h.Events, release.HookTest) {
			continue
		}
		if strings.TrimSpace(h.Manifest) != "" {
			docs = append(docs, doc{template: h.Path, hook: true, text: h.Manifest})
		}
	}
	// rel.Manifest is "---\n# Source: <template>\n<document>\n" per
	// document, each already split by Helm (no document holds a "\n---"
	// line), so a plain split recovers them; releaseutil.SplitManifests's
	// regexp costs a quarter of a render.
	body, ok := strings.CutPrefix(rel.Manifest, "---\n# Source: ")
	for _, part := range strings.Split(body, "\n---\n# Source: ") {
		if !ok {
			break // no documents
		}
		tpl, text, _ := strings.Cut(part, "\n")
		if strings.TrimSpace(text) != "" {
			docs = append(docs, doc{template: tpl, text: "# Source: " + part})
		}
	}
	return docs, nil
}

// load returns a fresh chart for req from the cached archive files.
func (r *Renderer) load(req Request) (*chart.Chart, error) {
	key := chartKey{req.RepoDir, req.Chart, req.Version}
	r.mu.Lock()
	if r.charts == nil {
		r.charts = map[chartKey]*archive{}
	}
	a := r.charts[key]
	if a == nil {
		a = &archive{}
		r.charts[key] = a
	}
	r.mu.Unlock()

	a.once.Do(func() { a.files, a.err = readArchive(req) })
	if a.err != nil {
		return nil, a.err
	}
	ch, err := loader.LoadFiles(a.files)
	if err != nil {
		return nil, fmt.Errorf("chart %s %s: %w", req.Chart, req.Version, err)
	}
	return ch, nil
}

// index is the part of a repository's index.yaml used here.
type index struct {
	Entries map[string][]struct {
		Version string   `json:"version"`
		Digest  string   `json:"digest"`
		URLs    []string `json:"urls"`
	} `json:"entries"`
}

// readArchive finds the chart's package through index.yaml, checks its
// digest and unpacks it.
func readArchive(req Request) ([]*loader.BufferedFile, error) {
	where := fmt.Sprintf("chart %s %s in repository %s", req.Chart, req.Version, req.RepoDir)
	raw, err := os.ReadFile(filepath.Join(req.RepoDir, "index.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var idx index
	if err := yaml.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("%s: index.yaml: %w", where, err)
	}
	var versions []string
	for _, e := range idx.Entries[req.Chart] {
		versions = append(versions, e.Version)
		if e.Version != req.Version {
			continue
		}
		if len(e.URLs) == 0 {
			return nil, fmt.Errorf("%s: index.yaml lists no URL", where)
		}
		u := e.URLs[0]
		if strings.Contains(u, "://") {
			return nil, fmt.Errorf("%s: URL %s is not relative to the repository", where, u)
		}
		data, err := os.ReadFile(filepath.Join(req.RepoDir, filepath.FromSlash(u)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if e.Digest != "" {
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != e.Digest {
				return nil, fmt.Errorf("%s: %s has digest %s, index.yaml says %s", where, u, got, e.Digest)
			}
		}
		files, err := loader.LoadArchiveFiles(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, u, err)
		}
		return files, nil
	}
	if versions == nil {
		return nil, fmt.Errorf("%s: no such chart in index.yaml", where)
	}
	return nil, fmt.Errorf("%s: no such version in index.yaml (it has %s)", where, strings.Join(versions, ", "))
}

// copyValues deep-copies a values tree (maps and lists), so that nothing
// Helm does to the values reaches the caller's.
func copyValues(v map[string]any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = copyValue(x)
	}
	return out
}

func copyValue(x any) any {
	switch t := x.(type) {
	case map[string]any:
		return copyValues(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyValue(e)
		}
		return out
	default:
		return x
	}
}
