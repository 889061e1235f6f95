// Package toolchain builds and finds the command-line tools the project
// runs (OpenTofu, sops, age, helm, the Kubernetes control plane, etcd,
// kwok, versitygw) and the real OpenTofu providers (providers.go).
//
// Every tool is built from the Go module proxy through a small module under
// tools/<name> whose go.mod and go.sum pin it, into a cache outside the clone
// (by default $HOME/.cache/fullfrontend-infra/tools). A stamp beside each
// binary records the hash of its go.mod and go.sum, so a second install is a
// no-op and a version bump in go.mod rebuilds exactly that tool.
package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DirEnv overrides the tools cache directory.
const DirEnv = "INFRA_TOOLS_DIR"

// Tool is one pinned tool built from its module under tools/.
type Tool struct {
	Name     string            // directory under tools/
	Module   string            // module path whose required version is the tool's version
	Binaries map[string]string // binary name -> main package
	LDFlags  string
	// VersionLDFlags returns flags that stamp the tool's own version into
	// the binaries, for tools whose version comes from build flags.
	VersionLDFlags func(version string) string
	// ModuleFiles are data files of Module (paths inside it) installed
	// into ShareDir/<Name>, for tools that need their upstream's data.
	ModuleFiles []string
	// Overlay replaces files of Module (paths inside it) with files of
	// tools/<Name> in a copy of the module that the build uses, for a
	// published module that does not build as it is.
	Overlay map[string]string
}

// ldflags are the linker flags of a build at version.
func (t Tool) ldflags(version string) string {
	if t.VersionLDFlags == nil {
		return t.LDFlags
	}
	return strings.TrimSpace(t.LDFlags + " " + t.VersionLDFlags(version))
}

// kubeVersionLDFlags sets what /version reports. Without them the API server
// says v0.0.0-master+$Format:%H$ and Helm refuses every chart that declares
// a kubeVersion.
func kubeVersionLDFlags(version string) string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	var flags []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		flags = append(flags,
			"-X "+pkg+".gitVersion="+version,
			"-X "+pkg+".gitMajor="+major,
			"-X "+pkg+".gitMinor="+minor,
			"-X "+pkg+".gitTreeState=clean",
			"-X "+pkg+".buildDate=1970-01-01T00:00:00Z")
	}
	return strings.Join(flags, " ")
}

// prometheusVersionLDFlags stamps the version the Prometheus tools print
// (prometheus/common/version); Prometheus 3.x is published as module v0.3xx.
func prometheusVersionLDFlags(version string) string {
	return "-X github.com/prometheus/common/version.Version=" + strings.TrimPrefix(version, "v")
}

// Tools returns the pinned tool set, in build order (fast ones first).
func Tools() []Tool {
	return []Tool{
		{Name: "age", Module: "filippo.io/age", Binaries: map[string]string{"age": "filippo.io/age/cmd/age", "age-keygen": "filippo.io/age/cmd/age-keygen"}},
		{Name: "sops", Module: "github.com/getsops/sops/v3", Binaries: map[string]string{"sops": "github.com/getsops/sops/v3/cmd/sops"}},
		{Name: "helm", Module: "helm.sh/helm/v3", Binaries: map[string]string{"helm": "helm.sh/helm/v3/cmd/helm"}},
		{Name: "tofu", Module: "github.com/opentofu/opentofu", Binaries: map[string]string{"tofu": "github.com/opentofu/opentofu/cmd/tofu"},
			// Without it the binary reports itself as a -dev build.
			LDFlags: "-X github.com/opentofu/opentofu/version.dev=no"},
		{Name: "versitygw", Module: "github.com/versity/versitygw", Binaries: map[string]string{"versitygw": "github.com/versity/versitygw/cmd/versitygw"}},
		// Alertmanager and amtool check the rendered Alertmanager
		// configuration and deliver test alerts; promtool runs the alert
		// rules' unit tests. Their versions are those the chart deploys.
		{Name: "alertmanager", Module: "github.com/prometheus/alertmanager", VersionLDFlags: prometheusVersionLDFlags, Binaries: map[string]string{
			"alertmanager": "github.com/prometheus/alertmanager/cmd/alertmanager",
			"amtool":       "github.com/prometheus/alertmanager/cmd/amtool",
		}, Overlay: map[string]string{"ui/web.go": "noui.go.txt"}},
		{Name: "prometheus", Module: "github.com/prometheus/prometheus", VersionLDFlags: prometheusVersionLDFlags, Binaries: map[string]string{
			"promtool": "github.com/prometheus/prometheus/cmd/promtool",
		}},
		{Name: "etcd", Module: "go.etcd.io/etcd/server/v3", Binaries: map[string]string{"etcd": "go.etcd.io/etcd/server/v3"}},
		{Name: "kube", Module: "k8s.io/kubernetes", VersionLDFlags: kubeVersionLDFlags, Binaries: map[string]string{
			"kube-apiserver":          "k8s.io/kubernetes/cmd/kube-apiserver",
			"kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
			"kube-scheduler":          "k8s.io/kubernetes/cmd/kube-scheduler",
		}},
		// kwok acts only on the Stages it is given: kwok's own "fast" set
		// (nodes Ready at once, pods Ready once scheduled, Job pods
		// Succeeded) and the node heartbeat that keeps nodes Ready.
		{Name: "kwok", Module: "sigs.k8s.io/kwok", Binaries: map[string]string{"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
			ModuleFiles: []string{
				"kustomize/stage/node/fast/node-initialize.yaml",
				"kustomize/stage/node/heartbeat/node-heartbeat.yaml",
				"kustomize/stage/pod/fast/pod-ready.yaml",
				"kustomize/stage/pod/fast/pod-complete.yaml",
				"kustomize/stage/pod/fast/pod-delete.yaml",
			}},
	}
}

// Dir is the tools cache: $INFRA_TOOLS_DIR, else $HOME/.cache/fullfrontend-infra/tools.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locate tools cache: %w (set %s)", err, DirEnv)
	}
	return filepath.Join(home, ".cache", "fullfrontend-infra", "tools"), nil
}

// BinDir is where the tool binaries live.
func BinDir() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "bin"), nil
}

// ShareDir holds the tools' data files (see Tool.ModuleFiles).
func ShareDir() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "share"), nil
}

// ErrNotFound is returned by Lookup for a tool that is neither in the cache nor on PATH.
var ErrNotFound = errors.New("tool not found")

// Lookup finds a binary in the tools cache first, then on PATH.
func Lookup(binary string) (string, error) {
	if bin, err := BinDir(); err == nil {
		p := filepath.Join(bin, binary)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(binary); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: %s is neither in the tools cache nor on PATH; run `make tools` (or `go run ./cmd/infra tools install`)", ErrNotFound, binary)
}

// Version reads the version that tools/<name>/go.mod requires of t.Module.
func (t Tool) Version(repoRoot string) (string, error) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "tools", t.Name, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read pin of %s: %w", t.Name, err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == t.Module {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("tools/%s/go.mod does not require %s", t.Name, t.Module)
}

// stamp identifies a build: the pin files and the flags.
func (t Tool) stamp(repoRoot, version string) (string, error) {
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "tools", t.Name, f))
		if err != nil {
			return "", fmt.Errorf("read pin of %s: %w", t.Name, err)
		}
		h.Write(data)
	}
	h.Write([]byte(t.ldflags(version)))
	h.Write([]byte(strings.Join(t.ModuleFiles, "\n")))
	for _, f := range slices.Sorted(maps.Keys(t.Overlay)) {
		data, err := os.ReadFile(filepath.Join(repoRoot, "tools", t.Name, t.Overlay[f]))
		if err != nil {
			return "", fmt.Errorf("read overlay of %s: %w", t.Name, err)
		}
		h.Write([]byte(f))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Installer builds tools into the cache.
type Installer struct {
	RepoRoot  string
	Out       io.Writer
	Heartbeat time.Duration // progress line interval during a build; 0 means 20s
	Tools     []Tool        // nil means Tools()
}

// Install builds every tool whose stamp is missing or stale. names limits it
// to those tools; empty means all.
func (in Installer) Install(ctx context.Context, names ...string) error {
	bin, err := BinDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("create tools cache: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	set := in.Tools
	if set == nil {
		set = Tools()
	}
	known := map[string]bool{}
	for _, t := range set {
		known[t.Name] = true
		if len(want) > 0 && !want[t.Name] {
			continue
		}
		if err := in.installOne(ctx, t, bin); err != nil {
			return err
		}
	}
	for n := range want {
		if !known[n] {
			return fmt.Errorf("unknown tool %q: the tools are the directories under tools/", n)
		}
	}
	return nil
}

func (in Installer) installOne(ctx context.Context, t Tool, bin string) error {
	version, err := t.Version(in.RepoRoot)
	if err != nil {
		return err
	}
	stamp, err := t.stamp(in.RepoRoot, version)
	if err != nil {
		return err
	}
	stampFile := filepath.Join(bin, "."+t.Name+".stamp")
	if cur, err := os.ReadFile(stampFile); err == nil && strings.TrimSpace(string(cur)) == stamp && allExist(bin, t.Binaries) {
		fmt.Fprintf(in.Out, "tools: %s %s up to date\n", t.Name, version)
		return nil
	}
	fmt.Fprintf(in.Out, "tools: building %s %s (a cold build of tofu or kube-apiserver takes minutes)\n", t.Name, version)
	// Build into a scratch directory and move the binaries in afterwards so
	// an interrupted build never leaves a half-written binary behind a stamp.
	tmp, err := os.MkdirTemp(bin, ".build-"+t.Name+"-")
	if err != nil {
		return fmt.Errorf("build %s: %w", t.Name, err)
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	for _, b := range slices.Sorted(maps.Keys(t.Binaries)) {
		if err := in.build(ctx, t, version, t.Binaries[b], filepath.Join(tmp, b), start); err != nil {
			return err
		}
	}
	if err := in.installModuleFiles(ctx, t); err != nil {
		return err
	}
	for b := range t.Binaries {
		if err := os.Rename(filepath.Join(tmp, b), filepath.Join(bin, b)); err != nil {
			return fmt.Errorf("install %s: %w", b, err)
		}
	}
	if err := os.WriteFile(stampFile, []byte(stamp+"\n"), 0o644); err != nil {
		return fmt.Errorf("write stamp of %s: %w", t.Name, err)
	}
	fmt.Fprintf(in.Out, "tools: built %s %s in %s\n", t.Name, version, time.Since(start).Round(time.Second))
	return nil
}

// installModuleFiles copies t.ModuleFiles from the module cache into
// ShareDir/<t.Name>.
func (in Installer) installModuleFiles(ctx context.Context, t Tool) error {
	if len(t.ModuleFiles) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", t.Module)
	cmd.Dir = filepath.Join(in.RepoRoot, "tools", t.Name)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("locate module %s for its data files: %w", t.Module, err)
	}
	share, err := ShareDir()
	if err != nil {
		return err
	}
	dst := filepath.Join(share, t.Name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	for _, f := range t.ModuleFiles {
		data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), f))
		if err != nil {
			return fmt.Errorf("data file of %s: %w", t.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
			return fmt.Errorf("install data file of %s: %w", t.Name, err)
		}
	}
	return nil
}

// build compiles one main package of tool t to out.
func (in Installer) build(ctx context.Context, t Tool, version, pkg, out string, start time.Time) error {
	args := []string{"build", "-trimpath", "-o", out}
	if f := t.ldflags(version); f != "" {
		args = append(args, "-ldflags", f)
	}
	if len(t.Overlay) > 0 {
		modFile, err := in.patchedModFile(ctx, t, filepath.Join(filepath.Dir(out), "patched-"+filepath.Base(out)))
		if err != nil {
			return err
		}
		args = append(args, "-modfile", modFile)
	}
	what := fmt.Sprintf("%s %s (%s) in tools/%s", t.Name, version, pkg, t.Name)
	return in.goBuild(ctx, filepath.Join(in.RepoRoot, "tools", t.Name), what, append(args, pkg), start)
}

// patchedModFile prepares the build of a tool with Overlay: Go refuses
// overlays inside the module cache, so the module is copied into dir, the
// files replaced there, and a copy of tools/<Name>/go.mod points the module
// at that copy (returned, for -modfile).
func (in Installer) patchedModFile(ctx context.Context, t Tool, dir string) (string, error) {
	toolDir := filepath.Join(in.RepoRoot, "tools", t.Name)
	// go mod download prints the module's directory, fetching it first on
	// a machine whose module cache is empty.
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", t.Module)
	cmd.Dir = toolDir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	var mod struct{ Dir, Error string }
	if err == nil {
		err = json.Unmarshal(out, &mod)
	}
	if err != nil || mod.Dir == "" {
		return "", fmt.Errorf("locate %s to patch %s: %v %s", t.Module, t.Name, err, mod.Error)
	}
	src := filepath.Join(dir, "src")
	if err := os.CopyFS(src, os.DirFS(mod.Dir)); err != nil {
		return "", fmt.Errorf("copy %s to patch %s: %w", t.Module, t.Name, err)
	}
	for f, with := range t.Overlay {
		data, err := os.ReadFile(filepath.Join(toolDir, with))
		if err == nil {
			err = os.WriteFile(filepath.Join(src, f), data, 0o644)
		}
		if err != nil {
			return "", fmt.Errorf("patch %s of %s: %w", f, t.Name, err)
		}
	}
	gomod, err := os.ReadFile(filepath.Join(toolDir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read pin of %s: %w", t.Name, err)
	}
	gosum, err := os.ReadFile(filepath.Join(toolDir, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("read pin of %s: %w", t.Name, err)
	}
	modFile := filepath.Join(dir, "go.mod")
	gomod = fmt.Appendf(gomod, "\nreplace %s => %s\n", t.Module, src)
	if err := os.WriteFile(modFile, gomod, 0o644); err != nil {
		return "", fmt.Errorf("write build go.mod of %s: %w", t.Name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), gosum, 0o644); err != nil {
		return "", fmt.Errorf("write build go.sum of %s: %w", t.Name, err)
	}
	return modFile, nil
}

// goBuild runs `go <args>` in dir, printing a heartbeat while it runs.
func (in Installer) goBuild(ctx context.Context, dir, what string, args []string, start time.Time) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "CGO_ENABLED=0")
	var stderr strings.Builder
	cmd.Stdout = in.Out
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("build %s: start go: %w", what, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	beat := in.Heartbeat
	if beat == 0 {
		beat = 20 * time.Second
	}
	tick := time.NewTicker(beat)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("build %s failed: %w\n%s", what, err, stderr.String())
			}
			return nil
		case <-tick.C:
			fmt.Fprintf(in.Out, "tools:   still building %s (%s)\n", what, time.Since(start).Round(time.Second))
		}
	}
}

func allExist(dir string, names map[string]string) bool {
	for n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}
