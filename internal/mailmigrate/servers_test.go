package mailmigrate

import (
	"testing"

	"fullfrontend.be/infra/internal/testsupport/dovecottest"
)

// serverOf is how the copy reaches a test Dovecot: TLS verified against
// the test's CA.
func serverOf(d *dovecottest.Server, ca *dovecottest.CA) Server {
	return Server{Addr: d.Addr, TLS: ca.TLS()}
}

func writeFile(t testing.TB, p, s string) { dovecottest.WriteFile(t, p, s) }
