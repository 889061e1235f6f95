package toolchain

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// SharedEnv overrides the shared data directory (default: ../shared beside
// the repository).
const SharedEnv = "INFRA_SHARED_DIR"

// SharedDir is $INFRA_SHARED_DIR, else the shared folder beside repoRoot.
func SharedDir(repoRoot string) (string, error) {
	if d := os.Getenv(SharedEnv); d != "" {
		return filepath.Abs(d)
	}
	return filepath.Join(filepath.Dir(repoRoot), "shared"), nil
}

// Provider is one pinned OpenTofu provider, built from its release source
// in <shared>/providers/<namespace>/<type>/<version>.
type Provider struct {
	Namespace, Type, Version, Tag, Commit string
}

// Address is the provider's registry address.
func (p Provider) Address() string { return "registry.opentofu.org/" + p.Namespace + "/" + p.Type }

// binaryPath is where OpenTofu's unpacked filesystem-mirror layout expects
// the executable.
func (p Provider) binaryPath(mirror string) string {
	return filepath.Join(mirror, p.Address(), p.Version, runtime.GOOS+"_"+runtime.GOARCH,
		"terraform-provider-"+p.Type+"_v"+p.Version)
}

// ReadProviders parses <sharedProviders>/SOURCES: one "namespace/type
// version tag commit" line per provider.
func ReadProviders(sharedProviders string) ([]Provider, error) {
	f, err := os.Open(filepath.Join(sharedProviders, "SOURCES"))
	if err != nil {
		return nil, fmt.Errorf("read the list of provider sources: %w", err)
	}
	defer f.Close()
	var out []Provider
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		ns, typ, ok := strings.Cut(fields[0], "/")
		if len(fields) != 4 || !ok {
			return nil, fmt.Errorf("%s line %d: want \"namespace/type version tag commit\", got %q", f.Name(), n, line)
		}
		out = append(out, Provider{Namespace: ns, Type: typ, Version: fields[1], Tag: fields[2], Commit: fields[3]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no provider", f.Name())
	}
	return out, nil
}

// MirrorDir is the filesystem mirror of the real providers in the tools cache.
func MirrorDir() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "providers"), nil
}

// CLIConfigPath is the OpenTofu CLI configuration that installs providers
// from MirrorDir only (TF_CLI_CONFIG_FILE).
func CLIConfigPath() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "providers.tfrc"), nil
}

// InstallProviders builds every provider of <shared>/providers whose build
// is missing or stale into MirrorDir and writes CLIConfigPath. The source
// folder is read-only in CI, so each build runs in a scratch copy.
func (in Installer) InstallProviders(ctx context.Context, sharedDir string) error {
	src := filepath.Join(sharedDir, "providers")
	providers, err := ReadProviders(src)
	if err != nil {
		return err
	}
	mirror, err := MirrorDir()
	if err != nil {
		return err
	}
	bin, err := BinDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("create tools cache: %w", err)
	}
	for _, p := range providers {
		if err := in.installProvider(ctx, p, filepath.Join(src, p.Namespace, p.Type, p.Version), mirror, bin); err != nil {
			return err
		}
	}
	cfg, err := CLIConfigPath()
	if err != nil {
		return err
	}
	// Only the mirror: no registry is reachable, and a provider that is
	// not built must fail init rather than be looked up elsewhere.
	content := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror)
	if err := os.WriteFile(cfg, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write OpenTofu CLI configuration: %w", err)
	}
	return nil
}

func (in Installer) installProvider(ctx context.Context, p Provider, srcDir, mirror, bin string) error {
	name := p.Namespace + "/" + p.Type + " " + p.Version
	stamp, err := sourceStamp(srcDir)
	if err != nil {
		return fmt.Errorf("provider %s: %w", name, err)
	}
	stampFile := filepath.Join(bin, ".provider-"+p.Namespace+"-"+p.Type+".stamp")
	out := p.binaryPath(mirror)
	if cur, err := os.ReadFile(stampFile); err == nil && strings.TrimSpace(string(cur)) == stamp {
		if _, err := os.Stat(out); err == nil {
			fmt.Fprintf(in.Out, "tools: provider %s up to date\n", name)
			return nil
		}
	}
	fmt.Fprintf(in.Out, "tools: building provider %s (minutes when Go's caches are cold)\n", name)
	start := time.Now()
	work, err := os.MkdirTemp(bin, ".build-provider-")
	if err != nil {
		return fmt.Errorf("build provider %s: %w", name, err)
	}
	defer os.RemoveAll(work)
	if err := os.CopyFS(work, os.DirFS(srcDir)); err != nil {
		return fmt.Errorf("copy the source of provider %s: %w", name, err)
	}
	// os.CopyFS keeps read-only modes; go build writes nothing in the tree,
	// but RemoveAll needs writable directories.
	if err := makeWritable(work); err != nil {
		return err
	}
	tmpBin := filepath.Join(work, "provider.bin")
	args := []string{"build", "-trimpath", "-ldflags", "-s -w", "-o", tmpBin, "."}
	if err := in.goBuild(ctx, work, "provider "+name, args, start); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("create the provider mirror: %w", err)
	}
	if err := os.Rename(tmpBin, out); err != nil {
		return fmt.Errorf("install provider %s: %w", name, err)
	}
	if err := os.WriteFile(stampFile, []byte(stamp+"\n"), 0o644); err != nil {
		return fmt.Errorf("write stamp of provider %s: %w", name, err)
	}
	fmt.Fprintf(in.Out, "tools: built provider %s in %s\n", name, time.Since(start).Round(time.Second))
	return nil
}

// sourceStamp hashes a source tree's file names and contents, so a changed
// source rebuilds its provider.
func sourceStamp(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s %d\n", rel, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash the source: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func makeWritable(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return nil
	})
}
