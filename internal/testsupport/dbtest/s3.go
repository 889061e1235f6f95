package dbtest

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"fullfrontend.be/infra/internal/testsupport/s3test"
)

// Bucket is a bucket of a test S3 server, with the environment the backup
// and restore-check scripts read.
type Bucket struct {
	Name   string
	srv    *s3test.Server
	client *minio.Client
}

// NewBucket starts nothing: it creates a bucket on a running server.
func NewBucket(t testing.TB, srv *s3test.Server, name string) *Bucket {
	t.Helper()
	u, err := url.Parse(srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Secure:       false,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return &Bucket{Name: name, srv: srv, client: c}
}

// Env is what the scripts need to reach the bucket (path-style, as the dev
// S3 server needs; Spaces accepts both).
func (b *Bucket) Env() []string {
	return b.EnvWithKeys(b.srv.AccessKey, b.srv.SecretKey)
}

// EnvWithKeys is Env with other credentials (wrong ones, in failure tests).
func (b *Bucket) EnvWithKeys(access, secret string) []string {
	return []string{
		"BACKUP_S3_ENDPOINT=" + b.srv.Endpoint(),
		"BACKUP_S3_BUCKET=" + b.Name,
		"BACKUP_S3_REGION=us-east-1",
		"BACKUP_S3_FORCE_PATH_STYLE=true",
		"AWS_ACCESS_KEY_ID=" + access,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		// Fail fast in tests; the Jobs keep rclone's default retries.
		"RCLONE_RETRIES=1",
		"RCLONE_LOW_LEVEL_RETRIES=1",
	}
}

// Keys lists every object key under prefix, sorted.
func (b *Bucket) Keys(t testing.TB, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var keys []string
	for o := range b.client.ListObjects(ctx, b.Name, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list %s: %v", prefix, o.Err)
		}
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	return keys
}

// Get reads an object.
func (b *Bucket) Get(t testing.TB, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o, err := b.client.GetObject(ctx, b.Name, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}

// Put writes an object.
func (b *Bucket) Put(t testing.TB, key string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := b.client.PutObject(ctx, b.Name, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// Delete removes every object under prefix.
func (b *Bucket) Delete(t testing.TB, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, k := range b.Keys(t, prefix) {
		if err := b.client.RemoveObject(ctx, b.Name, k, minio.RemoveObjectOptions{}); err != nil {
			t.Fatalf("delete %s: %v", k, err)
		}
	}
}

// Runs returns the run prefixes (db/<engine>/<date>/<time>) that hold a
// manifest, oldest first.
func (b *Bucket) Runs(t testing.TB, engine string) []string {
	t.Helper()
	var runs []string
	for _, k := range b.Keys(t, "db/"+engine+"/") {
		if strings.HasSuffix(k, "/manifest") {
			runs = append(runs, strings.TrimSuffix(k, "/manifest"))
		}
	}
	return runs
}

// Size is the total size in bytes of the objects under prefix.
func (b *Bucket) Size(t testing.TB, prefix string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var total int64
	for o := range b.client.ListObjects(ctx, b.Name, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list %s: %v", prefix, o.Err)
		}
		total += o.Size
	}
	return total
}
