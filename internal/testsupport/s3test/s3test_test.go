package s3test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func client(t *testing.T, s *Server, access, secret string) *minio.Client {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(s.Endpoint(), "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(access, secret, ""),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServerServesS3AndStops(t *testing.T) {
	var endpoint string
	t.Run("running", func(t *testing.T) {
		s := Start(t)
		endpoint = s.Endpoint()
		if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
			t.Fatalf("endpoint %q is not on loopback", endpoint)
		}
		if len(s.AccessKey) < 16 || len(s.SecretKey) < 32 || s.AccessKey == s.SecretKey {
			t.Fatalf("weak or equal keys: %d, %d chars", len(s.AccessKey), len(s.SecretKey))
		}
		ctx := context.Background()
		root := client(t, s, s.AccessKey, s.SecretKey)
		if err := root.MakeBucket(ctx, "probe", minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutObject(ctx, "probe", "a/b.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := client(t, s, s.AccessKey, "wrong").ListBuckets(ctx); err == nil {
			t.Fatal("a wrong secret was accepted")
		}

		// A plain user sees none of the root's buckets.
		ak, sk := s.AddUser(t)
		buckets, err := client(t, s, ak, sk).ListBuckets(ctx)
		if err != nil {
			t.Fatalf("user ListBuckets: %v", err)
		}
		if len(buckets) != 0 {
			t.Fatalf("user sees %v", buckets)
		}
	})
	// The subtest's cleanup has stopped the server: the port no longer answers.
	c := &http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(endpoint + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers on %s after the test ended", endpoint)
	}
}

func TestServersAreIndependent(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Endpoint() == b.Endpoint() || a.AccessKey == b.AccessKey {
		t.Fatal("two servers share an endpoint or keys")
	}
	ctx := context.Background()
	if err := client(t, a, a.AccessKey, a.SecretKey).MakeBucket(ctx, "only-in-a", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	ok, err := client(t, b, b.AccessKey, b.SecretKey).BucketExists(ctx, "only-in-a")
	if err != nil || ok {
		t.Fatalf("bucket of server a visible on server b: %v, %v", ok, err)
	}
}
