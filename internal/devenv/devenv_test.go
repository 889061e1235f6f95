package devenv

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/repo"
	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// assignments reads `name = "value"` lines (comments aside) and fails on
// any other line, so a malformed file cannot pass.
func assignments(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	line := regexp.MustCompile(`^([a-z0-9_]+) = "([^"\\]*)"$`)
	out := map[string]string{}
	for l := range strings.SplitSeq(strings.TrimSpace(string(doc)), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a plain string assignment: %q", l)
		}
		out[m[1]] = m[2]
	}
	return out
}

func TestKeyFile(t *testing.T) {
	tests := []struct {
		home, xdg, want, wantErr string
	}{
		{home: "/home/dev", want: "/home/dev/.config/fullfrontend-infra/dev-age-key.txt"},
		{home: "/home/dev", xdg: "/xdg", want: "/xdg/fullfrontend-infra/dev-age-key.txt"},
		{wantErr: "HOME is not set"},
	}
	for _, tt := range tests {
		got, err := KeyFile(tt.home, tt.xdg)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("KeyFile(%q, %q) = %q, %v; want error %q", tt.home, tt.xdg, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("KeyFile(%q, %q) = %q, %v; want %q", tt.home, tt.xdg, got, err, tt.want)
		}
	}
	// Never sops's default key file, which may hold an operator's prod key.
	def := filepath.Join("/home/dev", ".config", "sops", "age", "keys.txt")
	if got, _ := KeyFile("/home/dev", ""); got == def {
		t.Errorf("the dev key is sops's default key file %s", def)
	}
}

func TestClearValues(t *testing.T) {
	a, err := Clear(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Clear(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The stack's rules: no quote, space or control character, >= 32 characters.
	value := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, doc := range [][]byte{a, b} {
		got := assignments(t, doc)
		if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, slices.Sorted(slices.Values(Generated()))) {
			t.Errorf("dev secrets set %v, want %v", names, Generated())
		}
		for name, v := range got {
			if !value.MatchString(v) {
				t.Errorf("%s = %q: want 64 hex characters", name, v)
			}
		}
		for _, prod := range []string{"do_token", "spaces_access_key_id", "spaces_secret_access_key"} {
			if bytes.Contains(doc, []byte(prod)) {
				t.Errorf("dev secrets set the prod-only %s", prod)
			}
		}
	}
	if assignments(t, a)["state_encryption_passphrase"] == assignments(t, b)["state_encryption_passphrase"] {
		t.Error("two generations gave the same passphrase")
	}
}

// fixture is a checkout's dev paths under a temporary directory.
type fixture struct {
	s    Secrets
	root string
	log  *bytes.Buffer
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	sopsBin := testenv.Tool(t, "sops")
	src, err := repo.FromWD()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	key, err := KeyFile(filepath.Join(root, "home"), "")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	return fixture{root: root, log: &log, s: Secrets{
		KeyFile:  key,
		File:     filepath.Join(root, SecretsPath),
		StateDir: filepath.Join(root, ".state", "dev"),
		SOPS:     secrets.SOPS{Binary: sopsBin, Policy: filepath.Join(src, secrets.PolicyFile)},
		Now:      time.Now(),
		Log:      &log,
		Create:   true,
	}}
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEnsureCreatesThenReuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"created the dev-only age key " + f.s.KeyFile, "created the dev secrets " + f.s.File, "no prod value"} {
		if !strings.Contains(f.log.String(), w) {
			t.Errorf("first run does not say %q:\n%s", w, f.log)
		}
	}
	// The command it gives to read them works in an operator's shell,
	// where the tools cache is not on PATH.
	_, readCmd, ok := strings.Cut(f.log.String(), "read them with: ")
	readCmd, _, _ = strings.Cut(readCmd, "\n")
	if !ok {
		t.Fatalf("first run gives no command to read the dev secrets:\n%s", f.log)
	}
	sh := exec.Command("/bin/sh", "-c", readCmd)
	sh.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	if out, err := sh.CombinedOutput(); err != nil || !strings.Contains(string(out), "state_encryption_passphrase") {
		t.Errorf("%s: %v\n%s", readCmd, err, out)
	}
	st, err := os.Stat(f.s.KeyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dev key: %v %v", st, err)
	}
	if !strings.HasPrefix(string(read(t, f.s.KeyFile)), "# DEV ONLY") {
		t.Errorf("dev key file does not say it is dev only:\n%s", read(t, f.s.KeyFile))
	}
	key, enc := read(t, f.s.KeyFile), read(t, f.s.File)
	ids, err := secrets.LoadIdentities(f.s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := secrets.Recipients(enc); err != nil || !slices.Equal(rs, []string{ids[0].Recipient().String()}) {
		t.Fatalf("dev secrets encrypted for %v (%v), want the dev key only", rs, err)
	}
	clear, err := f.s.SOPS.Decrypt(ctx, f.s.File, f.s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := assignments(t, clear); len(got) != len(generated) || got["state_encryption_passphrase"] == "" {
		t.Errorf("decrypted dev secrets: %v", slices.Sorted(maps.Keys(got)))
	}
	// No clear copy left beside the ciphertext.
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(f.s.File), "*")); len(left) != 1 {
		t.Errorf("files beside the dev secrets: %v", left)
	}

	f.log.Reset()
	if err := f.s.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(t, f.s.KeyFile), key) || !bytes.Equal(read(t, f.s.File), enc) {
		t.Error("second run changed the dev key or the dev secrets")
	}
	for _, w := range []string{"reusing the dev age key", "reusing the dev secrets"} {
		if !strings.Contains(f.log.String(), w) {
			t.Errorf("second run does not say %q:\n%s", w, f.log)
		}
	}
}

func TestEnsureRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		want  string
	}{
		{"destroy or output before any apply", func(t *testing.T, f *fixture) { f.s.Create = false }, "nothing was applied in dev"},
		{"dev state without its secrets", func(t *testing.T, f *fixture) {
			if err := os.MkdirAll(f.s.StateDir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(f.s.StateDir, "platform.tfstate"), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "hold its encryption passphrase are gone"},
		{"dev secrets without their key", func(t *testing.T, f *fixture) {
			if err := f.s.Ensure(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(f.s.KeyFile); err != nil {
				t.Fatal(err)
			}
		}, "the dev age key " + "%KEY%" + " that decrypts them is gone"},
		{"dev secrets for a replaced key", func(t *testing.T, f *fixture) {
			if err := f.s.Ensure(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(f.s.KeyFile); err != nil {
				t.Fatal(err)
			}
			if _, _, err := secrets.InitKey(f.s.KeyFile, time.Now()); err != nil {
				t.Fatal(err)
			}
		}, "which was replaced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(t, &f)
			before, _ := os.ReadFile(f.s.File)
			err := f.s.Ensure(context.Background())
			want := strings.ReplaceAll(tt.want, "%KEY%", f.s.KeyFile)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want an error with %q", err, want)
			}
			if !strings.Contains(err.Error(), "rm -r "+f.s.StateDir) && !strings.Contains(err.Error(), "apply first") {
				t.Errorf("error does not say how to start over: %v", err)
			}
			if after, _ := os.ReadFile(f.s.File); !bytes.Equal(before, after) {
				t.Error("a refused run changed the dev secrets")
			}
		})
	}
}

// A run killed while it created the dev secrets leaves their clear copy in
// a temporary directory; the next run removes it first and says so.
func TestEnsureRemovesClearLeftovers(t *testing.T) {
	f := newFixture(t)
	stale := filepath.Join(filepath.Dir(f.s.File), ".dev-secrets-123456")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, clearName), []byte("grafana_admin_password = \"left\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there (%v)", stale, err)
	}
	if !strings.Contains(f.log.String(), "left by an interrupted run") {
		t.Errorf("no warning:\n%s", f.log)
	}
}
