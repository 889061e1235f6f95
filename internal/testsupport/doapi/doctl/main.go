// Command doctl is the test stand-in for DigitalOcean's CLI (see
// doapi.Doctl): the tests put it on PATH where the stacks expect doctl.
package main

import (
	"os"

	"fullfrontend.be/infra/internal/testsupport/doapi"
)

func main() {
	os.Exit(doapi.Doctl(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
