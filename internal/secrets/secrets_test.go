package secrets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/testenv"
)

func TestInitKeyNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sops", "age", "keys.txt")
	r1, created, err := InitKey(path, time.Now())
	if err != nil || !created {
		t.Fatalf("first InitKey: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", st.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	r2, created, err := InitKey(path, time.Now())
	if err != nil || created {
		t.Fatalf("second InitKey: created=%v err=%v", created, err)
	}
	after, _ := os.ReadFile(path)
	if r1 != r2 || string(before) != string(after) {
		t.Fatal("second InitKey changed the key")
	}
	if !strings.HasPrefix(r1, "age1") {
		t.Errorf("recipient %q is not an age public key", r1)
	}
}

func TestInitKeyRefusesGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := InitKey(path, time.Now()); err == nil || !strings.Contains(err.Error(), "left untouched") {
		t.Fatalf("InitKey on garbage: err=%v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key\n" {
		t.Fatal("InitKey modified an existing file")
	}
}

func TestParseRecipients(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		wantErr string
	}{
		{"", 0, "is empty"},
		{" , ", 0, "is empty"},
		{"age1notakey", 0, "not an age public key"},
	}
	for _, tt := range tests {
		got, err := ParseRecipients(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRecipients(%q) err=%v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != tt.n {
			t.Errorf("ParseRecipients(%q) = %v, %v", tt.in, got, err)
		}
	}
	dir := t.TempDir()
	a, _, _ := InitKey(filepath.Join(dir, "a"), time.Now())
	b, _, _ := InitKey(filepath.Join(dir, "b"), time.Now())
	// A private key pasted by mistake is named as such and never printed.
	priv := "AGE-SECRET-KEY-1NOTAREALKEYJUSTTHEPREFIXOFONE"
	if _, err := ParseRecipients(a + "," + priv); err == nil || !strings.Contains(err.Error(), "entry 2 is an age PRIVATE key") || strings.Contains(err.Error(), priv[15:]) {
		t.Errorf("private key in the recipients: %v", err)
	}
	if _, err := ParseRecipients("age1notakey"); err == nil || strings.Contains(err.Error(), "notakey") {
		t.Errorf("a bad recipient is echoed: %v", err)
	}
	got, err := ParseRecipients(a + ", " + b)
	if err != nil || len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("two recipients: %v, %v", got, err)
	}
}

// fixture is a repository-like directory with the real sops.yaml and two keys.
type fixture struct {
	dir, policy, key, otherKey, recipient, otherRecipient string
	sops                                                  SOPS
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	bin := testenv.Tool(t, "sops")
	dir := t.TempDir()
	policy, err := filepath.Abs("../../sops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{dir: dir, policy: policy, key: filepath.Join(dir, "key.txt"), otherKey: filepath.Join(dir, "other.txt")}
	if f.recipient, _, err = InitKey(f.key, time.Now()); err != nil {
		t.Fatal(err)
	}
	if f.otherRecipient, _, err = InitKey(f.otherKey, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.sops = SOPS{Binary: bin, Policy: policy}
	return f
}

func (f fixture) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A password with every character class that breaks naive quoting.
const hostile = "do_token = \"q'uo\\\"te $HOME `x` \\\\ space é ✓\"\n"

func TestEncryptDecryptRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	clear := f.write(t, "secrets.tfvars", hostile)
	enc := filepath.Join(f.dir, "secrets.tfvars.enc")
	if err := f.sops.Encrypt(ctx, clear, enc, []string{f.recipient}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !IsCiphertext(data) || strings.Contains(string(data), "space") {
		t.Fatalf("output is not ciphertext:\n%s", data)
	}
	got, err := f.sops.Decrypt(ctx, enc, f.key)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != hostile {
		t.Fatalf("round trip changed the content: %q", got)
	}
}

func TestEncryptErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good := f.write(t, "secrets.tfvars", hostile)
	tests := []struct {
		name, in, out, want string
	}{
		{"name outside the policy", f.write(t, "notes.txt", "x = 1\n"), "notes.txt.enc", "not a secrets file"},
		{"output without .enc", good, "secrets.tfvars.sops", "must end in .enc"},
		{"missing clear file", filepath.Join(f.dir, "secrets.prod.tfvars"), "secrets.prod.tfvars.enc", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(f.dir, tt.out)
			err := f.sops.Encrypt(ctx, tt.in, out, []string{f.recipient})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want %q", err, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatalf("%s was written despite the error", out)
			}
		})
	}
	t.Run("already encrypted", func(t *testing.T) {
		enc := filepath.Join(f.dir, "secrets.tfvars.enc")
		if err := f.sops.Encrypt(ctx, good, enc, []string{f.recipient}); err != nil {
			t.Fatal(err)
		}
		twice := f.write(t, "secrets.dev.tfvars", mustRead(t, enc))
		err := f.sops.Encrypt(ctx, twice, filepath.Join(f.dir, "secrets.dev.tfvars.enc"), []string{f.recipient})
		if err == nil || !strings.Contains(err.Error(), "already SOPS ciphertext") {
			t.Fatalf("err=%v", err)
		}
	})
}

func TestDecryptErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	enc := filepath.Join(f.dir, "secrets.tfvars.enc")
	if err := f.sops.Encrypt(ctx, f.write(t, "secrets.tfvars", hostile), enc, []string{f.recipient}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, key, want string
	}{
		{"control: right key", enc, f.key, ""},
		{"encrypted for another key", enc, f.otherKey, "is not encrypted for your age key"},
		{"missing key file", enc, filepath.Join(f.dir, "nope.txt"), "create one with bin/age-init.sh"},
		{"missing encrypted file", filepath.Join(f.dir, "absent.enc"), f.key, "bin/sops-encrypt.sh secrets.tfvars"},
		{"clear file named enc", f.write(t, "clear.enc", hostile), f.key, "not SOPS ciphertext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.sops.Decrypt(ctx, tt.file, tt.key)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want %q", err, tt.want)
			}
		})
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDecryptOffersOnlyTheGivenKey: sops would also load $SOPS_AGE_KEY,
// run $SOPS_AGE_KEY_CMD and read the default keys.txt and ~/.ssh keys; here
// each of them is a trap that breaks or marks the run if sops touches it.
func TestDecryptOffersOnlyTheGivenKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	clear := f.write(t, "secrets.tfvars", hostile)
	enc := filepath.Join(f.dir, "secrets.tfvars.enc")
	if err := f.sops.Encrypt(ctx, clear, enc, []string{f.recipient}); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	marker := filepath.Join(t.TempDir(), "key-cmd-ran")
	for name, content := range map[string]string{".config/sops/age/keys.txt": "garbage\n", ".ssh/id_ed25519": "garbage\n"} {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("SOPS_AGE_KEY", "not-an-age-key")
	t.Setenv("SOPS_AGE_KEY_CMD", "touch "+marker)
	got, err := f.sops.Decrypt(ctx, enc, f.key)
	if err != nil {
		t.Fatalf("decrypt with only the given key: %v", err)
	}
	if string(got) != hostile {
		t.Fatalf("round trip changed the content: %q", got)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("sops ran $SOPS_AGE_KEY_CMD")
	}
}
