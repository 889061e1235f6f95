package main

import "errors"

// asExit reports whether err carries a process exit code to pass on.
func asExit(err error, target *interface{ ExitCode() int }) bool {
	return errors.As(err, target)
}
