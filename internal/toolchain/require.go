package toolchain

import (
	"errors"
	"os"
	"testing"
)

// Require returns the path of a tool binary for a test. A missing tool skips
// the test on a developer machine but fails it in CI (CI=true): there, a
// silent skip would pass a run that verified nothing.
func Require(t testing.TB, binary string) string {
	t.Helper()
	p, err := Lookup(binary)
	if err == nil {
		return p
	}
	if errors.Is(err, ErrNotFound) && os.Getenv("CI") != "true" {
		t.Skipf("skipped: %v", err)
	}
	t.Fatalf("required tool missing: %v", err)
	return ""
}
