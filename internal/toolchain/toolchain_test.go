package toolchain

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestInstallIsIdempotent builds a tiny tool module twice, then after a pin change.
func TestInstallIsIdempotent(t *testing.T) {
	repoRoot := t.TempDir()
	t.Setenv(DirEnv, filepath.Join(t.TempDir(), "cache"))
	mod := filepath.Join(repoRoot, "tools", "hello")
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(mod, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The pinned "tool" is a local module, so the test needs no network.
	pin := func(version string) {
		write("go.mod", "module example.test/hello\n\ngo 1.26\n\nrequire example.test/dep "+version+"\n\nreplace example.test/dep => ./dep\n")
	}
	pin("v1.0.0")
	write("go.sum", "")
	write("dep/go.mod", "module example.test/dep\n\ngo 1.26\n")
	write("dep/cmd/hello/main.go", "package main\n\nfunc main() { println(\"hello\") }\n")
	tool := Tool{Name: "hello", Module: "example.test/dep", Binaries: map[string]string{"hello": "example.test/dep/cmd/hello"}}
	if v, err := tool.Version(repoRoot); err != nil || v != "v1.0.0" {
		t.Fatalf("Version = %q, %v", v, err)
	}

	var out strings.Builder
	in := Installer{RepoRoot: repoRoot, Out: &out, Tools: []Tool{tool}}
	install := func() string {
		t.Helper()
		out.Reset()
		if err := in.Install(context.Background()); err != nil {
			t.Fatalf("install: %v\n%s", err, out.String())
		}
		return out.String()
	}
	if got := install(); !strings.Contains(got, "built hello") {
		t.Fatalf("first install did not build:\n%s", got)
	}
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(filepath.Join(bin, "hello")).CombinedOutput(); err != nil || !strings.Contains(string(msg), "hello") {
		t.Fatalf("built binary: %q %v", msg, err)
	}
	if got := install(); !strings.Contains(got, "hello v1.0.0 up to date") {
		t.Fatalf("second install rebuilt:\n%s", got)
	}
	pin("v1.0.1")
	if got := install(); !strings.Contains(got, "built hello v1.0.1") {
		t.Fatalf("a pin change did not rebuild:\n%s", got)
	}
	if p, err := Lookup("hello"); err != nil || p != filepath.Join(bin, "hello") {
		t.Fatalf("Lookup = %q, %v", p, err)
	}
	if err := in.Install(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), `unknown tool "nope"`) {
		t.Fatalf("unknown tool: %v", err)
	}
}

func TestLookupMissing(t *testing.T) {
	t.Setenv(DirEnv, t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := Lookup("tofu")
	if err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("Lookup of a missing tool: %v", err)
	}
}

// TestPinsExist checks every pinned tool names its version in tools/<name>/go.mod.
func TestPinsExist(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range Tools() {
		v, err := tool.Version(root)
		if err != nil {
			t.Errorf("%s: %v", tool.Name, err)
			continue
		}
		if !strings.HasPrefix(v, "v") {
			t.Errorf("%s: version %q", tool.Name, v)
		}
		if _, err := os.Stat(filepath.Join(root, "tools", tool.Name, "go.sum")); err != nil {
			t.Errorf("%s: go.sum missing: %v", tool.Name, err)
		}
	}
}

func TestKubeVersionLDFlags(t *testing.T) {
	got := kubeVersionLDFlags("v1.34.2")
	for _, want := range []string{
		"-X k8s.io/component-base/version.gitVersion=v1.34.2",
		"-X k8s.io/component-base/version.gitMajor=1",
		"-X k8s.io/component-base/version.gitMinor=34",
		"-X k8s.io/client-go/pkg/version.gitVersion=v1.34.2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("flags lack %q:\n%s", want, got)
		}
	}
}

// TestInstallProviders builds a provider from a local source tree into the
// mirror layout OpenTofu reads, then finds it up to date.
func TestInstallProviders(t *testing.T) {
	shared := t.TempDir()
	t.Setenv(DirEnv, filepath.Join(t.TempDir(), "cache"))
	src := filepath.Join(shared, "providers", "example", "demo", "1.2.3")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"go.mod":  "module example.test/demo\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() { println(\"demo provider\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(shared, "providers", "SOURCES"), []byte("example/demo 1.2.3 v1.2.3 0123abcd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	in := Installer{Out: &out}
	if err := in.InstallProviders(context.Background(), shared); err != nil {
		t.Fatalf("install: %v\n%s", err, out.String())
	}
	mirror, _ := MirrorDir()
	bin := filepath.Join(mirror, "registry.opentofu.org/example/demo/1.2.3", runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-demo_v1.2.3")
	if msg, err := exec.Command(bin).CombinedOutput(); err != nil || !strings.Contains(string(msg), "demo provider") {
		t.Fatalf("built provider %s: %q %v\n%s", bin, msg, err, out.String())
	}
	cfg, _ := CLIConfigPath()
	if data, err := os.ReadFile(cfg); err != nil || !strings.Contains(string(data), "filesystem_mirror") || !strings.Contains(string(data), mirror) || strings.Contains(string(data), "direct") {
		t.Fatalf("CLI config %s: %v\n%s", cfg, err, data)
	}
	out.Reset()
	if err := in.InstallProviders(context.Background(), shared); err != nil || !strings.Contains(out.String(), "provider example/demo 1.2.3 up to date") {
		t.Fatalf("second install: %v\n%s", err, out.String())
	}
}

func TestReadProvidersRefusesABadLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "SOURCES"), []byte("hashicorp/helm 3.1.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadProviders(dir); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("err = %v, want one naming line 1", err)
	}
}
