package statebucket

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/testsupport/s3test"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

func TestCredentialsFromTFVars(t *testing.T) {
	tests := []struct {
		name    string
		tfvars  string
		want    Credentials
		wantErr string
	}{
		{
			name:   "both keys among other secrets",
			tfvars: "do_token = \"t\"\nspaces_access_key_id = \"DO00AK\"\nspaces_secret_access_key = \"s3cr3t+/=\"\nstate_encryption_passphrase = \"p\"\n",
			want:   Credentials{AccessKeyID: "DO00AK", SecretAccessKey: "s3cr3t+/="},
		},
		{
			name:    "secret key missing",
			tfvars:  "spaces_access_key_id = \"DO00AK\"\n",
			wantErr: "do not set spaces_secret_access_key",
		},
		{
			name:    "both missing",
			tfvars:  "do_token = \"t\"\n",
			wantErr: "do not set spaces_access_key_id, spaces_secret_access_key",
		},
		{
			name:    "empty as in secrets.tfvars.example",
			tfvars:  "spaces_access_key_id = \"\"\nspaces_secret_access_key = \"x\"\n",
			wantErr: "spaces_access_key_id is empty",
		},
		{
			name:    "not a string",
			tfvars:  "spaces_access_key_id = 12\nspaces_secret_access_key = \"x\"\n",
			wantErr: "spaces_access_key_id (line 1) something other than a literal string",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CredentialsFromTFVars([]byte(tt.tfvars))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// countingListener accepts connections on 127.0.0.1 and counts them, to
// prove that a refused configuration made no network call.
func countingListener(t *testing.T) (endpoint string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return "http://" + l.Addr().String(), accepted
}

func TestInvalidConfigRefusedBeforeAnyNetworkCall(t *testing.T) {
	endpoint, accepted := countingListener(t)
	keys := Credentials{AccessKeyID: "ak", SecretAccessKey: "sk"}
	valid := Config{Bucket: "fullfrontend-tofu-state", Region: "fra1", Endpoint: endpoint, Credentials: keys}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"too short", func(c *Config) { c.Bucket = "ab" }, `bucket name "ab"`},
		{"too long", func(c *Config) { c.Bucket = strings.Repeat("a", 64) }, "3-63"},
		{"upper case", func(c *Config) { c.Bucket = "Fullfrontend" }, "lower-case"},
		{"underscore", func(c *Config) { c.Bucket = "tofu_state" }, "bucket name"},
		{"dot", func(c *Config) { c.Bucket = "tofu.state" }, "bucket name"},
		{"leading hyphen", func(c *Config) { c.Bucket = "-state" }, "bucket name"},
		{"trailing hyphen", func(c *Config) { c.Bucket = "state-" }, "bucket name"},
		{"empty bucket", func(c *Config) { c.Bucket = "" }, "bucket name"},
		{"region upper case", func(c *Config) { c.Region = "FRA1" }, `region "FRA1"`},
		{"region without digit", func(c *Config) { c.Region = "fra" }, "Spaces region slug"},
		{"region two digits", func(c *Config) { c.Region = "fra12" }, "Spaces region slug"},
		{"region with path", func(c *Config) { c.Region = "fra1.evil.example/x" }, "Spaces region slug"},
		{"endpoint scheme", func(c *Config) { c.Endpoint = "ftp://127.0.0.1:1" }, "scheme must be https"},
		{"plain http off loopback", func(c *Config) { c.Endpoint = "http://fra1.digitaloceanspaces.com" }, "only allowed on a loopback"},
		{"endpoint with path", func(c *Config) { c.Endpoint = endpoint + "/bucket" }, "want scheme://host[:port]"},
		{"endpoint without host", func(c *Config) { c.Endpoint = "https://" }, "want scheme://host[:port]"},
		{"endpoint with user", func(c *Config) { c.Endpoint = "https://me:pw@fra1.digitaloceanspaces.com" }, "want scheme://host[:port]"},
		{"no access key", func(c *Config) { c.Credentials.AccessKeyID = "" }, "Spaces keys are empty"},
		{"no secret key", func(c *Config) { c.Credentials.SecretAccessKey = "" }, "Spaces keys are empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.edit(&c)
			var out bytes.Buffer
			_, err := Ensure(context.Background(), c, &out)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.wantErr)
			}
			if out.Len() != 0 {
				t.Errorf("printed %q for a refused configuration", out.String())
			}
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connection(s) reached the endpoint for refused configurations", n)
	}
}

func TestValidAccepted(t *testing.T) {
	for _, c := range []Config{
		{Bucket: "abc", Region: "ams3"},
		{Bucket: strings.Repeat("a", 63), Region: "fra1"},
		{Bucket: "0-state-9", Region: "sgp1", Endpoint: "https://s3.example.net:8443"},
		{Bucket: "state", Region: "nyc3", Endpoint: "http://[::1]:9000/"},
	} {
		c.Credentials = Credentials{AccessKeyID: "a", SecretAccessKey: "s"}
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if got := (Config{Region: "ams3"}).endpoint(); got != "https://ams3.digitaloceanspaces.com" {
		t.Errorf("default endpoint %q", got)
	}
}

// rootClient talks to the test server as its root account, independently
// of the code under test, to set up and check buckets.
func rootClient(t *testing.T, s *s3test.Server) *minio.Client {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(s.Endpoint(), "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func config(s *s3test.Server, bucket string) Config {
	return Config{
		Bucket:      bucket,
		Region:      "fra1",
		Endpoint:    s.Endpoint(),
		Credentials: Credentials{AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey},
	}
}

func TestEnsure(t *testing.T) {
	s := s3test.Start(t)
	admin := rootClient(t, s)
	ctx := context.Background()
	tests := []struct {
		name      string
		bucket    string
		setup     func(t *testing.T, bucket string)
		want      Result
		wantLines []string
	}{
		{
			name:      "missing bucket is created with versioning",
			bucket:    "fullfrontend-tofu-state",
			want:      Result{Created: true, EnabledVersioning: true},
			wantLines: []string{"created bucket fullfrontend-tofu-state at " + s.Endpoint(), "enabled versioning on fullfrontend-tofu-state"},
		},
		{
			name:   "existing bucket without versioning gets it",
			bucket: "made-by-hand",
			setup: func(t *testing.T, bucket string) {
				if err := admin.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			want:      Result{EnabledVersioning: true},
			wantLines: []string{"bucket made-by-hand at " + s.Endpoint() + " already exists", "enabled versioning on made-by-hand"},
		},
		{
			name:   "existing versioned bucket is left alone",
			bucket: "already-versioned",
			setup: func(t *testing.T, bucket string) {
				if err := admin.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
					t.Fatal(err)
				}
				if err := admin.EnableVersioning(ctx, bucket); err != nil {
					t.Fatal(err)
				}
			},
			want:      Result{},
			wantLines: []string{"already exists", "versioning already enabled on already-versioned"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t, tt.bucket)
			}
			var out bytes.Buffer
			got, err := Ensure(ctx, config(s, tt.bucket), &out)
			if err != nil {
				t.Fatalf("Ensure: %v\n%s", err, out.String())
			}
			if got != tt.want {
				t.Errorf("result %+v, want %+v", got, tt.want)
			}
			for _, l := range tt.wantLines {
				if !strings.Contains(out.String(), l) {
					t.Errorf("output lacks %q:\n%s", l, out.String())
				}
			}
			if strings.Contains(out.String(), s.SecretKey) || strings.Contains(out.String(), s.AccessKey) {
				t.Errorf("output shows the keys:\n%s", out.String())
			}

			// Checked by a separate client, not by the code under test.
			if ok, err := admin.BucketExists(ctx, tt.bucket); err != nil || !ok {
				t.Fatalf("bucket after Ensure: exists=%v err=%v", ok, err)
			}
			v, err := admin.GetBucketVersioning(ctx, tt.bucket)
			if err != nil || !v.Enabled() {
				t.Fatalf("versioning after Ensure: %+v, %v", v, err)
			}

			// A second run is a no-op.
			out.Reset()
			again, err := Ensure(ctx, config(s, tt.bucket), &out)
			if err != nil || again != (Result{}) {
				t.Fatalf("second Ensure: %+v, %v\n%s", again, err, out.String())
			}
			for _, l := range []string{"already exists", "versioning already enabled"} {
				if !strings.Contains(out.String(), l) {
					t.Errorf("second run output lacks %q:\n%s", l, out.String())
				}
			}
		})
	}
}

// TestVersioningKeepsOldState checks the point of versioning: an overwritten
// state object can still be read in its previous version.
func TestVersioningKeepsOldState(t *testing.T) {
	s := s3test.Start(t)
	ctx := context.Background()
	if _, err := Ensure(ctx, config(s, "state"), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	admin := rootClient(t, s)
	for _, body := range []string{"good state", "bad state"} {
		if _, err := admin.PutObject(ctx, "state", "cluster/terraform.tfstate", strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var versions int
	for obj := range admin.ListObjects(ctx, "state", minio.ListObjectsOptions{WithVersions: true, Prefix: "cluster/"}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		versions++
	}
	if versions != 2 {
		t.Fatalf("%d versions of the state object, want 2", versions)
	}
}

func TestEnsureRefuses(t *testing.T) {
	s := s3test.Start(t)
	ctx := context.Background()
	if err := rootClient(t, s).MakeBucket(ctx, "someone-elses", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	userAK, userSK := s.AddUser(t)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()

	tests := []struct {
		name    string
		edit    func(*Config)
		wantIs  error
		wantErr string
	}{
		{
			name:    "unknown access key",
			edit:    func(c *Config) { c.Credentials.AccessKeyID = "DO00UNKNOWN" },
			wantIs:  ErrCredentials,
			wantErr: "check spaces_access_key_id and spaces_secret_access_key",
		},
		{
			name:    "wrong secret key",
			edit:    func(c *Config) { c.Credentials.SecretAccessKey = "wrong" },
			wantIs:  ErrCredentials,
			wantErr: "SignatureDoesNotMatch",
		},
		{
			name: "bucket of another account",
			edit: func(c *Config) {
				c.Bucket = "someone-elses"
				c.Credentials = Credentials{AccessKeyID: userAK, SecretAccessKey: userSK}
			},
			wantIs:  ErrNotOwned,
			wantErr: "choose another name with --bucket",
		},
		{
			name:    "nothing listening",
			edit:    func(c *Config) { c.Endpoint = closed },
			wantErr: "cannot talk to the endpoint",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config(s, "fullfrontend-tofu-state")
			tt.edit(&c)
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			var out bytes.Buffer
			res, err := Ensure(ctx, c, &out)
			if err == nil {
				t.Fatalf("Ensure succeeded: %+v\n%s", res, out.String())
			}
			t.Logf("error shown to the operator: %v", err)
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if res.Created {
				t.Error("reported a created bucket")
			}
		})
	}
	// The refused runs changed nothing.
	if ok, err := rootClient(t, s).BucketExists(ctx, "fullfrontend-tofu-state"); err != nil || ok {
		t.Fatalf("a refused run created the bucket: %v, %v", ok, err)
	}
	if v, err := rootClient(t, s).GetBucketVersioning(ctx, "someone-elses"); err != nil || v.Enabled() {
		t.Fatalf("another account's bucket was changed: %+v, %v", v, err)
	}
}

// TestDecryptCredentialsThroughSOPS runs the whole path with a real sops:
// keys encrypted for an age key, decrypted in memory, bucket created.
func TestDecryptCredentialsThroughSOPS(t *testing.T) {
	bin := testenv.Tool(t, "sops")
	policy, err := filepath.Abs("../../sops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := s3test.Start(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "key.txt")
	recipient, _, err := secrets.InitKey(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	clearFile := filepath.Join(dir, "secrets.tfvars")
	doc := "do_token = \"t\"\nspaces_access_key_id = \"" + s.AccessKey + "\"\nspaces_secret_access_key = \"" + s.SecretKey + "\"\n"
	if err := os.WriteFile(clearFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	sops := secrets.SOPS{Binary: bin, Policy: policy}
	enc := filepath.Join(dir, "secrets.tfvars.enc")
	ctx := context.Background()
	if err := sops.Encrypt(ctx, clearFile, enc, []string{recipient}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(clearFile); err != nil {
		t.Fatal(err)
	}

	creds, err := DecryptCredentials(ctx, sops, enc, key)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != s.AccessKey || creds.SecretAccessKey != s.SecretKey {
		t.Fatal("decrypted keys differ from the encrypted ones")
	}
	c := config(s, "from-sops")
	c.Credentials = creds
	if res, err := Ensure(ctx, c, &bytes.Buffer{}); err != nil || !res.Created {
		t.Fatalf("Ensure with decrypted keys: %+v, %v", res, err)
	}
	// Nothing clear was left beside the ciphertext.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "key.txt" && e.Name() != "secrets.tfvars.enc" {
			t.Errorf("unexpected file %s after decryption", e.Name())
		}
	}

	// Secrets without the Spaces keys: the error names the file and the keys.
	other := filepath.Join(dir, "secrets.other.tfvars")
	if err := os.WriteFile(other, []byte("do_token = \"t\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	otherEnc := other + ".enc"
	if err := sops.Encrypt(ctx, other, otherEnc, []string{recipient}); err != nil {
		t.Fatal(err)
	}
	_, err = DecryptCredentials(ctx, sops, otherEnc, key)
	if err == nil || !strings.Contains(err.Error(), otherEnc) || !strings.Contains(err.Error(), "spaces_access_key_id, spaces_secret_access_key") {
		t.Fatalf("missing keys: %v", err)
	}
}
