// Command tofu-testprovider is an OpenTofu provider plugin that serves the
// schema of a real provider release without talking to any API, so that the
// stacks can be initialised, validated, planned and tested offline.
//
// It reads the provider schema (`tofu providers schema -json` of exactly one
// provider) from schema.json beside its own executable, or from the file
// named by INFRA_TESTPROVIDER_SCHEMA, and serves it over plugin protocol 6
// under the provider address the schema is keyed by. An optional
// fixtures.json beside the schema gives realistic values to some computed
// attributes (see testprovider.Fixtures). The same binary is
// installed once per provider into a filesystem mirror; see
// fullfrontend.be/infra/internal/testsupport/testprovider.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"fullfrontend.be/infra/internal/testsupport/testprovider"
)

// schemaEnv overrides the schema file beside the executable.
const schemaEnv = "INFRA_TESTPROVIDER_SCHEMA"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tofu-testprovider:", err)
		os.Exit(1)
	}
}

func run() error {
	path, err := schemaPath()
	if err != nil {
		return err
	}
	addr, raw, err := testprovider.LoadSchemaFile(path)
	if err != nil {
		return fmt.Errorf("%w (set %s to a `tofu providers schema -json` file)", err, schemaEnv)
	}
	schema, err := testprovider.ConvertProviderSchema(raw)
	if err != nil {
		return fmt.Errorf("convert schema of %s from %s: %w", addr, path, err)
	}
	server := testprovider.NewServer(schema)
	if server.Fixtures, err = testprovider.LoadFixtures(filepath.Join(filepath.Dir(path), testprovider.FixturesFile)); err != nil {
		return err
	}
	if err := tf6server.Serve(addr, func() tfprotov6.ProviderServer { return server }); err != nil {
		return fmt.Errorf("serve %s: %w", addr, err)
	}
	return nil
}

func schemaPath() (string, error) {
	if p := os.Getenv(schemaEnv); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locate own executable to find schema.json: %w (set %s)", err, schemaEnv)
	}
	return filepath.Join(filepath.Dir(exe), "schema.json"), nil
}
