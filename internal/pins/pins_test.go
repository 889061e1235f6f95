package pins

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHCLPins(t *testing.T) {
	src := `terraform {
  required_version = ">= 1.10.0"
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
  }
}
locals {
  chart = { repository = "https://x.example", chart = "traefik", version = "41.3.0" }
  image = "docker.io/library/postgres:17.7"
  tag   = "${var.repo}:1.0.0"
  # renovate: datasource=docker depName=example/app
  app_tag = "v0.20.0"
  api     = "apps/v1"
  start   = "05:00"
}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := hclPins(dir, "main.tf")
	if err != nil {
		t.Fatal(err)
	}
	want := []Pin{
		{"provider", "main.tf", 6, "helm", "3.1.2"},
		{"chart", "main.tf", 11, "traefik", "41.3.0"},
		{"image", "main.tf", 12, "docker.io/library/postgres", "17.7"},
		{"version", "main.tf", 15, "app_tag", "v0.20.0"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("pins:\n got %v\nwant %v", got, want)
	}
}

// TestRenovateConfigIsValid runs Renovate's own validator on renovate.json,
// strictly (a configuration that needs migrating fails too).
func TestRenovateConfigIsValid(t *testing.T) {
	t.Parallel()
	validator := testenv.Tool(t, "renovate-config-validator")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, validator, "--strict")
	cmd.Dir = root(t)
	cmd.Env = renovateEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Config validated successfully")) {
		t.Fatalf("renovate-config-validator --strict: %v\n%s", err, out)
	}
	t.Logf("%s", lines(out, " INFO: "))
}

// TestRenovateUpdatesEveryPin lists the repository's pins itself and runs
// Renovate's extraction on the repository (local platform, nothing looked
// up): each pin must come out of a Renovate manager, in the same file, with
// the same version, not skipped.
func TestRenovateUpdatesEveryPin(t *testing.T) {
	t.Parallel()
	renovate := testenv.Tool(t, "renovate")
	r := root(t)
	pins, err := Find(r)
	if err != nil {
		t.Fatal(err)
	}
	deps := extract(t, renovate, r)
	kinds := map[string]int{}
	for _, p := range pins {
		kinds[p.Kind]++
		if msg := updated(p, deps[p.File]); msg != "" {
			t.Errorf("%s: %s", p, msg)
		}
	}
	t.Logf("%d pins, each updated by Renovate: %v", len(pins), kinds)
	for kind, min := range map[string]int{"chart": 12, "image": 10, "version": 4, "provider": 6, "go": 10, "npm": 2} {
		if kinds[kind] < min {
			t.Errorf("found %d %s pins, fewer than the %d the repository has: the finder lost some", kinds[kind], kind, min)
		}
	}
}

type dep struct {
	DepName      string `json:"depName"`
	PackageName  string `json:"packageName"`
	CurrentValue string `json:"currentValue"`
	SkipReason   string `json:"skipReason"`
	Enabled      *bool  `json:"enabled"`
}

// updated says why no extracted dependency updates p ("" if one does).
func updated(p Pin, deps []dep) string {
	for _, d := range deps {
		if d.CurrentValue != p.Version || (p.Kind != "version" && d.DepName != p.Name && d.PackageName != p.Name) {
			continue
		}
		// The extraction runs without a GitHub token; the hosted Renovate
		// has one, so GitHub datasources are only skipped here.
		if d.SkipReason != "" && d.SkipReason != "github-token-required" {
			return "Renovate extracts it but skips it: " + d.SkipReason
		}
		if d.Enabled != nil && !*d.Enabled {
			return "Renovate extracts it but it is disabled"
		}
		return ""
	}
	if p.Kind == "version" {
		return "no Renovate manager updates it: put a '# renovate: datasource=<datasource> depName=<package>' comment on the line above (see renovate.json)"
	}
	return "no Renovate manager updates it: extend a manager of renovate.json (customManagers) to match it"
}

// extract runs `renovate --platform=local --dry-run=extract` in dir and
// returns the dependencies it found, by file.
func extract(t *testing.T, renovate, dir string) map[string][]dep {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, renovate, "--platform=local", "--dry-run=extract")
	cmd.Dir = dir
	cmd.Env = append(renovateEnv(t), "LOG_LEVEL=debug", "LOG_FORMAT=json")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("renovate extract: %v\n%s", err, lines(out, ""))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var entry struct {
			PackageFiles map[string][]struct {
				PackageFile string `json:"packageFile"`
				Deps        []dep  `json:"deps"`
			} `json:"packageFiles"`
		}
		if json.Unmarshal(sc.Bytes(), &entry) != nil || entry.PackageFiles == nil {
			continue
		}
		byFile := map[string][]dep{}
		for _, files := range entry.PackageFiles {
			for _, f := range files {
				byFile[f.PackageFile] = append(byFile[f.PackageFile], f.Deps...)
			}
		}
		return byFile
	}
	t.Fatalf("renovate extract printed no packageFiles:\n%s", lines(out, ""))
	return nil
}

// renovateEnv keeps Renovate on this machine: its cache in a temporary
// directory, no token, no telemetry.
func renovateEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RENOVATE_") && !strings.HasPrefix(kv, "GITHUB_") {
			env = append(env, kv)
		}
	}
	return append(env, "RENOVATE_BASE_DIR="+t.TempDir(), "RENOVATE_X_IGNORE_RE2=true")
}

// lines keeps the output lines that contain sub (all if empty), at most 40.
func lines(out []byte, sub string) string {
	var keep []string
	for l := range strings.SplitSeq(string(out), "\n") {
		if strings.Contains(l, sub) && len(keep) < 40 {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestEveryChartPinHasAnOfflineCopy: a chart bumped in
// modules/chart-sources without its release in ../shared/charts would leave
// the offline chart checks without the files to check; say which.
func TestEveryChartPinHasAnOfflineCopy(t *testing.T) {
	t.Parallel()
	charts := testenv.Shared(t, "charts")
	pins, err := Find(root(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(charts, "repo", "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Entries map[string][]struct {
			Version string `yaml:"version"`
		} `yaml:"entries"`
	}
	if err := yaml.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	for _, p := range pins {
		if p.Kind != "chart" {
			continue
		}
		var missing []string
		if _, err := os.Stat(filepath.Join(charts, p.Name, p.Version, "values.yaml")); err != nil {
			missing = append(missing, fmt.Sprintf("its values under %s/%s/%s/", charts, p.Name, p.Version))
		}
		if !slices.ContainsFunc(idx.Entries[p.Name], func(e struct {
			Version string `yaml:"version"`
		}) bool {
			return e.Version == p.Version
		}) {
			missing = append(missing, fmt.Sprintf("its package and index.yaml entry in %s/repo/", charts))
		}
		if len(missing) > 0 {
			t.Errorf("chart %s %s (%s:%d) has no offline copy: add %s, or pin a version that has them", p.Name, p.Version, p.File, p.Line, strings.Join(missing, " and "))
		}
	}
}
