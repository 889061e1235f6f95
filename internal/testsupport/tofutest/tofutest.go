// Package tofutest runs OpenTofu offline for tests: it builds the test
// provider, installs it into a filesystem mirror under the real provider
// addresses and versions of ../shared/provider-schemas, and runs tofu with a
// CLI configuration that knows only that mirror.
package tofutest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/testsupport/testprovider"
)

// Env is an installed mirror and the environment that makes tofu use it.
type Env struct {
	Tofu    string
	Environ []string
	Repo    string // the repository under test
}

// Setup finds tofu, builds the test provider and installs the mirror.
func Setup(t testing.TB) *Env {
	t.Helper()
	tofu := testenv.Tool(t, "tofu")
	schemas := testenv.Shared(t, "provider-schemas")
	root, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin, err := testprovider.Build(ctx, root, filepath.Join(work, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	mirror := filepath.Join(work, "mirror")
	providers, err := testprovider.InstallMirror(mirror, schemas, bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := testprovider.WriteFixtures(providers, mirror, Fixtures()); err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(work, "tofu.tfrc")
	if err := testprovider.WriteCLIConfig(cliConfig, mirror); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(work, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	// A fresh environment: nothing of the user's tofu setup (plugin cache,
	// credentials, CLI config, TF_VAR_*) may leak in.
	return &Env{Tofu: tofu, Repo: root, Environ: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + os.TempDir(),
		"TF_CLI_CONFIG_FILE=" + cliConfig,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
	}}
}

// Fixtures are the values the real APIs would return where the test
// provider's "computed-..." strings would fail a validation (addresses from
// the documentation ranges of RFC 5737).
func Fixtures() testprovider.Fixtures {
	return testprovider.Fixtures{
		"digitalocean_vpc.ip_range":                       "10.110.0.0/20",
		"digitalocean_loadbalancer.ip":                    "203.0.113.10",
		"digitalocean_kubernetes_versions.latest_version": "1.34.5-do.0",
		"digitalocean_kubernetes_cluster.cluster_subnet":  "10.244.0.0/16",
		"digitalocean_kubernetes_cluster.region":          "fra1", // stacks/cluster's default
		// Long enough for every length rule the modules put on a secret
		// (an app secret, an encryption key) when an apply stores it.
		"random_password.result": "fixture-password-0123456789abcdef0123456789abcdef",
	}
}

// Run runs tofu in dir with extra environment entries and returns its exit
// code and combined output.
func (e *Env) Run(t testing.TB, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Tofu, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, e.Environ...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	default:
		t.Fatalf("tofu %s: %v\n%s", strings.Join(args, " "), err, out.String())
		return -1, ""
	}
}

// MustRun runs tofu and fails the test unless it exits 0.
func (e *Env) MustRun(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	code, out := e.Run(t, dir, env, args...)
	if code != 0 {
		t.Fatalf("tofu %s in %s: exit %d\n%s", strings.Join(args, " "), dir, code, out)
	}
	return out
}

// CopyRepo copies the given top-level directories of the repository into a
// fresh temporary root, so tests never write into the checkout (no
// .terraform, lock file or state appears there) and relative module sources
// keep working. Git-ignored working data is skipped.
func (e *Env) CopyRepo(t testing.TB, dirs ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, d := range dirs {
		src := filepath.Join(e.Repo, d)
		err := filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(e.Repo, p)
			name := de.Name()
			if de.IsDir() && (name == ".terraform" || strings.HasPrefix(name, ".terraform-")) {
				return filepath.SkipDir
			}
			if name == ".secrets.auto.tfvars" || name == "backend_override.tf" || name == ".terraform.lock.hcl" || strings.HasSuffix(name, ".tfstate") {
				return nil
			}
			target := filepath.Join(dst, rel)
			if de.IsDir() {
				return os.MkdirAll(target, 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		})
		if err != nil {
			t.Fatalf("copy %s: %v", d, err)
		}
	}
	return dst
}

// LocalBackend writes the same kind of override scripts/tofu-secrets.sh
// writes in dev, so a stack whose committed backend is S3 plans offline.
func LocalBackend(t testing.TB, stackDir string) {
	t.Helper()
	content := "terraform {\n  backend \"local\" {\n    path = \"terraform.tfstate\"\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(stackDir, "backend_override.tf"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// LastLine is the last line of tofu's output: the summary of `tofu test`.
func LastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}
