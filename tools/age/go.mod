// Pins the age CLI that the project's tests and wrappers run.
module fullfrontend.be/infra/tools/age

go 1.26.6

require (
	filippo.io/age v1.2.1 // indirect
	filippo.io/edwards25519 v1.1.0 // indirect
	golang.org/x/crypto v0.24.0 // indirect
	golang.org/x/sys v0.21.0 // indirect
	golang.org/x/term v0.21.0 // indirect
)

tool filippo.io/age/cmd/age

tool filippo.io/age/cmd/age-keygen
