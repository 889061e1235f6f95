// Package tofusecrets is the seed's `scripts/tofu-secrets.sh`: it decrypts the
// SOPS secrets, writes each stack's share into .secrets.auto.tfvars (mode
// 0600), runs OpenTofu over the stacks of APP_ENV in order, forwards signals
// to OpenTofu, and removes the clear file on every exit path it controls. A
// file left by a run that was killed outright is removed, with a warning,
// before the next run does anything else.
//
// In dev, unless SECRETS_FILE names a file, it uses the generated dev key
// and dev secrets (never secrets.tfvars.enc, even with SOPS_AGE_KEY_FILE set) (internal/devenv), creating them on
// the first run, checks the local cluster's kubeconfig before OpenTofu
// runs, and ends a dev apply with the /etc/hosts lines of every FQDN.
package tofusecrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"fullfrontend.be/infra/internal/appcatalog"
	"fullfrontend.be/infra/internal/devenv"
	"fullfrontend.be/infra/internal/secrets"
)

// ClearFile is the decrypted tfvars file OpenTofu loads automatically.
const ClearFile = ".secrets.auto.tfvars"

// BackendOverride is the git-ignored file that swaps the S3 backend for a
// local state file in dev. Override files replace the backend block whole.
const BackendOverride = "backend_override.tf"

// Actions are the OpenTofu commands the wrapper runs.
var actions = []string{"plan", "apply", "destroy", "output"}

// Stacks returns the root modules of env, in apply order: in prod the
// cluster must exist before the platform's providers can reach it.
func Stacks(env string) []string {
	if env == "prod" {
		return []string{"cluster", "platform"}
	}
	return []string{"platform"}
}

// ExitError carries the exit status the wrapper should end with.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the process status to exit with.
func (e *ExitError) ExitCode() int { return e.Code }

// Config is one wrapper run.
type Config struct {
	RepoRoot string
	AppEnv   string   // raw APP_ENV; empty means prod (seed default)
	Action   string   // plan, apply, destroy or output
	Args     []string // passed to OpenTofu after the action
	// SecretsFile ($SECRETS_FILE) and KeyFile ($SOPS_AGE_KEY_FILE) are the
	// explicit choices and always win. Empty, a dev run uses the generated dev
	// secrets and key; a prod run <repo>/secrets.tfvars.enc and DefaultKeyFile.
	SecretsFile    string
	KeyFile        string
	DefaultKeyFile string // sops's default age key file (~/.config/sops/age/keys.txt)
	Dev            Dev
	Tofu           string // OpenTofu binary; empty means not found
	SOPS           secrets.SOPS
	Env            []string // base environment of OpenTofu
	Stdin          io.Reader
	Stdout         io.Writer
	Stderr         io.Writer
	// Signals are forwarded to the running OpenTofu process.
	Signals <-chan os.Signal
	// Interactive is true when stdin is a terminal: the terminal then delivers
	// Ctrl-C to OpenTofu itself, and forwarding it again would make OpenTofu
	// abort without saving state (two interrupts mean "exit now").
	Interactive bool
}

// Dev is what a dev run takes from outside the repository.
type Dev struct {
	Home          string // $HOME: the dev key lives under it, the dev stack reads ~/.kube/config
	XDGConfigHome string // $XDG_CONFIG_HOME, if set: the dev key lives there instead
	KubeconfigEnv string // $KUBECONFIG: the dev stack ignores it; only for a hint
}

// Run executes the wrapper.
func (c Config) Run(ctx context.Context) error {
	// Before anything else: a clear file left by a killed run must not survive.
	if err := c.removeStale(); err != nil {
		return err
	}
	env, err := c.env()
	if err != nil {
		return err
	}
	if !slices.Contains(actions, c.Action) {
		return fmt.Errorf("unknown action %q: use one of %s (APP_ENV=%s ./scripts/tofu-secrets.sh plan)", c.Action, strings.Join(actions, ", "), env)
	}
	if c.Tofu == "" {
		return errors.New("OpenTofu (tofu) not found: run `make tools` to build the pinned version into the tools cache, or set TOFU_BINARY")
	}
	if _, err := os.Stat(c.Tofu); err != nil {
		return fmt.Errorf("OpenTofu binary %s: %w; run `make tools` or fix TOFU_BINARY", c.Tofu, err)
	}
	keyFile, secretsFile, err := c.sources(ctx, env)
	if err != nil {
		return err
	}
	clear, err := c.SOPS.Decrypt(ctx, secretsFile, keyFile)
	if err != nil {
		return err
	}
	if err := c.checkDeclared(clear, rel(c.RepoRoot, secretsFile)); err != nil {
		return err
	}
	state, err := checkSecrets(env, clear, rel(c.RepoRoot, secretsFile))
	if err != nil {
		return err
	}
	// Before OpenTofu: without a cluster its providers fail deep in a plan.
	if env == "dev" && c.Action != "output" {
		if err := c.preflight(ctx); err != nil {
			return err
		}
	}

	fw := newForwarder(c.Signals, c.Interactive)
	defer fw.stop()

	stacks := Stacks(env)
	if c.Action == "destroy" {
		slices.Reverse(stacks) // the platform lives inside the cluster
	}
	if c.Action == "output" {
		if stacks, err = c.outputStacks(env, stacks); err != nil {
			return err
		}
	}
	for _, s := range stacks {
		if sig := fw.received(); sig != nil {
			return interrupted(sig, s)
		}
		began := time.Now()
		if err := c.runStack(env, s, clear, state, fw); err != nil {
			return err
		}
		fmt.Fprintf(c.Stderr, "tofu-secrets: %s/%s: %s done in %s\n", env, s, c.Action, time.Since(began).Round(time.Second))
	}
	if env == "dev" && c.Action == "apply" {
		return c.printHosts()
	}
	return nil
}

// outputStacks keeps, for `output NAME`, the stacks that declare output
// NAME: in prod `output -json doctor` reads stacks/platform alone, where
// asking stacks/cluster too would fail (it has no such output) and mix two
// documents on stdout. Without a name, every stack prints all its outputs.
func (c Config) outputStacks(env string, stacks []string) ([]string, error) {
	name := ""
	for _, a := range c.Args {
		if !strings.HasPrefix(a, "-") {
			name = a
			break
		}
	}
	if name == "" {
		return stacks, nil
	}
	var out []string
	for _, s := range stacks {
		declared, err := declaredBlocks(c.stackDir(s), "output")
		if err != nil {
			return nil, err
		}
		if declared[name] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no stack of %s declares output %q (stacks: %s): check its name in stacks/<stack>/outputs.tf", env, name, strings.Join(stacks, ", "))
	}
	return out, nil
}

// sources picks the age key and the encrypted secrets of this run.
func (c Config) sources(ctx context.Context, env string) (keyFile, secretsFile string, err error) {
	devKey, devKeyErr := devenv.KeyFile(c.Dev.Home, c.Dev.XDGConfigHome)
	devSecrets := filepath.Join(c.RepoRoot, devenv.SecretsPath)
	// Dev reads no file but its own unless SECRETS_FILE names one: an
	// operator's shell keeps SOPS_AGE_KEY_FILE (bin/age-init.sh exports it),
	// and prod's token and keys have no business in a laptop's clear file.
	if env == "dev" && c.SecretsFile == "" {
		if c.KeyFile != "" {
			fmt.Fprintf(c.Stderr, "tofu-secrets: dev: SOPS_AGE_KEY_FILE is set, but dev reads only the generated dev secrets (never %s unless SECRETS_FILE names it)\n", rel(c.RepoRoot, c.secretsFile()))
		}
		if devKeyErr != nil {
			return "", "", devKeyErr
		}
		s := devenv.Secrets{
			KeyFile:  devKey,
			File:     devSecrets,
			StateDir: filepath.Join(c.RepoRoot, ".state", "dev"),
			SOPS:     c.SOPS,
			Now:      time.Now(),
			Log:      c.Stderr,
			Create:   c.Action == "plan" || c.Action == "apply",
		}
		if err := s.Ensure(ctx); err != nil {
			return "", "", err
		}
		return devKey, devSecrets, nil
	}
	keyFile = c.KeyFile
	if keyFile == "" {
		keyFile = c.DefaultKeyFile
	}
	if keyFile == "" {
		return "", "", fmt.Errorf("no age key file: HOME is not set, so set %s to your key file", secrets.KeyFileEnv)
	}
	secretsFile = c.secretsFile()
	if env == "prod" {
		// The dev key and secrets are made for a laptop: never for prod.
		if devKeyErr == nil && samePath(keyFile, devKey) {
			return "", "", fmt.Errorf("APP_ENV=prod with the dev-only age key %s: use your own key (SOPS_AGE_KEY_FILE, bin/age-init.sh)", keyFile)
		}
		if samePath(secretsFile, devSecrets) {
			return "", "", fmt.Errorf("APP_ENV=prod with the generated dev secrets %s: use secrets.tfvars.enc (unset SECRETS_FILE)", secretsFile)
		}
		return keyFile, secretsFile, nil
	}
	fmt.Fprintf(c.Stderr, "tofu-secrets: dev: using %s (SECRETS_FILE) with the age key %s, not the generated dev secrets; unset SECRETS_FILE to use those\n", rel(c.RepoRoot, secretsFile), keyFile)
	return keyFile, secretsFile, nil
}

func samePath(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

// preflight checks the kubeconfig the dev stack's providers will read.
func (c Config) preflight(ctx context.Context) error {
	if c.Dev.Home == "" {
		return errors.New("no Kubernetes cluster for dev: HOME is not set, so ~/.kube/config cannot be found")
	}
	kubeContext, _ := c.variable("kube_context")
	cl, err := devenv.Preflight{
		Path:          filepath.Join(c.Dev.Home, ".kube", "config"),
		KubeContext:   kubeContext,
		KubeconfigEnv: c.Dev.KubeconfigEnv,
	}.Check(ctx)
	if err != nil {
		return err
	}
	if cl.Checked {
		fmt.Fprintf(c.Stderr, "tofu-secrets: dev: cluster of context %q answers at %s\n", cl.Context, cl.Server)
	} else {
		fmt.Fprintf(c.Stderr, "tofu-secrets: dev: context %q (%s) goes through a proxy: not checked before OpenTofu\n", cl.Context, cl.Server)
	}
	if c.Action != "apply" {
		return nil
	}
	found, err := devenv.LoadBalancerCheck{Path: filepath.Join(c.Dev.Home, ".kube", "config"), KubeContext: kubeContext}.Check(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "tofu-secrets: dev: the cluster gives LoadBalancer addresses (%s)\n", found)
	return nil
}

// printHosts ends a dev apply with the /etc/hosts lines: dev has no DNS.
func (c Config) printHosts() error {
	domain, ok := c.variable("root_domain_dev")
	if !ok {
		domain = appcatalog.DevRootDomain
	}
	lines, err := appcatalog.HostsLines(c.RepoRoot, domain, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		return fmt.Errorf("dev apply done, but the /etc/hosts lines: %w (bin/infra hosts prints them)", err)
	}
	fmt.Fprintf(c.Stderr, "tofu-secrets: dev: applied. The local cluster has no DNS: add these lines to /etc/hosts (bin/infra hosts | sudo tee -a /etc/hosts; bin/infra hosts --ip <address> if Traefik is not on 127.0.0.1, as with kind):\n")
	for _, l := range lines {
		fmt.Fprintln(c.Stdout, l)
	}
	return nil
}

// variable finds a stack variable set for this run on the command line
// (-var name=value, the last one wins, as for OpenTofu) or as TF_VAR_name.
// Values in *.tfvars files are not seen.
func (c Config) variable(name string) (string, bool) {
	value, found := "", false
	for i := 0; i < len(c.Args); i++ {
		a := c.Args[i]
		var kv string
		switch {
		case a == "-var" || a == "--var":
			if i+1 < len(c.Args) {
				i++
				kv = c.Args[i]
			}
		case strings.HasPrefix(a, "-var="):
			kv = strings.TrimPrefix(a, "-var=")
		case strings.HasPrefix(a, "--var="):
			kv = strings.TrimPrefix(a, "--var=")
		}
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			value, found = v, true
		}
	}
	if found {
		return value, true
	}
	for _, e := range c.Env {
		if k, v, ok := strings.Cut(e, "="); ok && k == "TF_VAR_"+name {
			value, found = v, true
		}
	}
	return value, found
}

// env is the environment: APP_ENV, or TF_VAR_app_env when only it is set
// (the README offers both; OpenTofu reads the latter, which the wrapper
// then sets from the former), else prod.
func (c Config) env() (string, error) {
	appEnv := c.AppEnv
	var tfVar string
	for _, e := range c.Env {
		if v, ok := strings.CutPrefix(e, "TF_VAR_app_env="); ok {
			tfVar = v
		}
	}
	switch {
	case appEnv != "" && tfVar != "" && appEnv != tfVar:
		return "", fmt.Errorf("APP_ENV=%q and TF_VAR_app_env=%q disagree: unset TF_VAR_app_env and choose with APP_ENV (prod or dev)", appEnv, tfVar)
	case appEnv == "":
		appEnv = tfVar
	}
	switch appEnv {
	case "prod", "dev":
		return appEnv, nil
	case "":
		if c.Action == "destroy" {
			return "", errors.New("APP_ENV is not set: destroy needs it explicitly (APP_ENV=dev or APP_ENV=prod)")
		}
		fmt.Fprintln(c.Stderr, "tofu-secrets: APP_ENV not set, using prod (the seed's default)")
		return "prod", nil
	default:
		return "", fmt.Errorf("APP_ENV=%q is not an environment: use APP_ENV=prod (DOKS) or APP_ENV=dev (local cluster)", appEnv)
	}
}

func (c Config) secretsFile() string {
	if c.SecretsFile != "" {
		return c.SecretsFile
	}
	return filepath.Join(c.RepoRoot, "secrets.tfvars.enc")
}

func (c Config) stackDir(s string) string { return filepath.Join(c.RepoRoot, "stacks", s) }

// removeStale deletes clear files that a killed run left in any stack.
func (c Config) removeStale() error {
	dirs, err := filepath.Glob(filepath.Join(c.RepoRoot, "stacks", "*", ClearFile))
	if err != nil {
		return fmt.Errorf("look for stale secrets: %w", err)
	}
	for _, f := range dirs {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale clear secrets %s: %w (remove it by hand before anything else)", f, err)
		}
		fmt.Fprintf(c.Stderr, "tofu-secrets: warning: removed stale %s left by an interrupted run\n", rel(c.RepoRoot, f))
	}
	return nil
}

func (c Config) runStack(env, stack string, clear []byte, state stateSecrets, fw *forwarder) (err error) {
	dir := c.stackDir(stack)
	declared, err := declaredVariables(dir)
	if err != nil {
		return err
	}
	share, kept, err := selectVariables(clear, declared)
	if err != nil {
		return err
	}
	if err := c.setBackend(env, stack); err != nil {
		return err
	}
	clearPath := filepath.Join(dir, ClearFile)
	f, err := os.OpenFile(clearPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", rel(c.RepoRoot, clearPath), err)
	}
	defer func() {
		if rmErr := os.Remove(clearPath); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("remove clear secrets %s: %w; DELETE IT BY HAND", clearPath, rmErr))
		}
	}()
	_, werr := f.Write(share)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", rel(c.RepoRoot, clearPath), werr)
	}
	fmt.Fprintf(c.Stderr, "tofu-secrets: %s/%s: %d secret variable(s) (%s)\n", env, stack, len(kept), strings.Join(kept, ", "))

	base := append(slices.Clone(c.Env),
		"TF_VAR_app_env="+env,
		// One data dir per environment: switching APP_ENV never mixes backends.
		"TF_DATA_DIR="+filepath.Join(dir, ".terraform-"+env),
	)
	if env == "prod" {
		// The S3 backend's credentials (backend.tf says why not variables).
		base = append(base, "AWS_ACCESS_KEY_ID="+state.AccessKey, "AWS_SECRET_ACCESS_KEY="+state.SecretKey)
	}
	steps := [][]string{{"init", "-input=false"}, append([]string{c.Action}, c.Args...)}
	for _, args := range steps {
		if sig := fw.received(); sig != nil {
			return interrupted(sig, stack)
		}
		if err := c.tofu(dir, base, args, fw); err != nil {
			return err
		}
	}
	return nil
}

// setBackend writes the dev local-backend override, or removes it in prod.
func (c Config) setBackend(env, stack string) error {
	path := filepath.Join(c.stackDir(stack), BackendOverride)
	if env == "prod" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove dev backend override %s before a prod run: %w", path, err)
		}
		return nil
	}
	state := filepath.Join(c.RepoRoot, ".state", env, stack+".tfstate")
	if err := os.MkdirAll(filepath.Dir(state), 0o700); err != nil {
		return fmt.Errorf("create local state directory: %w", err)
	}
	content := fmt.Sprintf("# Written by scripts/tofu-secrets.sh for APP_ENV=%s; removed by a prod run. Do not commit.\nterraform {\n  backend \"local\" {\n    path = %q\n  }\n}\n", env, state)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write dev backend override: %w", err)
	}
	return nil
}

func (c Config) tofu(dir string, env, args []string, fw *forwarder) error {
	cmd := exec.Command(c.Tofu, args...)
	cmd.Dir = dir
	cmd.Env = env
	// OpenTofu's own words for a wrong passphrase name no secret: watch
	// for them to say which one.
	watch := &watcher{w: c.Stderr, needle: squeeze([]byte("decryption failed for all provided methods"))}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, watch
	// init's progress goes to stderr: stdout carries only the action's own
	// output, so `output -json doctor > doctor.json` is valid JSON.
	if args[0] == "init" {
		cmd.Stdout = watch
	}
	// Off a terminal, OpenTofu gets its own process group so a signal sent
	// to the wrapper's whole group reaches it once, through the forwarder.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !c.Interactive}
	release := stopWithParent(cmd.SysProcAttr)
	defer release()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start OpenTofu: %w", err)
	}
	fw.attach(cmd.Process)
	err := cmd.Wait()
	fw.attach(nil)
	if sig := fw.received(); sig != nil {
		return interrupted(sig, filepath.Base(dir))
	}
	if err != nil {
		code := 1
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			code = ee.ExitCode()
		}
		if watch.seen() {
			return &ExitError{Code: code, Err: fmt.Errorf("tofu %s in stacks/%s failed (exit %d): the state of stacks/%s does not open with state_encryption_passphrase from the secrets: "+
				"it is not the passphrase the state was written with; put back the team's passphrase (password manager) in secrets.tfvars and encrypt it again; clear secrets removed", args[0], filepath.Base(dir), code, filepath.Base(dir))}
		}
		return &ExitError{Code: code, Err: fmt.Errorf("tofu %s in stacks/%s failed (exit %d); clear secrets removed", args[0], filepath.Base(dir), code)}
	}
	return nil
}

func interrupted(sig os.Signal, stack string) error {
	code := 130
	if sig == syscall.SIGTERM {
		code = 143
	}
	return &ExitError{Code: code, Err: fmt.Errorf("interrupted by %v during stacks/%s: OpenTofu was asked to stop, later stacks were not run, clear secrets removed", sig, stack)}
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// forwarder relays signals to the running OpenTofu process, once each.
type forwarder struct {
	mu          sync.Mutex
	proc        *os.Process
	sig         os.Signal
	interactive bool
	done        chan struct{}
}

func newForwarder(in <-chan os.Signal, interactive bool) *forwarder {
	f := &forwarder{interactive: interactive, done: make(chan struct{})}
	if in == nil {
		return f
	}
	go func() {
		for {
			select {
			case s := <-in:
				f.deliver(s)
			case <-f.done:
				return
			}
		}
	}()
	return f
}

func (f *forwarder) deliver(s os.Signal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sig == nil {
		f.sig = s
	}
	// On a terminal, Ctrl-C already reached OpenTofu (same process group).
	if f.proc != nil && !(f.interactive && s == os.Interrupt) {
		_ = f.proc.Signal(s)
	}
}

func (f *forwarder) attach(p *os.Process) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.proc = p
	// A signal that arrived while OpenTofu was starting is passed on now.
	if p != nil && f.sig != nil && !(f.interactive && f.sig == os.Interrupt) {
		_ = p.Signal(f.sig)
	}
}

func (f *forwarder) received() os.Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sig
}

func (f *forwarder) stop() { close(f.done) }

// watcher passes writes on and remembers whether needle (squeezed) went
// through; a needle split across two writes, or wrapped by OpenTofu's
// diagnostics, is found too.
type watcher struct {
	w      io.Writer
	needle []byte
	mu     sync.Mutex
	tail   []byte
	found  bool
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	buf := append(slices.Clone(w.tail), squeeze(p)...)
	if bytes.Contains(buf, w.needle) {
		w.found = true
	}
	if keep := len(w.needle) - 1; len(buf) > keep {
		buf = buf[len(buf)-keep:]
	}
	w.tail = buf
	w.mu.Unlock()
	return w.w.Write(p)
}

func (w *watcher) seen() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.found
}

// squeeze drops what OpenTofu's diagnostics put inside a wrapped line:
// whitespace and the box-drawing bar of their left margin.
func squeeze(p []byte) []byte {
	p = bytes.ReplaceAll(p, []byte("│"), nil)
	return bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, p)
}
