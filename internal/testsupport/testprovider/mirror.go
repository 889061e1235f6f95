package testprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BinaryName is the name of the built plugin binary.
const BinaryName = "tofu-testprovider"

// Provider is one provider release installed into the mirror.
type Provider struct {
	Namespace string // e.g. hashicorp
	Name      string // e.g. time
	Version   string // e.g. 0.14.0
	Address   string // e.g. registry.opentofu.org/hashicorp/time
}

// Build compiles cmd/tofu-testprovider of the repository at repoRoot into
// outDir and returns the binary's path.
func Build(ctx context.Context, repoRoot, outDir string) (string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("build test provider: %w", err)
	}
	out, err := filepath.Abs(filepath.Join(outDir, BinaryName))
	if err != nil {
		return "", fmt.Errorf("build test provider: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/tofu-testprovider")
	cmd.Dir = repoRoot
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build test provider: go build: %w\n%s", err, msg)
	}
	return out, nil
}

// InstallMirror lays out the unpacked filesystem mirror OpenTofu installs
// from: for every schema file <ns>_<name>_<version>.json in schemasDir,
//
//	<mirror>/<host>/<ns>/<name>/<version>/<os>_<arch>/terraform-provider-<name>_v<version>
//
// (the provider binary, hard-linked or copied so that it finds its own
// schema.json; a symlink would resolve to the shared original) and
// schema.json beside it.
func InstallMirror(mirrorDir, schemasDir, providerBinary string) ([]Provider, error) {
	files, err := filepath.Glob(filepath.Join(schemasDir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list provider schemas: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no provider schemas (*.json) in %s", schemasDir)
	}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	var providers []Provider
	for _, file := range files {
		p, host, err := describeSchemaFile(file)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(mirrorDir, host, p.Namespace, p.Name, p.Version, platform)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("install %s %s: %w", p.Address, p.Version, err)
		}
		bin := filepath.Join(dir, "terraform-provider-"+p.Name+"_v"+p.Version)
		if err := linkOrCopy(providerBinary, bin, 0o755); err != nil {
			return nil, fmt.Errorf("install %s %s: %w", p.Address, p.Version, err)
		}
		if err := copyFile(file, filepath.Join(dir, "schema.json"), 0o644); err != nil {
			return nil, fmt.Errorf("install %s %s: %w", p.Address, p.Version, err)
		}
		providers = append(providers, p)
	}
	return providers, nil
}

// describeSchemaFile reads the provider address from the file's content and
// the version from its name, and checks that the name matches the address.
func describeSchemaFile(file string) (Provider, string, error) {
	addr, _, err := LoadSchemaFile(file)
	if err != nil {
		return Provider{}, "", err
	}
	parts := strings.Split(addr, "/")
	if len(parts) != 3 {
		return Provider{}, "", fmt.Errorf("provider schema %s: address %q is not HOST/NAMESPACE/NAME", file, addr)
	}
	host, ns, name := parts[0], parts[1], parts[2]
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	prefix := ns + "_" + name + "_"
	version, ok := strings.CutPrefix(base, prefix)
	if !ok || version == "" {
		return Provider{}, "", fmt.Errorf("provider schema %s: file name must be %s<version>.json for %s", file, prefix, addr)
	}
	return Provider{Namespace: ns, Name: name, Version: version, Address: addr}, host, nil
}

// linkOrCopy hard-links src to dst (cheap: one binary serves every
// provider) and copies where links are impossible, e.g. across devices.
func linkOrCopy(src, dst string, mode os.FileMode) error {
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", dst, err)
	}
	if err := os.Link(src, dst); err == nil {
		if err := os.Chmod(dst, mode); err != nil {
			return fmt.Errorf("chmod %s: %w", dst, err)
		}
		return nil
	}
	return copyFile(src, dst, mode)
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	defer in.Close()
	// Write beside the target and rename, so that a hard link to another
	// file is replaced rather than written through.
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// WriteCLIConfig writes an OpenTofu CLI configuration that installs every
// registry.opentofu.org provider from the filesystem mirror only: without a
// direct block, `tofu init` never reaches the network. Point
// TF_CLI_CONFIG_FILE at it (and leave TF_PLUGIN_CACHE_DIR unset).
func WriteCLIConfig(path, mirrorDir string) error {
	abs, err := filepath.Abs(mirrorDir)
	if err != nil {
		return fmt.Errorf("write CLI config: %w", err)
	}
	conf := fmt.Sprintf(`# Written by the test provider: installs providers from the local mirror only.
provider_installation {
  filesystem_mirror {
    path    = %s
    include = ["registry.opentofu.org/*/*"]
  }
}
`, hclString(abs))
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("write CLI config: %w", err)
	}
	return nil
}

// hclString quotes s as an HCL string literal, escaping template
// sequences as well as quotes and backslashes.
func hclString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

// FixturesFile is the optional file beside schema.json that holds Fixtures.
const FixturesFile = "fixtures.json"

// LoadFixtures reads a fixtures file; a missing file means no fixtures.
func LoadFixtures(path string) (Fixtures, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read fixtures: %w", err)
	}
	var f Fixtures
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse fixtures %s: %w", path, err)
	}
	return f, nil
}

// WriteFixtures writes f beside the schema of every provider in the mirror.
func WriteFixtures(providers []Provider, mirrorDir string, f Fixtures) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode fixtures: %w", err)
	}
	for _, p := range providers {
		dir := filepath.Join(mirrorDir, p.Address, p.Version, runtime.GOOS+"_"+runtime.GOARCH)
		if err := os.WriteFile(filepath.Join(dir, FixturesFile), data, 0o644); err != nil {
			return fmt.Errorf("write fixtures of %s: %w", p.Address, err)
		}
	}
	return nil
}
