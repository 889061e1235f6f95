// Package repo locates the project's checkout, which every command needs to
// find the stacks, the tool pins and the encrypted secrets.
package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ModulePath is the Go module path of this repository.
const ModulePath = "fullfrontend.be/infra"

// Root walks up from dir to the directory whose go.mod declares ModulePath.
func Root(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("locate repository: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && isModule(string(data)) {
			return d, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("locate repository: %w", err)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("not inside the infra repository (no go.mod for %s above %s): cd into your clone", ModulePath, dir)
		}
	}
}

// RootEnv names the checkout explicitly; the shell entry points set it so
// they work from any directory.
const RootEnv = "INFRA_REPO"

// FromWD is Root of $INFRA_REPO if set, else of the working directory.
func FromWD() (string, error) {
	if d := os.Getenv(RootEnv); d != "" {
		return Root(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locate repository: %w", err)
	}
	return Root(wd)
}

func isModule(gomod string) bool {
	for line := range strings.SplitSeq(gomod, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "module" {
			return f[1] == ModulePath
		}
	}
	return false
}
