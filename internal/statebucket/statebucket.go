// Package statebucket creates the DigitalOcean Spaces bucket that holds the
// OpenTofu state of both stacks. The S3 backend needs the bucket before the
// first `tofu init`, so it cannot be managed by the stacks themselves; this is
// the one scripted step that makes it (scripts/bootstrap-state.sh).
//
// The step is idempotent: it creates the bucket if missing, turns versioning
// on so that a bad state write can be rolled back, and refuses a bucket that
// exists but is not accessible with the keys of the SOPS secrets.
package statebucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"fullfrontend.be/infra/internal/secrets"
	"fullfrontend.be/infra/internal/tofusecrets"
)

// Defaults, the same as the stacks' state_bucket and spaces_region variables.
const (
	DefaultBucket = "fullfrontend-tofu-state"
	DefaultRegion = "fra1"
)

// Names of the Spaces keys in the SOPS secrets.
const (
	AccessKeyVar = "spaces_access_key_id"
	SecretKeyVar = "spaces_secret_access_key"
)

// signingRegion is the region the S3 client signs with. Spaces ignores it
// (the endpoint names the region) but an S3 client needs one; us-east-1 also
// keeps the create request free of a location constraint, as the stacks'
// backend configuration does.
const signingRegion = "us-east-1"

// maxRetries bounds minio-go's retries (10 by default) so that a wrong
// endpoint fails in seconds rather than minutes.
const maxRetries = 3

var (
	// Same rules as the validation of the stacks' state_bucket variable.
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	regionRE = regexp.MustCompile(`^[a-z]{3}[0-9]$`)
)

var (
	// ErrInvalid marks a configuration refused before any network call.
	ErrInvalid = errors.New("invalid configuration")
	// ErrCredentials means the endpoint rejected the keys themselves.
	ErrCredentials = errors.New("the endpoint rejected the Spaces keys")
	// ErrNotOwned means the bucket exists but these keys cannot use it.
	ErrNotOwned = errors.New("bucket not accessible with these keys")
)

// Credentials are the Spaces keys.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// CredentialsFromTFVars reads the Spaces keys from a clear tfvars document
// (the decrypted SOPS secrets). Errors name the variables, never the values.
func CredentialsFromTFVars(tfvars []byte) (Credentials, error) {
	v, err := tofusecrets.StringValues(tfvars, AccessKeyVar, SecretKeyVar)
	if err != nil {
		return Credentials{}, err
	}
	for _, name := range []string{AccessKeyVar, SecretKeyVar} {
		if v[name] == "" {
			return Credentials{}, fmt.Errorf("%s is empty in the decrypted secrets: set it in secrets.tfvars (Control panel > API > Spaces Keys) and encrypt it again", name)
		}
	}
	return Credentials{AccessKeyID: v[AccessKeyVar], SecretAccessKey: v[SecretKeyVar]}, nil
}

// DecryptCredentials decrypts the SOPS secrets in memory and reads the
// Spaces keys from them; the clear document never touches the disk.
func DecryptCredentials(ctx context.Context, s secrets.SOPS, encFile, keyFile string) (Credentials, error) {
	tfvars, err := s.Decrypt(ctx, encFile, keyFile)
	if err != nil {
		return Credentials{}, err
	}
	defer clear(tfvars) // do not leave the other secrets lying in the heap
	c, err := CredentialsFromTFVars(tfvars)
	if err != nil {
		return Credentials{}, fmt.Errorf("%s: %w", encFile, err)
	}
	return c, nil
}

// DefaultEndpoint is the Spaces endpoint of a region.
func DefaultEndpoint(region string) string {
	return "https://" + region + ".digitaloceanspaces.com"
}

// Config says which bucket to ensure, where, and with which keys.
type Config struct {
	Bucket      string
	Region      string // Spaces region slug, e.g. fra1
	Endpoint    string // empty means DefaultEndpoint(Region)
	Credentials Credentials
}

func (c Config) endpoint() string {
	if c.Endpoint != "" {
		return c.Endpoint
	}
	return DefaultEndpoint(c.Region)
}

// Validate checks the whole configuration without any network call.
func (c Config) Validate() error {
	if err := c.ValidateTarget(); err != nil {
		return err
	}
	if c.Credentials.AccessKeyID == "" || c.Credentials.SecretAccessKey == "" {
		return fmt.Errorf("%w: the Spaces keys are empty (%s, %s)", ErrInvalid, AccessKeyVar, SecretKeyVar)
	}
	return nil
}

// ValidateTarget checks bucket, region and endpoint, so that a command can
// refuse a typo before it decrypts the keys.
func (c Config) ValidateTarget() error {
	if !bucketRE.MatchString(c.Bucket) {
		return fmt.Errorf("%w: bucket name %q: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit", ErrInvalid, c.Bucket)
	}
	if !regionRE.MatchString(c.Region) {
		return fmt.Errorf("%w: region %q is not a Spaces region slug such as fra1 or ams3", ErrInvalid, c.Region)
	}
	_, err := c.endpointURL()
	return err
}

// endpointURL parses the endpoint: a bare scheme://host[:port]. Plain HTTP
// is allowed only on loopback, where the local test server lives; anywhere
// else it is a typo that would send signed requests in the clear.
func (c Config) endpointURL() (*url.URL, error) {
	raw := c.endpoint()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: endpoint %q: want scheme://host[:port], e.g. %s", ErrInvalid, raw, DefaultEndpoint(DefaultRegion))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("%w: endpoint %q: plain http is only allowed on a loopback address; use https", ErrInvalid, raw)
		}
	default:
		return nil, fmt.Errorf("%w: endpoint %q: scheme must be https (or http on loopback)", ErrInvalid, raw)
	}
	return u, nil
}

// Result says what Ensure changed.
type Result struct {
	Created           bool // the bucket did not exist and was created
	EnabledVersioning bool // versioning was off and was turned on
}

// Ensure makes sure the bucket exists, is usable with the keys, and has
// versioning enabled, and prints each step to out. Running it again on a
// bucket in that state changes nothing.
func Ensure(ctx context.Context, c Config, out io.Writer) (Result, error) {
	var res Result
	if err := c.Validate(); err != nil {
		return res, err
	}
	u, _ := c.endpointURL() // validated above
	client, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(c.Credentials.AccessKeyID, c.Credentials.SecretAccessKey, ""),
		Secure: u.Scheme == "https",
		Region: signingRegion,
		// Spaces accepts path-style requests; they also work against a
		// local server on an IP address, where virtual hosts cannot.
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   maxRetries,
	})
	if err != nil {
		return res, fmt.Errorf("S3 client for %s: %w", u, err)
	}
	where := fmt.Sprintf("%s at %s", c.Bucket, u)

	exists, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return res, explain(ctx, client, "look up bucket "+where, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{})
		switch {
		case err == nil:
			res.Created = true
			fmt.Fprintf(out, "created bucket %s\n", where)
		case minio.ToErrorResponse(err).Code == "BucketAlreadyOwnedByYou":
			// Created by us between the lookup and now (another run).
		default:
			return res, explain(ctx, client, "create bucket "+where, err)
		}
	}

	// Reading the versioning status needs the owner's rights: it also proves
	// that an existing bucket is ours and not, say, someone's public bucket.
	v, err := client.GetBucketVersioning(ctx, c.Bucket)
	if err != nil {
		return res, explain(ctx, client, "read versioning of bucket "+where, err)
	}
	if !res.Created {
		fmt.Fprintf(out, "bucket %s already exists and is accessible with these keys\n", where)
	}
	if v.Enabled() {
		fmt.Fprintf(out, "versioning already enabled on %s\n", c.Bucket)
		return res, nil
	}
	if err := client.EnableVersioning(ctx, c.Bucket); err != nil {
		return res, explain(ctx, client, "enable versioning on bucket "+where, err)
	}
	// Read it back: a server that accepts the request but ignores it must
	// not leave the operator believing the state can be rolled back.
	v, err = client.GetBucketVersioning(ctx, c.Bucket)
	if err != nil {
		return res, explain(ctx, client, "read back versioning of bucket "+where, err)
	}
	if !v.Enabled() {
		return res, fmt.Errorf("enable versioning on bucket %s: the server accepted the request but reports status %q", where, v.Status)
	}
	res.EnabledVersioning = true
	fmt.Fprintf(out, "enabled versioning on %s (old state versions can be restored)\n", c.Bucket)
	return res, nil
}

// explain turns an S3 error into an operator's diagnosis. An S3 "access
// denied" on a bucket means either bad keys or a bucket owned by another
// account; listing our own buckets tells the two apart.
func explain(ctx context.Context, client *minio.Client, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	resp := minio.ToErrorResponse(err)
	if credentialsRejected(resp.Code) {
		return fmt.Errorf("%s: %w (%s): check %s and %s in the SOPS secrets", op, ErrCredentials, resp.Code, AccessKeyVar, SecretKeyVar)
	}
	switch {
	case resp.Code == "BucketAlreadyExists":
		return fmt.Errorf("%s: %w: the name is taken by another account; choose another one with --bucket and set the stacks' state_bucket variable to it", op, ErrNotOwned)
	case resp.Code == minio.AccessDenied || resp.StatusCode == 403:
		_, listErr := client.ListBuckets(ctx)
		if listErr == nil {
			return fmt.Errorf("%s: %w: the keys are valid but the bucket belongs to another account; choose another name with --bucket and set the stacks' state_bucket variable to it", op, ErrNotOwned)
		}
		if code := minio.ToErrorResponse(listErr).Code; credentialsRejected(code) {
			return fmt.Errorf("%s: %w (%s): check %s and %s in the SOPS secrets", op, ErrCredentials, code, AccessKeyVar, SecretKeyVar)
		}
		return fmt.Errorf("%s: %w: access denied; either the bucket belongs to another account, or the keys are limited to other buckets (use a full-access Spaces key)", op, ErrNotOwned)
	case resp.Code != "":
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: cannot talk to the endpoint: %w", op, err)
}

func credentialsRejected(code string) bool {
	return code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch"
}
