package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/gaussdb-tools/chreplication"
)

// The version command is registered in its own file, as any command can be.
var _ = register(newVersionCommand)

// newVersionCommand is 'chreplication version'.
func newVersionCommand(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version of chreplication",
		Example: `  chreplication version
  chreplication --version`,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprint(c.stdout, versionLine())
			return err
		},
	}
}

// versionLine is what 'chreplication version' and --version print.
func versionLine() string {
	return fmt.Sprintf("chreplication %s (%s %s/%s)\n", chreplication.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
