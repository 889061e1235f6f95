package tofusecrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/appcatalog"
	"fullfrontend.be/infra/internal/devenv"
	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// TestDevOneLinerOnAFreshClone runs the README's first command,
// `APP_ENV=dev ./scripts/tofu-secrets.sh apply`, through the script and
// bin/infra, in a copy of the repository with nothing prepared, a HOME of
// its own and real OpenTofu on the test provider's mirror. Without a
// cluster it must create the dev key and secrets and stop before OpenTofu
// saying what is missing; the second run must reuse both; with a cluster
// it must apply the platform and print the /etc/hosts lines; and the prod
// secrets file and an operator's key in sops's default place must be
// neither read nor written by any of it.
func TestDevOneLinerOnAFreshClone(t *testing.T) {
	te := tofutest.Setup(t)
	sopsBin := testenv.Tool(t, "sops")
	root := freshClone(t, te.Repo)
	home := t.TempDir()
	_, toolsEnv := wrapperTools(t, te.Tofu, sopsBin)
	env := append(append(slices.Clone(te.Environ), "HOME="+home, "APP_ENV=dev"), toolsEnv...)

	// What an operator's machine holds for prod: their key where sops looks
	// by default, and the prod secrets in the clone.
	prodKey := filepath.Join(home, ".config", "sops", "age", "keys.txt")
	prodRecipient, _, err := secrets.InitKey(prodKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sops := secrets.SOPS{Binary: sopsBin, Policy: filepath.Join(root, secrets.PolicyFile)}
	prodClear := filepath.Join(t.TempDir(), "secrets.tfvars")
	if err := os.WriteFile(prodClear, []byte(`state_encryption_passphrase = "PROD-passphrase-never-in-dev"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prodSecrets := filepath.Join(root, "secrets.tfvars.enc")
	if err := sops.Encrypt(context.Background(), prodClear, prodSecrets, []string{prodRecipient}); err != nil {
		t.Fatal(err)
	}
	check := untouched(t, prodSecrets, prodKey)

	// runSplit runs the one-liner's script; run merges its two streams.
	runSplit := func(args ...string) (code int, stdout, stderr string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "tofu-secrets.sh"), args...)
		cmd.Dir = root
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errOut.String()
		}
		if err != nil {
			t.Fatalf("run the one-liner: %v\n%s%s", err, out.String(), errOut.String())
		}
		return 0, out.String(), errOut.String()
	}
	run := func(args ...string) (int, string) {
		t.Helper()
		code, stdout, stderr := runSplit(args...)
		return code, stderr + stdout
	}
	devKey, err := devenv.KeyFile(home, "")
	if err != nil {
		t.Fatal(err)
	}
	devSecrets := filepath.Join(root, devenv.SecretsPath)
	noCluster := []string{"no Kubernetes cluster for dev", filepath.Join(home, ".kube", "config") + " does not exist", "start docker-desktop/kind", "has a context"}

	// 1. Fresh clone, no cluster.
	code, out := run("apply")
	if code == 0 {
		t.Fatalf("first run without a cluster succeeded:\n%s", out)
	}
	for _, w := range append([]string{"created the dev-only age key " + devKey, "created the dev secrets " + devSecrets}, noCluster...) {
		if !strings.Contains(out, w) {
			t.Errorf("first run does not say %q:\n%s", w, out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "stacks", "platform", ".terraform-dev")); err == nil {
		t.Errorf("OpenTofu ran without a cluster:\n%s", out)
	}
	st, err := os.Stat(devKey)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dev key after the first run: %v %v", st, err)
	}
	ids, err := secrets.LoadIdentities(devKey)
	if err != nil {
		t.Fatal(err)
	}
	devRecipient := ids[0].Recipient().String()
	enc := readFile(t, devSecrets)
	if rs, err := secrets.Recipients([]byte(enc)); err != nil || !slices.Equal(rs, []string{devRecipient}) {
		t.Fatalf("dev secrets are encrypted for %v (%v), want the dev key %s only", rs, err, devRecipient)
	}
	clear, err := sops.Decrypt(context.Background(), devSecrets, devKey)
	if err != nil {
		t.Fatal(err)
	}
	values, err := StringValues(clear, devenv.Generated()...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(clear), "PROD") {
		t.Errorf("the dev secrets hold a prod value:\n%s", clear)
	}
	key := readFile(t, devKey)

	// 2. Second run, still no cluster: same key, same secrets.
	code, out = run("apply")
	if code == 0 {
		t.Fatalf("second run without a cluster succeeded:\n%s", out)
	}
	for _, w := range append([]string{"reusing the dev age key " + devKey, "reusing the dev secrets " + devSecrets}, noCluster...) {
		if !strings.Contains(out, w) {
			t.Errorf("second run does not say %q:\n%s", w, out)
		}
	}
	if readFile(t, devKey) != key || readFile(t, devSecrets) != enc {
		t.Fatal("the second run replaced the dev key or the dev secrets")
	}
	again, err := sops.Decrypt(context.Background(), devSecrets, devKey)
	if err != nil || !bytes.Equal(again, clear) {
		t.Fatalf("second run's dev secrets differ (err=%v)", err)
	}

	// 3. A cluster appears: the same command applies the platform with the
	// generated secrets (every validation of the stack passes) and prints
	// the /etc/hosts lines.
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), []byte(kubeconfigFor(t, listen(t))), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out = run("apply", "-auto-approve", "-no-color")
	if code != 0 {
		t.Fatalf("dev apply with a cluster: exit %d\n%s", code, out)
	}
	lines, err := appcatalog.HostsLines(root, appcatalog.DevRootDomain, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append(lines, "reusing the dev secrets", `cluster of context "docker-desktop" answers`, "Apply complete!", "add these lines to /etc/hosts") {
		if !strings.Contains(out, w) {
			t.Errorf("dev apply output lacks %q:\n%s", w, out)
		}
	}
	state := readFile(t, filepath.Join(root, ".state", "dev", "platform.tfstate"))
	if !strings.Contains(state, `"encrypted_data"`) || strings.Contains(state, values["grafana_admin_password"]) {
		t.Errorf("the dev state is not encrypted:\n%.300s", state)
	}

	// 4. The state opens with the reused passphrase: tofu output reads it,
	// and stdout holds the JSON alone (init's progress is on stderr).
	code, stdout, stderr := runSplit("output", "-json", "fqdns")
	if code != 0 {
		t.Fatalf("dev output: exit %d\n%s%s", code, stderr, stdout)
	}
	var fqdns map[string]string
	if err := json.Unmarshal([]byte(stdout), &fqdns); err != nil || fqdns["wordpress"] != appcatalog.DevRootDomain {
		t.Errorf("dev output -json fqdns is not the stack's JSON (%v):\n%s", err, stdout)
	}
	if readFile(t, devSecrets) != enc || readFile(t, devKey) != key {
		t.Error("a later run replaced the dev key or the dev secrets")
	}
	check()

	// sops itself, given the prod key, cannot open them (after the check:
	// this reads the prod key).
	cmd := exec.Command(sopsBin, "--decrypt", "--input-type", "binary", "--output-type", "binary", devSecrets)
	cmd.Env = []string{"HOME=" + t.TempDir(), "SOPS_AGE_KEY_FILE=" + prodKey}
	if b, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("the prod key decrypts the dev secrets:\n%s", b)
	}
}

// freshClone copies what a clone of the repository would hold: the files
// git tracks or would track (untracked ones not ignored, so uncommitted work
// is tested too), never an ignored one: a source file that .gitignore hides
// fails here as it would on a real clone, and no local secret, state or key
// comes along.
func freshClone(t *testing.T, src string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		testenv.Missing(t, "git: %v", err)
	}
	out, err := exec.Command("git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		testenv.Missing(t, "list the files of %s with git: %v", src, err)
	}
	dst := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(src, name)
		st, err := os.Lstat(from)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if !st.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// wrapperTools gives bin/infra, which builds the CLI into the tools cache,
// a cache of its own holding the real tofu and sops, so the user's cache is
// never written; the environment also points at the user's Go caches, so
// that build is a cache hit, without network.
func wrapperTools(t *testing.T, tofu, sops string) (binDir string, env []string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "go: %v", err)
	}
	binDir = filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"tofu": tofu, "sops": sops} {
		if err := os.Symlink(p, filepath.Join(binDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return binDir, []string{"INFRA_TOOLS_DIR=" + filepath.Dir(binDir),
		"GOCACHE=" + goEnv(t, goBin, "GOCACHE"), "GOMODCACHE=" + goEnv(t, goBin, "GOMODCACHE"),
		"GOPATH=" + goEnv(t, goBin, "GOPATH"), "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly"}
}

func goEnv(t *testing.T, goBin, name string) string {
	t.Helper()
	b, err := exec.Command(goBin, "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(b))
}
