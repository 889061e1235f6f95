package secretscan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/repo"
)

// TestPreCommitHook runs the real .githooks/pre-commit through `git commit`
// in a scratch repository: a plain file commits, a clear secrets file is refused.
func TestPreCommitHook(t *testing.T) {
	src, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	infra := filepath.Join(work, "infra")
	build := exec.Command("go", "build", "-o", infra, "./cmd/infra")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/infra: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "repo")
	write := func(name, content string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	hook, err := os.ReadFile(filepath.Join(src, ".githooks", "pre-commit"))
	if err != nil {
		t.Fatal(err)
	}
	write(".githooks/pre-commit", string(hook), 0o755)
	write("go.mod", "module "+repo.ModulePath+"\n", 0o644)
	// The hook calls <repo>/bin/infra; here that is the CLI built above.
	write("bin/infra", "#!/bin/sh\nexec "+infra+" \"$@\"\n", 0o755)
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, args := range [][]string{{"init", "-q"}, {"config", "core.hooksPath", ".githooks"}} {
		if out, err := git(args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write("main.tf", "locals {}\n", 0o644)
	if out, err := git("add", "main.tf", "go.mod", "bin/infra", ".githooks/pre-commit"); err != nil {
		t.Fatalf("git add: %v\n%s", err, out)
	}
	if out, err := git("commit", "-q", "-m", "clean"); err != nil {
		t.Fatalf("clean commit refused: %v\n%s", err, out)
	}
	write("secrets.tfvars", "do_token = \"x\"\n", 0o600)
	if out, err := git("add", "-f", "secrets.tfvars"); err != nil {
		t.Fatalf("git add: %v\n%s", err, out)
	}
	out, err := git("commit", "-q", "-m", "leak")
	if err == nil {
		t.Fatalf("commit of a clear secrets file went through:\n%s", out)
	}
	if !strings.Contains(out, "secrets.tfvars: clear secrets tfvars") {
		t.Fatalf("hook refused without naming the file:\n%s", out)
	}
}
