package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gaussdb-tools/chreplication"
)

// Exit codes of the CLI contract (DESIGN.md).
const (
	exitOK        = 0 // success
	exitAPI       = 1 // the API or the network answered with an error
	exitUsage     = 2 // usage error or invalid input: nothing was sent
	exitJobFailed = 3 // the waited job ended Failed
	// exitCheckFailed: a check found a setting or a table configuration
	// that fails.
	exitCheckFailed = 4
	// exitInterrupted: Ctrl-C (SIGINT) or SIGTERM ended the command; what
	// it started and is still running on the service was listed first.
	exitInterrupted = 130
)

// cli holds what a command reads and writes. Commands never touch os.Args,
// os.Getenv, os.Stdout or os.Stderr: run gets them as arguments, so tests
// drive the whole CLI in-process.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	events *eventLines // the client's event lines (stderr); made by apiFlags.do
}

// command is one subcommand of the CLI.
type command struct {
	name     string
	summary  string // one line, for the command list
	synopsis string // the usage line after "chreplication "
	details  string // paragraphs after the synopsis in --help
	example  string // lines of the Example section
	api      bool   // takes the common API flags and reads the environment
	flags    func(fs *flag.FlagSet) func(ctx context.Context, c *cli) error
}

// commands lists the subcommands in the order "help" shows them.
func commands() []*command {
	return []*command{
		createCmd, listCmd, deleteCmd, jobCmd, waitCmd,
		databasesCmd, paramsCmd, checkCmd, configCmd, scopeCmd,
		applyCmd, fakeCmd, demoCmd,
	}
}

func lookupCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run is the whole CLI: it runs the command named by args[0] and returns
// the exit code. getenv reads the environment (os.Getenv in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printCommands(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			cmd := lookupCommand(args[1])
			if cmd == nil {
				fmt.Fprintf(stderr, "chreplication: unknown command %q (run 'chreplication help' for the list)\n", clip(args[1]))
				return exitUsage
			}
			printHelp(stdout, cmd)
			return exitOK
		}
		printCommands(stdout)
		return exitOK
	}
	cmd := lookupCommand(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "chreplication: unknown command %q (run 'chreplication help' for the list)\n", clip(name))
		return exitUsage
	}
	return cmd.run(ctx, c, args[1:])
}

// run parses the command's flags and runs it, turning errors into messages
// on stderr and exit codes.
func (cmd *command) run(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	exec := cmd.flags(fs)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(c.stdout, cmd)
			return exitOK
		}
		return report(c.stderr, cmd.name, err)
	}
	if err := exec(ctx, c); err != nil {
		return report(c.stderr, cmd.name, err)
	}
	return exitOK
}

// parseFlags refuses secrets given as flags, parses args and refuses
// positional arguments: no command takes any.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := checkSecretFlags(args); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		// The flag package's messages name the flag with one dash and
		// never the value of an undefined flag; keep them as they are.
		return usageErrorf("%s", err.Error())
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q (every value is given with a flag, such as --instance-id ID)", clip(fs.Arg(0)))
	}
	return nil
}

// secretFlags maps flag names people try for secrets to the environment
// variable that carries the secret instead. Secrets given as flags would
// land in shell history and in every process listing.
var secretFlags = map[string]string{
	"token":             "HUAWEICLOUD_AUTH_TOKEN",
	"auth-token":        "HUAWEICLOUD_AUTH_TOKEN",
	"x-auth-token":      "HUAWEICLOUD_AUTH_TOKEN",
	"ak":                "HUAWEICLOUD_SDK_AK",
	"access-key":        "HUAWEICLOUD_SDK_AK",
	"access-key-id":     "HUAWEICLOUD_SDK_AK",
	"sk":                "HUAWEICLOUD_SDK_SK",
	"secret-key":        "HUAWEICLOUD_SDK_SK",
	"secret-access-key": "HUAWEICLOUD_SDK_SK",
	"secret":            "HUAWEICLOUD_SDK_SK",
	"security-token":    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
	"password":          "HUAWEICLOUD_IAM_PASSWORD",
	"iam-password":      "HUAWEICLOUD_IAM_PASSWORD",
	"passwd":            "HUAWEICLOUD_IAM_PASSWORD",
}

// checkSecretFlags returns a usage error for the first flag in args that
// would carry a secret. The error names the flag, never its value.
func checkSecretFlags(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		name, _, _ = strings.Cut(name, "=")
		name = strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if env, ok := secretFlags[name]; ok {
			return usageErrorf("--%s: secrets are never taken as flags (they would show in shell history and process lists); set %s in the environment instead", name, env)
		}
	}
	return nil
}

// printCommands writes the list of commands.
func printCommands(w io.Writer) {
	fmt.Fprintf(w, `chreplication %s: manage GaussDB(for MySQL) ClickHouse replications (data synchronization tasks).

Usage: chreplication COMMAND [flags]

Commands:
`, chreplication.Version)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	_ = tw.Flush()
	fmt.Fprint(w, `
Run 'chreplication COMMAND --help' for a command's flags and an example.
Try it without an account: 'chreplication demo'.
`)
}

// printHelp writes the --help text of cmd: synopsis, details, flags,
// environment and example.
func printHelp(w io.Writer, cmd *command) {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	cmd.flags(fs)
	fmt.Fprintf(w, "Usage: chreplication %s\n\n%s\n", cmd.synopsis, strings.TrimSpace(cmd.details))
	fmt.Fprint(w, "\nFlags:\n")
	printFlags(w, fs)
	if cmd.api {
		fmt.Fprint(w, "\n"+strings.TrimSpace(envHelp)+"\n")
	}
	fmt.Fprintf(w, "\nExample:\n%s\n", strings.TrimRight(cmd.example, "\n"))
}

// printFlags writes the flags of fs with two dashes, as the contract spells
// them, and their defaults when not zero.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if len(f.Name) == 1 {
			name = "-" + f.Name // such as apply's -f
		}
		if arg != "" {
			name += " " + arg
		}
		if !isZeroDefault(f) {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	})
	_ = tw.Flush()
}

func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s":
		return true
	}
	return false
}

// envHelp is the Environment section of the API commands' --help.
const envHelp = `
Environment (a flag, when given, wins over its variable):
  HUAWEICLOUD_SDK_PROJECT_ID      project ID (--project-id)
  HUAWEICLOUD_SDK_REGION          region (--region)
  HUAWEICLOUD_SDK_ENDPOINT        API endpoint URL (--endpoint); wins over HUAWEICLOUD_SDK_REGION
                                  but not over --region; 'chreplication fake' prints it
Credentials (never flags), the first way that is set wins:
  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK [, HUAWEICLOUD_SDK_SECURITY_TOKEN]   AK/SK signature
  HUAWEICLOUD_AUTH_TOKEN                                                     IAM token (X-Auth-Token)
  HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD, HUAWEICLOUD_IAM_DOMAIN      IAM password token
    [HUAWEICLOUD_SDK_IAM_ENDPOINT overrides the IAM host]
Exit codes: 0 success, 1 API or network error, 2 usage error or invalid input (nothing sent),
3 the waited job ended Failed, 4 a check found a setting that fails,
130 interrupted (the jobs still running are listed first).`
