package main

import (
	"errors"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/testsupport/testreport"
)

func testReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "test-report",
		Short:   "Summarise `go test -json` output read from stdin; fails if a test failed or none ran",
		Example: `  go test -json ./... | infra test-report`,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := testreport.Read(c.InOrStdin(), c.OutOrStdout())
			if err != nil {
				return err
			}
			if !s.OK() {
				if s.Failed == 0 {
					return errors.New("no test ran")
				}
				return errors.New("tests failed")
			}
			return nil
		},
	}
}
