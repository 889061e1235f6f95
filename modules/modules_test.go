// Package modules holds the check that runs every module's own `tofu test`
// (modules/<name>/tests), offline with the test provider.
package modules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/testsupport/tofutest"
)

// TestModulesPassTheirTests runs `tofu test` in every module that has a
// tests directory, so a module's own checks run in CI like the stacks'.
func TestModulesPassTheirTests(t *testing.T) {
	e := tofutest.Setup(t)
	var dirs []string
	err := filepath.WalkDir(filepath.Join(e.Repo, "modules"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "tests" {
			dirs = append(dirs, filepath.Dir(p))
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no module has tests: the walk is broken")
	}
	root := e.CopyRepo(t, "modules")
	for _, dir := range dirs {
		rel, _ := filepath.Rel(e.Repo, dir)
		t.Run(rel, func(t *testing.T) {
			d := filepath.Join(root, rel)
			e.MustRun(t, d, nil, "init", "-input=false", "-no-color", "-backend=false")
			code, out := e.Run(t, d, nil, "test", "-no-color")
			if code != 0 || !strings.Contains(out, "Success!") {
				t.Fatalf("tofu test in %s: exit %d\n%s", rel, code, out)
			}
			t.Log(tofutest.LastLine(out))
		})
	}
}
