package wpmigrate

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Shell runs `sh -c script sh args...` where the files are: through
// `kubectl exec -i` in the WordPress pod in the cluster, locally in the
// tests.
type Shell func(ctx context.Context, script string, args []string, stdin io.Reader, stdout io.Writer) error

// PodDir is a FileTarget inside a running container, reached through a
// Shell: the WordPress pod, whose /var/www/html/wp-content is the PVC. It
// needs only sh, find, stat, sha256sum and tar, which the official image
// has; files are written by the container's own user (www-data).
type PodDir struct {
	Dir   string
	Shell Shell
}

// List prints "<size> <sha256>  <path>" for each file: stat and sha256sum
// in one pass of find.
func (d PodDir) List(ctx context.Context) (map[string]FileSum, error) {
	script := `set -eu
cd "$1"
find . -type f -exec sh -c 'for f do printf "%s " "$(stat -c %s "$f")"; sha256sum "$f"; done' sh {} +`
	var out bytes.Buffer
	if err := d.Shell(ctx, script, []string{d.Dir}, nil, &out); err != nil {
		return nil, fmt.Errorf("list %s: %w", d.Dir, err)
	}
	return parseListing(&out)
}

func parseListing(r io.Reader) (map[string]FileSum, error) {
	out := map[string]FileSum{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// sha256sum escapes a name holding a backslash or a newline and
		// marks it with a leading backslash: such files are reported as
		// missing, and copied again, rather than misread.
		size, rest, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("unexpected listing line %q", line)
		}
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("unexpected listing line %q", line)
		}
		if strings.HasPrefix(rest, `\`) {
			continue
		}
		sum, name, ok := strings.Cut(rest, "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("unexpected listing line %q", line)
		}
		out[strings.TrimPrefix(name, "./")] = FileSum{Size: n, SHA256: sum}
	}
	return out, sc.Err()
}

// Extract unpacks the stream with the container's tar; tar replaces a
// file by unlinking it first, so a reader never sees it half-written under
// a name it had before.
func (d PodDir) Extract(ctx context.Context, r io.Reader) error {
	script := `set -eu
mkdir -p "$1"
tar -x --no-same-owner -C "$1" -f -`
	if err := d.Shell(ctx, script, []string{d.Dir}, r, io.Discard); err != nil {
		return fmt.Errorf("extract into %s: %w", d.Dir, err)
	}
	return nil
}
