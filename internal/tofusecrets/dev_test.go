package tofusecrets

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/devenv"
)

// devPaths are where a dev run of e keeps its generated key and secrets.
func (e *env) devPaths() (key, secretsFile string) {
	e.t.Helper()
	key, err := devenv.KeyFile(e.vars["HOME"], "")
	if err != nil {
		e.t.Fatal(err)
	}
	return key, filepath.Join(e.root, devenv.SecretsPath)
}

// generatedMode drops the explicit key so dev runs use the generated one,
// and puts the test's "prod" key where sops looks by default, as on an
// operator's machine.
func (e *env) generatedMode() (prodKey string) {
	e.t.Helper()
	delete(e.vars, "SOPS_AGE_KEY_FILE")
	delete(e.vars, "SECRETS_FILE")
	prodKey = filepath.Join(e.vars["HOME"], ".config", "sops", "age", "keys.txt")
	e.writeFile(strings.TrimPrefix(prodKey, e.root+"/"), readFile(e.t, e.key), 0o600)
	return prodKey
}

// fileState is what a run must not change about a file: its bytes, its
// modification time and its access time.
type fileState struct {
	data         []byte
	mtime, atime time.Time
}

// checker is the part of testing.T the check uses, so a test can watch it.
type checker interface {
	Helper()
	Fatal(args ...any)
	Errorf(format string, args ...any)
	Log(args ...any)
	TempDir() string
}

// stat reads the times first, then the bytes: reading them first would
// move the access time the record is about.
func stat(t checker, p string) fileState {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{data: data, mtime: st.ModTime(), atime: time.Unix(sys.Atim.Unix())}
}

// untouched records paths and returns a check that fails if a run read or
// wrote any of them. Reads show through the access time: after the bytes
// are recorded, each file's atime is set an hour before its mtime, and
// relatime (like strictatime) updates such an atime on the next read. A
// control file proves the filesystem does so.
func untouched(t checker, paths ...string) func() {
	t.Helper()
	control := filepath.Join(t.TempDir(), "control")
	if err := os.WriteFile(control, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	all := append([]string{control}, paths...)
	before := map[string]fileState{}
	for _, p := range all {
		st := stat(t, p)
		if err := os.Chtimes(p, st.mtime.Add(-time.Hour), st.mtime); err != nil {
			t.Fatal(err)
		}
		st.atime = st.mtime.Add(-time.Hour)
		before[p] = st
	}
	return func() {
		t.Helper()
		if _, err := os.ReadFile(control); err != nil {
			t.Fatal(err)
		}
		atimeWorks := !stat(t, control).atime.Equal(before[control].atime)
		if !atimeWorks {
			t.Log("this filesystem does not update access times (noatime): only bytes and mtime are checked")
		}
		for _, p := range paths {
			got := stat(t, p)
			b := before[p]
			if !bytes.Equal(got.data, b.data) {
				t.Errorf("%s changed", p)
			}
			if !got.mtime.Equal(b.mtime) {
				t.Errorf("%s modified (mtime %v, was %v)", p, got.mtime, b.mtime)
			}
			if atimeWorks && !got.atime.Equal(b.atime) {
				t.Errorf("%s was read (atime %v, was %v)", p, got.atime, b.atime)
			}
		}
	}
}

// TestUntouchedSeesReadsAndWrites shows the check above can fail.
func TestUntouchedSeesReadsAndWrites(t *testing.T) {
	for _, tt := range []struct {
		name string
		do   func(p string) error
	}{
		{"read", func(p string) error { _, err := os.ReadFile(p); return err }},
		{"rewritten identically", func(p string) error { return os.WriteFile(p, []byte("same"), 0o600) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(p, []byte("same"), 0o600); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{T: t}
			check := untouched(rec, p)
			time.Sleep(20 * time.Millisecond) // a rewrite lands on a later mtime
			if err := tt.do(p); err != nil {
				t.Fatal(err)
			}
			check()
			if rec.noatime {
				t.Logf("noatime filesystem: reads cannot be seen here")
			}
			if len(rec.errors) == 0 && !(rec.noatime && tt.name == "read") {
				t.Errorf("a %s file passed the check", tt.name)
			}
		})
	}
}

// recorder lets TestUntouchedSeesReadsAndWrites watch the check's failures.
type recorder struct {
	*testing.T
	errors  []string
	noatime bool
}

func (r *recorder) Errorf(format string, args ...any) { r.errors = append(r.errors, format) }
func (r *recorder) Log(args ...any)                   { r.noatime = true }

func TestDevGeneratesItsSecretsOnceAndNeverTouchesProd(t *testing.T) {
	e := newEnv(t)
	prodKey := e.generatedMode()
	check := untouched(t, filepath.Join(e.root, "secrets.tfvars.enc"), prodKey)
	devKey, devSecrets := e.devPaths()

	code, out := e.run("plan")
	if code != 0 {
		t.Fatalf("first dev run: exit %d:\n%s", code, out)
	}
	for _, w := range []string{"created the dev-only age key " + devKey, "created the dev secrets " + devSecrets, "no prod value", `cluster of context "docker-desktop" answers`} {
		if !strings.Contains(out, w) {
			t.Errorf("first run does not say %q:\n%s", w, out)
		}
	}
	first := grep(e.logLines(), "secret ")
	if !slices.ContainsFunc(first, func(l string) bool { return strings.HasPrefix(l, "secret state_encryption_passphrase = ") }) {
		t.Fatalf("OpenTofu got no state passphrase: %v", first)
	}
	for _, prod := range []string{"0123456789abcdef-é", "tok'en", "do_token", "s3cr3t"} {
		if strings.Contains(strings.Join(first, "\n"), prod) {
			t.Errorf("a dev run passed the prod value %q to OpenTofu", prod)
		}
	}
	key, enc := readFile(t, devKey), readFile(t, devSecrets)

	os.Remove(e.log)
	code, out = e.run("plan")
	if code != 0 {
		t.Fatalf("second dev run: exit %d:\n%s", code, out)
	}
	for _, w := range []string{"reusing the dev age key " + devKey, "reusing the dev secrets " + devSecrets} {
		if !strings.Contains(out, w) {
			t.Errorf("second run does not say %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "created") {
		t.Errorf("second run created something:\n%s", out)
	}
	if readFile(t, devKey) != key || readFile(t, devSecrets) != enc {
		t.Error("second run changed the dev key or the dev secrets")
	}
	if second := grep(e.logLines(), "secret "); !slices.Equal(second, first) {
		t.Errorf("second run gave OpenTofu other values:\n%v\nfirst:\n%v", second, first)
	}
	check()
	e.assertNoClearSecrets()
}

func TestDevExplicitSecretsFileWins(t *testing.T) {
	e := newEnv(t) // SECRETS_FILE and SOPS_AGE_KEY_FILE are set, as the earlier tests run dev
	devKey, devSecrets := e.devPaths()
	code, out := e.run("plan")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "not the generated dev secrets") {
		t.Errorf("the run does not say it uses the given key and file:\n%s", out)
	}
	if !slices.Contains(grep(e.logLines(), "secret "), `secret state_encryption_passphrase = "0123456789abcdef-é"`) {
		t.Errorf("the given secrets.tfvars.enc was not used: %v", grep(e.logLines(), "secret "))
	}
	for _, p := range []string{devKey, devSecrets} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created although a key was given", p)
		}
	}
}

// The README's order: bin/age-init.sh exports SOPS_AGE_KEY_FILE, then
// `make dev` in the same shell. Dev must not read secrets.tfvars.enc.
func TestDevNeverReadsProdSecretsUnasked(t *testing.T) {
	e := newEnv(t)
	delete(e.vars, "SECRETS_FILE") // SOPS_AGE_KEY_FILE stays, as after age-init
	devKey, devSecrets := e.devPaths()
	code, out := e.run("plan")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "dev reads only the generated dev secrets") {
		t.Errorf("the run does not say it ignores SOPS_AGE_KEY_FILE:\n%s", out)
	}
	for _, l := range grep(e.logLines(), "secret ") {
		if strings.Contains(l, "0123456789abcdef-é") {
			t.Errorf("a value of secrets.tfvars.enc reached OpenTofu in dev: %s", l)
		}
	}
	for _, p := range []string{devKey, devSecrets} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the generated dev key or secrets are missing: %v", err)
		}
	}
}

func TestDevApplyPrintsHostsLines(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		want   []string
		absent string
	}{
		{"default root domain", nil, nil,
			[]string{"127.0.0.1\tfullfrontend.kube\n", "127.0.0.1\tcloud.fullfrontend.kube\n", "127.0.0.1\tgrafana.fullfrontend.kube\n", "127.0.0.1\twebhook.fullfrontend.kube\n"}, ""},
		{"TF_VAR_root_domain_dev", map[string]string{"TF_VAR_root_domain_dev": "agency.localhost"}, nil,
			[]string{"127.0.0.1\tcrm.agency.localhost\n"}, "fullfrontend.kube"},
		{"-var wins over TF_VAR", map[string]string{"TF_VAR_root_domain_dev": "agency.localhost"}, []string{"-var", "root_domain_dev=ff.test"},
			[]string{"127.0.0.1\tn8n.ff.test\n"}, "agency.localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.generatedMode()
			for k, v := range tt.env {
				e.vars[k] = v
			}
			code, out := e.run(append([]string{"apply"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			for _, w := range append(tt.want, "add these lines to /etc/hosts") {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tt.absent != "" && strings.Contains(out, tt.absent) {
				t.Errorf("output names %s:\n%s", tt.absent, out)
			}
		})
	}
	// A plan prints no hosts lines: nothing runs yet.
	e := newEnv(t)
	if code, out := e.run("plan"); code != 0 || strings.Contains(out, "/etc/hosts") {
		t.Errorf("plan: exit %d, output:\n%s", code, out)
	}
}

func TestDevWithoutClusterStopsBeforeOpenTofu(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
		want  []string
	}{
		{"no ~/.kube/config", func(e *env) { os.RemoveAll(filepath.Join(e.vars["HOME"], ".kube")) },
			[]string{"no Kubernetes cluster for dev", "/home/.kube/config does not exist", "start docker-desktop", "has a context"}},
		{"cluster stopped", func(e *env) {
			e.writeFile("home/.kube/config", kubeconfigFor(e.t, "https://127.0.0.1:1"), 0o600)
		}, []string{"no Kubernetes cluster for dev", `context "docker-desktop"`, "does not answer"}},
		{"kube_context names no context", func(e *env) { e.vars["TF_VAR_kube_context"] = "kind-kind" },
			[]string{"no Kubernetes cluster for dev", `kube_context names context "kind-kind"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.generatedMode()
			tt.setup(e)
			code, out := e.run("apply")
			if code == 0 {
				t.Fatalf("dev apply without a cluster succeeded:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if got := grep(e.logLines(), "call "); len(got) != 0 {
				t.Errorf("OpenTofu ran without a cluster: %v", got)
			}
			// What the run could do, it did: key and secrets exist for the next one.
			devKey, devSecrets := e.devPaths()
			for _, p := range []string{devKey, devSecrets} {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s not created before the cluster check: %v", p, err)
				}
			}
			e.assertNoClearSecrets()
		})
	}
	// output reads the state only: it needs no cluster.
	e := newEnv(t)
	os.RemoveAll(filepath.Join(e.vars["HOME"], ".kube"))
	if code, out := e.run("output"); code != 0 {
		t.Errorf("dev output without a cluster: exit %d:\n%s", code, out)
	}
}

func TestDevAndProdSecretsStayApart(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
		args  []string
		want  string
	}{
		{"prod with the dev key", func(e *env) {
			e.vars["APP_ENV"] = "prod"
			k, _ := e.devPaths()
			e.vars["SOPS_AGE_KEY_FILE"] = k
		}, []string{"plan"}, "APP_ENV=prod with the dev-only age key"},
		{"prod with the dev secrets", func(e *env) {
			e.vars["APP_ENV"] = "prod"
			_, f := e.devPaths()
			e.vars["SECRETS_FILE"] = f
		}, []string{"plan"}, "APP_ENV=prod with the generated dev secrets"},
		{"dev destroy before any dev apply", func(e *env) { e.generatedMode() }, []string{"destroy"}, "nothing was applied in dev"},
		{"dev output before any dev apply", func(e *env) { e.generatedMode() }, []string{"output"}, "nothing was applied in dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.setup(e)
			code, out := e.run(tt.args...)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, want failure mentioning %q:\n%s", code, tt.want, out)
			}
			if got := grep(e.logLines(), "call "); len(got) != 0 {
				t.Errorf("OpenTofu ran: %v", got)
			}
			_, devSecrets := e.devPaths()
			if _, err := os.Stat(devSecrets); err == nil {
				t.Errorf("dev secrets created by a run that must not create them")
			}
		})
	}
}
