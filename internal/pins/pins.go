// Package pins lists every version the repository pins: charts
// (modules/chart-sources), container images and image tags written in the
// modules and stacks, OpenTofu providers, the Go modules of the project and
// of its tools, and the npm tools. Its tests check that Renovate extracts
// each of them, so that a pin without an update path is a red CI.
package pins

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/mod/modfile"
)

// Pin is one pinned version.
type Pin struct {
	Kind    string // chart, image, version, provider, go, npm
	File    string // relative to the repository root, slash-separated
	Line    int
	Name    string // chart, image, provider, module or package; for "version", the attribute
	Version string
}

func (p Pin) String() string {
	return fmt.Sprintf("%s:%d: %s %s %s", p.File, p.Line, p.Kind, p.Name, p.Version)
}

var (
	chartLine = regexp.MustCompile(`^\s*[a-z0-9-]+\s*=\s*\{.*\bchart\s*=\s*"([^"]+)",\s*version\s*=\s*"([^"]+)"`)
	imageRef  = regexp.MustCompile(`"((?:[a-z0-9.-]+/)*[a-z0-9._-]+/[a-z0-9._-]+):([A-Za-z0-9._-]+)"`)
	// A quoted literal that looks like a release: major.minor at least.
	versionLine  = regexp.MustCompile(`^\s*([a-z_]+)\s*=\s*"(v?[0-9]+\.[0-9]+(?:\.[0-9]+)?(?:[-+][A-Za-z0-9.-]+)?)"`)
	providerOpen = regexp.MustCompile(`^\s*([a-z0-9_-]+)\s*=\s*\{\s*$`)
)

// Find lists the pins of the files git tracks under root (what a clone and
// Renovate see).
func Find(root string) ([]Pin, error) {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		return nil, fmt.Errorf("list the repository's files: %w", err)
	}
	var pins []Pin
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if skipped(f) {
			continue
		}
		var found []Pin
		switch {
		case strings.HasSuffix(f, ".tf") && (strings.HasPrefix(f, "modules/") || strings.HasPrefix(f, "stacks/")):
			found, err = hclPins(root, f)
		case f == "go.mod" || (strings.HasPrefix(f, "tools/") && strings.HasSuffix(f, "/go.mod")):
			found, err = goPins(root, f)
		case strings.HasPrefix(f, "tools/") && strings.HasSuffix(f, "/package.json"):
			found, err = npmPins(root, f)
		}
		if err != nil {
			return nil, err
		}
		pins = append(pins, found...)
	}
	return pins, nil
}

// skipped: test fixtures pin nothing that runs.
func skipped(f string) bool {
	for _, dir := range strings.Split(filepath.ToSlash(filepath.Dir(f)), "/") {
		if dir == "tests" || dir == "testdata" || dir == "node_modules" {
			return true
		}
	}
	return false
}

func hclPins(root, f string) ([]Pin, error) {
	data, err := os.ReadFile(filepath.Join(root, f))
	if err != nil {
		return nil, err
	}
	var pins []Pin
	inProviders, provider := false, ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if strings.Contains(line, "required_providers") {
			inProviders = true
			continue
		}
		if inProviders {
			if m := providerOpen.FindStringSubmatch(line); m != nil {
				provider = m[1]
			}
			if m := versionLine.FindStringSubmatch(line); m != nil && m[1] == "version" && provider != "" {
				pins = append(pins, Pin{"provider", f, n, provider, m[2]})
			}
			if strings.TrimSpace(line) == "}" && provider == "" {
				inProviders = false
			} else if strings.TrimSpace(line) == "}" {
				provider = ""
			}
			continue
		}
		if m := chartLine.FindStringSubmatch(line); m != nil {
			pins = append(pins, Pin{"chart", f, n, m[1], m[2]})
			continue
		}
		if ms := imageRef.FindAllStringSubmatch(line, -1); ms != nil {
			for _, m := range ms {
				pins = append(pins, Pin{"image", f, n, m[1], m[2]})
			}
			continue
		}
		if m := versionLine.FindStringSubmatch(line); m != nil {
			pins = append(pins, Pin{"version", f, n, m[1], m[2]})
		}
	}
	return pins, sc.Err()
}

// goPins: the go directive and every direct requirement (indirect ones
// follow from them; Go resolves them, nobody picks them).
func goPins(root, f string) ([]Pin, error) {
	data, err := os.ReadFile(filepath.Join(root, f))
	if err != nil {
		return nil, err
	}
	mf, err := modfile.ParseLax(f, data, nil)
	if err != nil {
		return nil, err
	}
	var pins []Pin
	if mf.Go != nil {
		pins = append(pins, Pin{"go", f, mf.Go.Syntax.Start.Line, "go", mf.Go.Version})
	}
	for _, r := range mf.Require {
		if !r.Indirect {
			pins = append(pins, Pin{"go", f, r.Syntax.Start.Line, r.Mod.Path, r.Mod.Version})
		}
	}
	return pins, nil
}

func npmPins(root, f string) ([]Pin, error) {
	data, err := os.ReadFile(filepath.Join(root, f))
	if err != nil {
		return nil, err
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	var pins []Pin
	for name, v := range pkg.Dependencies {
		pins = append(pins, Pin{"npm", f, 0, name, v})
	}
	return pins, nil
}
