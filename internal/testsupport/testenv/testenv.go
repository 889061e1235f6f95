// Package testenv gives tests what they need from outside the repository
// (tool binaries, the read-only ../shared data) under one rule: missing when
// a developer runs a few tests by hand (go test), the test is skipped;
// missing in the full run (make test, which sets INFRA_TEST_ALL=1, or CI),
// it fails, because there a silent skip would pass a run that verified
// nothing.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/toolchain"
)

// SharedEnv overrides the location of the shared data directory.
const SharedEnv = toolchain.SharedEnv

// AllEnv marks the full run: make test sets it.
const AllEnv = "INFRA_TEST_ALL"

// InCI reports whether the tests run in CI.
func InCI() bool { return os.Getenv("CI") == "true" }

// strict reports whether a missing dependency fails the test: in CI and in
// the full run.
func strict() bool { return InCI() || os.Getenv(AllEnv) == "1" }

// Missing skips the test when a developer runs tests by hand and fails it in
// the full run, where everything a test needs must be installed (make test,
// .ci/run).
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	missing(t, fmt.Errorf(format, args...))
}

func missing(t testing.TB, err error) {
	t.Helper()
	if strict() {
		t.Fatalf("required by the full test run (make test, CI): %v", err)
	}
	t.Skipf("skipped (make test would fail): %v", err)
}

// Tool returns the path of a tool binary (tools cache, then PATH).
func Tool(t testing.TB, binary string) string {
	t.Helper()
	p, err := toolchain.Lookup(binary)
	if err == nil {
		return p
	}
	if !errors.Is(err, toolchain.ErrNotFound) {
		t.Fatal(err)
	}
	missing(t, err)
	return ""
}

// SystemTool finds a program a Debian package installs: on PATH, else in
// /usr/sbin or /usr/bin (not on every PATH), else as Tool does.
func SystemTool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && !st.IsDir() {
			return filepath.Join(dir, name)
		}
	}
	return Tool(t, name)
}

// Shared returns a directory of the shared data ($INFRA_SHARED_DIR, else
// ../shared beside the repository), joined with the given elements.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	base, err := toolchain.SharedDir(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(append([]string{base}, elem...)...)
	if _, err := os.Stat(dir); err != nil {
		missing(t, fmt.Errorf("shared data %s: %w: the charts, provider sources and CRDs are expected in ../shared beside the repository (%s), or where %s points", dir, err, base, SharedEnv))
	}
	return dir
}

// RealProviders returns the OpenTofu CLI configuration that installs the
// real providers built by `make tools` (toolchain.CLIConfigPath).
func RealProviders(t testing.TB) string {
	t.Helper()
	cfg, err := toolchain.CLIConfigPath()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg); err != nil {
		missing(t, fmt.Errorf("the real providers are not built (%v): run `make tools`", err))
	}
	return cfg
}
