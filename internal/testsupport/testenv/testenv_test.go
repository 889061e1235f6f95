package testenv

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records how a test ended.
type recorder struct {
	testing.TB
	ended string
}

// Both end the goroutine, as testing's own do.
func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.ended = "fail: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.ended = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestSharedMissing: without ../shared, a test run by hand is skipped, the
// full run (make test) and CI fail, naming where the data is expected.
func TestSharedMissing(t *testing.T) {
	for _, tt := range []struct {
		name, ci, all, want string
	}{
		{"by hand", "", "", "skip: "},
		{"make test", "", "1", "fail: required by the full test run"},
		{"CI", "true", "", "fail: required by the full test run"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(SharedEnv, t.TempDir()+"/nowhere")
			t.Setenv("CI", tt.ci)
			t.Setenv(AllEnv, tt.all)
			r := &recorder{TB: t}
			var wg sync.WaitGroup
			wg.Go(func() { Shared(r, "charts") })
			wg.Wait()
			if !strings.HasPrefix(r.ended, tt.want) || !strings.Contains(r.ended, "expected in ../shared beside the repository") {
				t.Fatalf("ended %q, want %q and where the data is expected", r.ended, tt.want)
			}
		})
	}
}
