package tofusecrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/appcatalog"
	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/testsupport/testenv"
	"fullfrontend.be/infra/internal/toolchain"
)

const clearSecrets = `do_token = "tok'en\"$x"
spaces_access_key_id = "AKIA"
spaces_secret_access_key = "s3cr3t"
state_encryption_passphrase = "0123456789abcdef-é"
node_size = "s-2vcpu-4gb"
`

// env is one isolated repository with real sops ciphertext and a fake tofu.
type env struct {
	t                       *testing.T
	root, log, ready, infra string
	key, otherKey           string
	vars                    map[string]string
}

// Built once in TestMain: the CLI under test, the OpenTofu stand-in and
// the doctl stand-in.
var infraBinary, fakeTofuBinary, doctlBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "infra-cli-")
	if err != nil {
		panic(err)
	}
	root, err := repo.FromWD()
	if err != nil {
		panic(err)
	}
	infraBinary = filepath.Join(dir, "infra")
	fakeTofuBinary = filepath.Join(dir, "tofu")
	doctlBinary = filepath.Join(dir, "doctl")
	for out, pkg := range map[string]string{infraBinary: "./cmd/infra", fakeTofuBinary: "./internal/tofusecrets/testdata/faketofu", doctlBinary: "./internal/testsupport/doapi/doctl"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			panic("build " + pkg + ": " + err.Error() + "\n" + string(msg))
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sopsBin := testenv.Tool(t, "sops")
	src, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	e := &env{t: t, root: root, log: filepath.Join(root, "fake.log"), ready: filepath.Join(root, "fake.ready"), infra: infraBinary,
		key: filepath.Join(root, "key.txt"), otherKey: filepath.Join(root, "other.txt")}
	e.writeFile("go.mod", "module "+repo.ModulePath+"\n", 0o644)
	e.writeFile("sops.yaml", readFile(t, filepath.Join(src, "sops.yaml")), 0o644)
	// The catalog: a dev apply ends with the /etc/hosts lines of its FQDNs.
	e.writeFile(appcatalog.Path, readFile(t, filepath.Join(src, appcatalog.Path)), 0o644)
	// The real stacks' variable declarations, so filtering is tested on them.
	for _, s := range []string{"cluster", "platform"} {
		e.writeFile("stacks/"+s+"/variables.tf", readFile(t, filepath.Join(src, "stacks", s, "variables.tf")), 0o644)
	}
	recipient, _, err := secrets.InitKey(e.key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := secrets.InitKey(e.otherKey, time.Now()); err != nil {
		t.Fatal(err)
	}
	clear := e.writeFile("secrets.tfvars", clearSecrets, 0o600)
	s := secrets.SOPS{Binary: sopsBin, Policy: filepath.Join(root, "sops.yaml")}
	if err := s.Encrypt(context.Background(), clear, filepath.Join(root, "secrets.tfvars.enc"), []string{recipient}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(clear); err != nil {
		t.Fatal(err)
	}
	toolsDir, err := toolchain.Dir()
	if err != nil {
		t.Fatal(err)
	}
	e.vars = map[string]string{
		// A home of its own: a dev kubeconfig that answers, no dev key of
		// the user's; the tools cache stays the real one.
		"HOME":              e.home(),
		"XDG_CONFIG_HOME":   "",
		"KUBECONFIG":        "",
		"INFRA_TOOLS_DIR":   toolsDir,
		"INFRA_REPO":        root,
		"TOFU_BINARY":       fakeTofuBinary,
		"SOPS_AGE_KEY_FILE": e.key,
		// Named: dev reads secrets.tfvars.enc only when SECRETS_FILE says so.
		"SECRETS_FILE": filepath.Join(root, "secrets.tfvars.enc"),
		"FAKE_LOG":     e.log,
		"FAKE_READY":   e.ready,
		"FAKE_MODE":    "ok",
		"APP_ENV":      "dev",
	}
	return e
}

// home is the test's HOME, with a ~/.kube/config whose cluster answers.
func (e *env) home() string {
	e.t.Helper()
	home := filepath.Join(e.root, "home")
	e.writeFile("home/.kube/config", kubeconfigFor(e.t, listen(e.t)), 0o600)
	return home
}

func (e *env) writeFile(name, content string, mode os.FileMode) string {
	e.t.Helper()
	p := filepath.Join(e.root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) command(args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(e.infra, append([]string{"tofu-secrets"}, args...)...)
	cmd.Dir = e.root
	cmd.Env = os.Environ()
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// run executes the wrapper and returns its exit code and output.
func (e *env) run(args ...string) (int, string) {
	e.t.Helper()
	cmd, out := e.command(args...)
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return 0, out.String()
}

func (e *env) logLines() []string {
	b, err := os.ReadFile(e.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (e *env) assertNoClearSecrets() {
	e.t.Helper()
	left, _ := filepath.Glob(filepath.Join(e.root, "stacks", "*", ClearFile))
	if len(left) > 0 {
		e.t.Fatalf("clear secrets left on disk: %v", left)
	}
}

func grep(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestRunOrderAndFiltering(t *testing.T) {
	tests := []struct {
		name, appEnv, action string
		wantCalls            []string
	}{
		{"dev plan runs the platform only", "dev", "plan",
			[]string{"call platform init -input=false", "call platform plan"}},
		{"prod apply runs cluster then platform", "prod", "apply",
			[]string{"call cluster init -input=false", "call cluster apply", "call platform init -input=false", "call platform apply"}},
		{"prod destroy runs platform then cluster", "prod", "destroy",
			[]string{"call platform init -input=false", "call platform destroy", "call cluster init -input=false", "call cluster destroy"}},
		{"unset APP_ENV means prod", "", "output",
			[]string{"call cluster init -input=false", "call cluster output", "call platform init -input=false", "call platform output"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.vars["APP_ENV"] = tt.appEnv
			code, out := e.run(tt.action)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			lines := e.logLines()
			if got := grep(lines, "call "); strings.Join(got, "|") != strings.Join(tt.wantCalls, "|") {
				t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantCalls, "\n"))
			}
			for _, m := range grep(lines, "mode ") {
				if m != "mode 600" {
					t.Errorf("clear file %s, want mode 600", m)
				}
			}
			e.assertNoClearSecrets()
		})
	}
}

func TestEachStackGetsOnlyItsVariables(t *testing.T) {
	e := newEnv(t)
	e.vars["APP_ENV"] = "prod"
	if code, out := e.run("plan"); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	lines := e.logLines()
	// node_size is declared by the cluster only; nothing declares the last one.
	var stack string
	seen := map[string][]string{}
	for _, l := range lines {
		if strings.HasPrefix(l, "call ") {
			stack = strings.Fields(l)[1]
		}
		if strings.HasPrefix(l, "secret ") {
			seen[stack] = append(seen[stack], strings.Fields(l)[1])
		}
	}
	for _, tt := range []struct {
		stack, name string
		want        bool
	}{
		{"cluster", "node_size", true},
		{"platform", "node_size", false},
		{"cluster", "do_token", true},
	} {
		if got := slices.Contains(seen[tt.stack], tt.name); got != tt.want {
			t.Errorf("%s got %s: %v, want %v (saw %v)", tt.stack, tt.name, got, tt.want, seen[tt.stack])
		}
	}
	if !strings.Contains(strings.Join(lines, "\n"), `secret do_token = "tok'en\"$x"`) {
		t.Errorf("hostile value not passed byte for byte:\n%s", strings.Join(lines, "\n"))
	}
}

func TestDevUsesLocalStateProdRemovesOverride(t *testing.T) {
	e := newEnv(t)
	override := filepath.Join(e.root, "stacks/platform", BackendOverride)
	if code, out := e.run("plan"); code != 0 {
		t.Fatalf("dev: exit %d:\n%s", code, out)
	}
	b, err := os.ReadFile(override)
	if err != nil || !strings.Contains(string(b), `backend "local"`) || !strings.Contains(string(b), filepath.Join(e.root, ".state/dev/platform.tfstate")) {
		t.Fatalf("dev override: %q, %v", b, err)
	}
	e.vars["APP_ENV"] = "prod"
	if code, out := e.run("plan"); code != 0 {
		t.Fatalf("prod: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(override); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("prod run kept the dev backend override (err=%v)", err)
	}
}

func TestFailureCleansUp(t *testing.T) {
	e := newEnv(t)
	e.vars["FAKE_MODE"] = "fail"
	code, out := e.run("apply")
	if code != 3 {
		t.Fatalf("exit %d, want OpenTofu's 3:\n%s", code, out)
	}
	if !strings.Contains(out, "clear secrets removed") {
		t.Errorf("output does not say the secrets were removed:\n%s", out)
	}
	e.assertNoClearSecrets()
}

// TestSignalsAreForwardedOnceAndCleanUp sends real signals to a running wrapper.
func TestSignalsAreForwardedOnceAndCleanUp(t *testing.T) {
	tests := []struct {
		name string
		sig  syscall.Signal
		code int
		want string
	}{
		{"SIGINT", syscall.SIGINT, 130, "signal INT cluster"},
		{"SIGTERM", syscall.SIGTERM, 143, "signal TERM cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.vars["APP_ENV"] = "prod"
			e.vars["FAKE_MODE"] = "wait"
			cmd, out := e.command("apply")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, err := os.Stat(e.ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("fake tofu never started:\n%s", out)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// While OpenTofu runs, the clear file exists with mode 0600.
			st, err := os.Stat(filepath.Join(e.root, "stacks/cluster", ClearFile))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("clear file during run: %v %v", st, err)
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("wrapper did not exit after %v:\n%s", tt.sig, out)
			}
			if got := cmd.ProcessState.ExitCode(); got != tt.code {
				t.Errorf("exit %d, want %d:\n%s", got, tt.code, out)
			}
			lines := e.logLines()
			if got := grep(lines, "signal "); len(got) != 1 || got[0] != tt.want {
				t.Errorf("OpenTofu saw signals %v, want exactly [%s]", got, tt.want)
			}
			if got := grep(lines, "call platform"); len(got) != 0 {
				t.Errorf("platform ran after the interrupt: %v", got)
			}
			e.assertNoClearSecrets()
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
		args  []string
		want  string
	}{
		{"APP_ENV not prod or dev", func(e *env) { e.vars["APP_ENV"] = "staging" }, []string{"plan"},
			`APP_ENV="staging" is not an environment`},
		{"destroy without APP_ENV", func(e *env) { e.vars["APP_ENV"] = "" }, []string{"destroy"},
			"destroy needs it explicitly"},
		{"unknown action", nil, []string{"import"}, `unknown action "import"`},
		{"missing key file", func(e *env) { e.vars["SOPS_AGE_KEY_FILE"] = filepath.Join(e.root, "absent.txt") }, []string{"plan"},
			"create one with bin/age-init.sh"},
		{"missing encrypted file", func(e *env) { os.Remove(filepath.Join(e.root, "secrets.tfvars.enc")) }, []string{"plan"},
			"bin/sops-encrypt.sh secrets.tfvars"},
		{"file encrypted for another key", func(e *env) { e.vars["SOPS_AGE_KEY_FILE"] = e.otherKey }, []string{"plan"},
			"is not encrypted for your age key"},
		{"OpenTofu missing", func(e *env) { e.vars["TOFU_BINARY"] = filepath.Join(e.root, "no-tofu") }, []string{"plan"},
			"run `make tools`"},
		// Named, never printed (the check below looks for the value).
		{"unquoted secret value", func(e *env) {
			e.setSecrets(clearSecrets + "grafana_admin_password = Unquoted-Hunter2\n")
		}, []string{"plan"}, "secret grafana_admin_password (line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			code, out := e.run(tt.args...)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, want failure mentioning %q:\n%s", code, tt.want, out)
			}
			if strings.Contains(out, "Unquoted-Hunter2") {
				t.Errorf("the secret value is printed:\n%s", out)
			}
			if got := grep(e.logLines(), "call "); len(got) != 0 {
				t.Errorf("OpenTofu ran despite the error: %v", got)
			}
			e.assertNoClearSecrets()
		})
	}
}

func TestStaleClearFileIsRemovedFirst(t *testing.T) {
	e := newEnv(t)
	stale := e.writeFile("stacks/platform/"+ClearFile, clearSecrets, 0o600)
	// Even a run that fails straight away on APP_ENV removes it first.
	e.vars["APP_ENV"] = "nope"
	code, out := e.run("plan")
	if code == 0 {
		t.Fatalf("run with a bad APP_ENV succeeded:\n%s", out)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale clear file survived (err=%v)", err)
	}
	if !strings.Contains(out, "warning: removed stale stacks/platform/"+ClearFile) {
		t.Errorf("no warning about the stale file:\n%s", out)
	}
	// And a good run afterwards works (O_EXCL would refuse a leftover).
	e.writeFile("stacks/platform/"+ClearFile, clearSecrets, 0o600)
	e.vars["APP_ENV"] = "dev"
	if code, out := e.run("plan"); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	e.assertNoClearSecrets()
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// listen stands in for a local cluster's API server: it serves the one call the dev pre-flight makes of a cluster that
// already has a LoadBalancer address (Traefik's, after a first apply): the
// list of Services. The real API server is TestDevApplyOnALocalCluster's.
func listen(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/services" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"ServiceList","apiVersion":"v1","items":[{"metadata":{"name":"traefik","namespace":"infra"},`+
			`"spec":{"type":"LoadBalancer"},"status":{"loadBalancer":{"ingress":[{"hostname":"localhost"}]}}}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// kubeconfigFor is a kubeconfig like docker-desktop's, for server.
func kubeconfigFor(t *testing.T, server string) string {
	t.Helper()
	return fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: docker-desktop
contexts:
- name: docker-desktop
  context: {cluster: docker-desktop, user: docker-desktop}
clusters:
- name: docker-desktop
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: docker-desktop
  user: {token: x}
`, server)
}

// TestOutputByNameReadsTheStacksThatDeclareIt: in prod, `output -json
// doctor > doctor.json` must ask stacks/platform alone (stacks/cluster has
// no such output) and leave on stdout only the output itself.
func TestOutputByNameReadsTheStacksThatDeclareIt(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantCalls []string
		wantOut   string // the wrapper's whole stdout
		wantErr   string
	}{
		{"named output of the platform", []string{"-json", "doctor"},
			[]string{"call platform init -input=false", "call platform output -json doctor"}, "fake platform output result\n", ""},
		{"named output of both", []string{"-raw", "root_domain"},
			[]string{"call cluster init -input=false", "call cluster output -raw root_domain", "call platform init -input=false", "call platform output -raw root_domain"},
			"fake cluster output result\nfake platform output result\n", ""},
		{"every output", []string{"-json"},
			[]string{"call cluster init -input=false", "call cluster output -json", "call platform init -input=false", "call platform output -json"},
			"fake cluster output result\nfake platform output result\n", ""},
		{"no stack declares it", []string{"-json", "doctr"}, nil, "", `no stack of prod declares output "doctr"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.vars["APP_ENV"] = "prod"
			e.writeFile("stacks/platform/outputs.tf", "output \"doctor\" {\n  value = {}\n}\noutput \"root_domain\" {\n  value = \"x\"\n}\n", 0o644)
			e.writeFile("stacks/cluster/outputs.tf", "output \"root_domain\" {\n  value = \"x\"\n}\n", 0o644)
			cmd, _ := e.command(append([]string{"output"}, tt.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(stderr.String(), tt.wantErr) {
					t.Fatalf("err %v, want failure mentioning %q:\n%s", err, tt.wantErr, stderr.String())
				}
			} else if err != nil {
				t.Fatalf("%v:\n%s", err, stderr.String())
			}
			if got := grep(e.logLines(), "call "); strings.Join(got, "|") != strings.Join(tt.wantCalls, "|") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantCalls, "\n"))
			}
			if stdout.String() != tt.wantOut {
				t.Errorf("stdout %q, want %q (init's progress belongs on stderr)", stdout.String(), tt.wantOut)
			}
			if tt.wantErr == "" && !strings.Contains(stderr.String(), "fake init progress") {
				t.Errorf("init's progress is lost:\n%s", stderr.String())
			}
		})
	}
}

func TestEnvironmentChoice(t *testing.T) {
	for _, tt := range []struct {
		name, appEnv, tfVar, action, want, wantErr string
	}{
		{name: "APP_ENV", appEnv: "dev", action: "plan", want: "dev"},
		{name: "TF_VAR_app_env alone selects it", tfVar: "dev", action: "plan", want: "dev"},
		{name: "TF_VAR_app_env alone is enough for destroy", tfVar: "dev", action: "destroy", want: "dev"},
		{name: "both, agreeing", appEnv: "prod", tfVar: "prod", action: "apply", want: "prod"},
		{name: "both, disagreeing", appEnv: "prod", tfVar: "dev", action: "apply", wantErr: `APP_ENV="prod" and TF_VAR_app_env="dev" disagree`},
		{name: "neither: prod", action: "plan", want: "prod"},
		{name: "a misspelt TF_VAR_app_env", tfVar: "develop", action: "plan", wantErr: `APP_ENV="develop" is not an environment`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{AppEnv: tt.appEnv, Action: tt.action, Stderr: io.Discard}
			if tt.tfVar != "" {
				c.Env = []string{"HOME=/root", "TF_VAR_app_env=" + tt.tfVar}
			}
			got, err := c.env()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("env() = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("env() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestKilledWrapperStopsOpenTofu: a SIGKILL of the wrapper (no handler can
// run) still stops OpenTofu, which gets SIGTERM from the kernel, and the next
// run removes the clear file it left.
func TestKilledWrapperStopsOpenTofu(t *testing.T) {
	e := newEnv(t)
	e.vars["APP_ENV"] = "prod"
	e.vars["FAKE_MODE"] = "wait"
	cmd, out := e.command("apply")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(e.ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("fake tofu never started:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for deadline = time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got := grep(e.logLines(), "signal "); len(got) > 0 {
			if got[0] != "signal TERM cluster" {
				t.Fatalf("OpenTofu got %v, want SIGTERM", got)
			}
			break
		}
	}
	if got := grep(e.logLines(), "signal "); len(got) == 0 {
		t.Fatalf("OpenTofu was not stopped when the wrapper was killed: %v", e.logLines())
	}
	// The killed wrapper could not remove its clear file; the next run does.
	e.vars["FAKE_MODE"] = "ok"
	if code, out := e.run("plan"); code != 0 || !strings.Contains(out, "removed stale stacks/cluster/"+ClearFile) {
		t.Fatalf("run after the kill: exit %d\n%s", code, out)
	}
	e.assertNoClearSecrets()
}
