package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/internal/otelenv"
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
	// exitAbnormal: watch --exit-on-abnormal saw a task whose status is
	// not normal.
	exitAbnormal = 5
	// exitInterrupted: Ctrl-C (SIGINT) or SIGTERM ended the command; what
	// it started and is still running on the service was listed first.
	exitInterrupted = 130
)

// cli holds what a command reads and writes. Commands never touch os.Args,
// os.Getenv, os.Stdout or os.Stderr: run gets them as arguments, so tests
// drive the whole CLI in-process. One cli serves one run; it is not shared
// between goroutines except through events, which is safe for concurrent
// use.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer // a *countingWriter: a failure adds no second JSON document
	stderr io.Writer
	events *eventLines // the client's event lines (stderr); made by apiFlags.do
	// tel are the options that record spans and metrics, when the
	// OTEL_* environment asks for them to be exported (otelenv).
	tel []chreplication.Option

	args     []string // the command line, for the checks pflag does not make
	problems []string // usage problems found so far, reported together by check
	// failure is what a failed command knew when it failed (the job it
	// started or last saw), for the JSON document of the failure.
	failure failureDoc
}

// countingWriter passes writes to w and counts the bytes.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// command describes one subcommand; build makes its cobra.Command. The
// commands of this package are commands; a command may also be written
// directly as a func(*cli) *cobra.Command (see commandBuilders).
type command struct {
	name     string
	summary  string // one line, for the command list
	synopsis string // the usage line after "chreplication "
	details  string // paragraphs after the synopsis in --help
	example  string // lines of the Example section
	api      bool   // takes the common API flags and reads the environment
	// flags registers the command's flags on fs and returns what runs the
	// command once they are parsed.
	flags func(fs *pflag.FlagSet) func(ctx context.Context, c *cli) error
}

// Annotations of the commands and flags, read by the help.
const (
	annSynopsis = "synopsis"          // a command's usage line after "chreplication "
	annArg      = "chreplication-arg" // a flag's argument placeholder, as its help shows it
	annAPI      = "api"               // a command that takes the API flags
	annGroup    = "group"             // a flag's group in the help
	groupAPI    = "api"               // the flags every API command shares
)

// commandBuilders lists the commands in the order 'chreplication help'
// shows them. A command defined in a file of its own is added with one
// line, either here or in that file:
//
//	var _ = register(newWatchCommand) // newWatchCommand func(*cli) *cobra.Command
//
// A builder registers its flags on the command it returns and runs with
// RunE; apiFlags.register and apiFlags.do give it the API flags and the
// client, and run turns the error RunE returns into the message and the
// exit code.
var commandBuilders = []func(*cli) *cobra.Command{
	createCmd.build, listCmd.build, deleteCmd.build, jobCmd.build, waitCmd.build,
	databasesCmd.build, paramsCmd.build, checkCmd.build, configCmd.build, scopeCmd.build,
	applyCmd.build, fakeCmd.build, demoCmd.build,
}

// register adds a command builder after the others, for a command defined
// in its own file: var _ = register(newWatchCommand). It returns true.
func register(b func(*cli) *cobra.Command) bool {
	commandBuilders = append(commandBuilders, b)
	return true
}

// build makes the cobra command of cmd for c.
func (cmd *command) build(c *cli) *cobra.Command {
	cc := &cobra.Command{
		Use:         cmd.name,
		Short:       cmd.summary,
		Long:        strings.TrimSpace(cmd.details),
		Example:     strings.TrimRight(cmd.example, "\n"),
		Annotations: map[string]string{annSynopsis: cmd.synopsis},
	}
	if cmd.api {
		cc.Annotations[annAPI] = "true"
	}
	exec := cmd.flags(cc.Flags())
	cc.RunE = func(cc *cobra.Command, _ []string) error {
		return exec(cc.Context(), c)
	}
	return cc
}

// environmentTopic is 'chreplication help environment': the variables every
// API command reads, said once rather than in the help of each.
func environmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "the variables the API commands read (endpoint, project, credentials) and the exit codes",
		Long:  strings.TrimSpace(envHelp),
	}
}

func init() {
	// The help lists the commands in the order of commandBuilders.
	cobra.EnableCommandSorting = false
}

// newRoot builds the command tree for c.
func newRoot(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:                        "chreplication",
		Short:                      "manage GaussDB(for MySQL) ClickHouse replications (data synchronization tasks)",
		Version:                    chreplication.Version,
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		Args: func(root *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return unknownCommand(root, args[0])
		},
		RunE: func(root *cobra.Command, _ []string) error {
			printCommands(c.stderr, root)
			return &exitError{code: exitUsage}
		},
	}
	root.SetVersionTemplate(versionLine())
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetIn(c.stdin)
	for _, b := range commandBuilders {
		cc := b(c)
		prepare(c, cc)
		root.AddCommand(cc)
	}
	root.AddCommand(environmentTopic())
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [COMMAND | TOPIC]",
		Short: "show the help of a command or a topic ('chreplication help environment')",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				printCommands(c.stdout, root)
				return nil
			}
			target, rest, err := root.Find(args)
			if err != nil || target == root || len(rest) > 0 {
				return unknownCommand(root, strings.Join(args, " "))
			}
			printHelp(c.stdout, target)
			return nil
		},
	})
	root.SetHelpFunc(func(cc *cobra.Command, _ []string) {
		if cc == root {
			printCommands(c.stdout, root)
			return
		}
		printHelp(c.stdout, cc)
	})
	root.SetUsageFunc(func(*cobra.Command) error { return nil })
	root.SetFlagErrorFunc(func(cc *cobra.Command, err error) error {
		if cc == root && len(c.args) > 0 && !strings.HasPrefix(c.args[0], "-") {
			// A command name that is none, followed by flags: the name is
			// what is wrong, not the flags the root does not have.
			if found, _, ferr := root.Find(c.args[:1]); ferr != nil || found == root {
				return unknownCommand(root, c.args[0])
			}
		}
		c.parseProblems(cc)
		if len(c.problems) > 0 && strings.HasPrefix(err.Error(), "unknown flag") {
			return c.check() // parseProblems found it, with every other
		}
		return c.check(usageErrorf("%s", err.Error()))
	})
	// 'chreplication completion bash|zsh|fish|powershell' is cobra's; the
	// help lists it with the others.
	root.InitDefaultCompletionCmd()
	return root
}

// prepare makes cc collect its problems instead of stopping at the first:
// a flag's bad value, an unknown flag and a positional argument are
// recorded, and RunE runs only when none was found (the command's own
// checks add theirs, see cli.check).
func prepare(c *cli, cc *cobra.Command) {
	cc.FParseErrWhitelist.UnknownFlags = true
	cc.Flags().VisitAll(func(f *pflag.Flag) {
		f.Value = &checkedValue{Value: f.Value, flag: f, c: c}
		// The help shows a flag's `placeholder` as its argument; shell
		// completion shows Usage as it is: keep the placeholder aside and
		// the text without backticks.
		if strings.Contains(f.Usage, "`") {
			arg, usage := pflag.UnquoteUsage(f)
			if f.Annotations == nil {
				f.Annotations = map[string][]string{}
			}
			f.Annotations[annArg] = []string{arg}
			f.Usage = usage
		}
	})
	if cc.Flags().Lookup("output") != nil {
		_ = cc.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outputText, outputJSON}, cobra.ShellCompDirectiveNoFileComp))
	}
	if cc.Args == nil {
		cc.Args = func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				c.problems = append(c.problems, fmt.Sprintf("unexpected argument %s (every value is given with a flag, such as --instance-id ID)", quoted(args[0])))
			}
			return nil
		}
	}
	if run := cc.RunE; run != nil {
		cc.RunE = func(cc *cobra.Command, args []string) error {
			c.parseProblems(cc)
			err := run(cc, args)
			if len(c.problems) > 0 {
				// A command that returned before its checks: report what
				// was found, with its error.
				return c.check(err)
			}
			return err
		}
	}
}

// checkedValue records a flag's invalid value as a problem instead of
// stopping the parse, so that every bad flag is reported at once.
type checkedValue struct {
	pflag.Value
	flag *pflag.Flag
	c    *cli
}

func (v *checkedValue) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		v.c.problems = append(v.c.problems, fmt.Sprintf("invalid %s %s: %s", flagName(v.flag), quoted(s), valueProblem(v.Type(), err)))
	}
	return nil
}

// flagName is how the flag is written: --name, or -f, --file.
func flagName(f *pflag.Flag) string {
	if f.Shorthand != "" {
		return "-" + f.Shorthand + ", --" + f.Name
	}
	return "--" + f.Name
}

// valueProblem says what a value of type typ should be, or err's text for
// the flags of this package's own types.
func valueProblem(typ string, err error) string {
	switch typ {
	case "duration":
		return "want a duration, such as 30s, 1m30s or 10m"
	case "int":
		return "want a whole number"
	case "float64":
		return "want a number, such as 5 or 0.5"
	case "bool":
		return "want true or false"
	}
	return err.Error()
}

// parseProblems adds to c's problems the flags of the command line that cc
// does not have (pflag skips them, see prepare).
func (c *cli) parseProblems(cc *cobra.Command) {
	fs := cc.Flags()
	lookup := func(name string) *pflag.Flag {
		if f := fs.Lookup(name); f != nil {
			return f
		}
		return cc.InheritedFlags().Lookup(name)
	}
	args := c.args
	if len(args) > 0 {
		args = args[1:] // the command's name
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return
		case len(a) < 2 || a[0] != '-':
			continue
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			f := lookup(name)
			if f == nil {
				c.problems = append(c.problems, "unknown flag: --"+clip(name))
				continue
			}
			if !hasValue && f.NoOptDefVal == "" {
				i++ // the flag's value
			}
		default:
			for j, r := range a[1:] {
				f := fs.ShorthandLookup(string(r))
				if f == nil {
					f = cc.InheritedFlags().ShorthandLookup(string(r))
				}
				if f == nil {
					c.problems = append(c.problems, fmt.Sprintf("unknown shorthand flag: %q in %s", r, clip(a)))
					break
				}
				if f.NoOptDefVal == "" {
					if j+1 == len(a[1:]) {
						i++ // the value is the next argument
					}
					break // the rest of a is the value
				}
			}
		}
	}
}

// check adds the problems errs report (usage errors and invalid inputs)
// to those found so far and returns them as one usage error, or nil when
// there are none. A lone error that is not a usage error is returned as it
// is. Every command calls check (apiFlags.do does) before it sends
// anything, so that the user sees every problem of a command line at once.
func (c *cli) check(errs ...error) error {
	var lone error
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ue *usageError
		if !errors.As(err, &ue) {
			lone = err
		}
		c.problems = append(c.problems, problemsOf(err)...)
	}
	switch {
	case len(c.problems) == 0:
		return nil
	case len(c.problems) == 1 && lone != nil:
		c.problems = nil
		return lone
	}
	p := c.problems
	c.problems = nil
	return &usageError{msg: p[0], more: p[1:]}
}

// note adds the problems errs report to those check returns later, for a
// command that goes on checking its other flags.
func (c *cli) note(errs ...error) {
	for _, err := range errs {
		if err != nil {
			c.problems = append(c.problems, problemsOf(err)...)
		}
	}
}

// unknownCommand is the usage error of a command name that is none.
func unknownCommand(root *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %s", quoted(name))
	if s := root.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return &usageError{msg: msg + " (run 'chreplication help' for the list)", noHint: true}
}

// run is the whole CLI: it runs the command named by args[0] and returns
// the exit code. getenv reads the environment (os.Getenv in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &cli{getenv: getenv, stdin: stdin, stdout: &countingWriter{w: stdout}, stderr: stderr, args: args}
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	// Secrets given as flags are refused before anything reads them.
	if err := checkSecretFlags(args); err != nil {
		return c.fail(name, err)
	}
	// Tracing and metrics, when the OTEL_* environment asks for them: the
	// spans and metrics of the command's calls are exported before it
	// returns.
	tel, err := otelenv.Setup(ctx, getenv, "chreplication")
	if err != nil {
		return c.fail(name, usageErrorf("OpenTelemetry: %s", printable(err.Error())))
	}
	c.tel = tel.Options()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			fmt.Fprintf(stderr, "chreplication: exporting traces and metrics: %s\n", printable(firstLine(err.Error())))
		}
	}()
	root := newRoot(c)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if cmd != nil && cmd != root {
		name = cmd.Name()
	} else {
		name = ""
	}
	return c.fail(name, err)
}

// fail reports err: a message on stderr and, with --output json when the
// command printed nothing on stdout, the failure's JSON document there
// (see errorDoc). It returns the exit code.
func (c *cli) fail(cmd string, err error) int {
	if wantsJSON(c.args) {
		if out, ok := c.stdout.(*countingWriter); ok && out.n == 0 {
			_ = writeJSON(out, c.errorDoc(err))
		}
	}
	return report(c.stderr, cmd, err)
}

// wantsJSON reports whether the command line asks for --output json (the
// last --output given wins, as in the flag's parsing).
func wantsJSON(args []string) bool {
	json := false
	for i, a := range args {
		switch {
		case a == "--":
			return json
		case a == "--output" && i+1 < len(args):
			json = args[i+1] == outputJSON
		case strings.HasPrefix(a, "--output="):
			json = strings.TrimPrefix(a, "--output=") == outputJSON
		}
	}
	return json
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

// printCommands writes the list of commands and help topics.
func printCommands(w io.Writer, root *cobra.Command) {
	fmt.Fprintf(w, `chreplication %s: manage GaussDB(for MySQL) ClickHouse replications (data synchronization tasks).

Usage: chreplication COMMAND [flags]

Commands:
`, chreplication.Version)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var topics []*cobra.Command
	for _, cc := range root.Commands() {
		switch {
		case cc.Hidden:
		case cc.IsAdditionalHelpTopicCommand():
			topics = append(topics, cc)
		default:
			fmt.Fprintf(tw, "  %s\t%s\n", cc.Name(), cc.Short)
		}
	}
	_ = tw.Flush()
	if len(topics) > 0 {
		fmt.Fprint(w, "\nHelp topics:\n")
		for _, t := range topics {
			fmt.Fprintf(tw, "  %s\t%s\n", t.Name(), t.Short)
		}
		_ = tw.Flush()
	}
	fmt.Fprint(w, `
Run 'chreplication COMMAND --help' for a command's flags and an example,
'chreplication help environment' for the variables the API commands read.
Try it without an account: 'chreplication demo'.
`)
}

// printHelp writes the help of cc: synopsis, details, its own flags, the
// API flags, a pointer to the environment topic and the example. A help
// topic is its text alone.
func printHelp(w io.Writer, cc *cobra.Command) {
	if cc.IsAdditionalHelpTopicCommand() {
		fmt.Fprintln(w, cc.Long)
		return
	}
	synopsis := cc.Annotations[annSynopsis]
	if synopsis == "" {
		synopsis = strings.TrimPrefix(cc.UseLine(), "chreplication ")
	}
	fmt.Fprintf(w, "Usage: chreplication %s\n", synopsis)
	text := cc.Long
	if text == "" {
		text = cc.Short
	}
	if text != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(text))
	}
	if cc.HasAvailableSubCommands() {
		fmt.Fprint(w, "\nCommands:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, sub := range cc.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(tw, "  %s\t%s\n", sub.Name(), sub.Short)
			}
		}
		_ = tw.Flush()
	}
	own, shared := splitFlags(cc.Flags())
	if len(own) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		printFlags(w, own)
	}
	if len(shared) > 0 {
		fmt.Fprint(w, "\nAPI flags (every API command takes them):\n")
		printFlags(w, shared)
		fmt.Fprint(w, "\nThe endpoint, the project and the credentials (HUAWEICLOUD_AUTH_TOKEN, or\n"+
			"HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_IAM_USER and its password)\n"+
			"come from the environment: see 'chreplication help environment'.\n")
	}
	if cc.Example != "" {
		fmt.Fprintf(w, "\nExample:\n%s\n", cc.Example)
	}
}

// splitFlags returns the flags of fs that are the command's own and those
// every API command shares, in the order they were registered; cobra's
// --help comes last of the own.
func splitFlags(fs *pflag.FlagSet) (own, shared []*pflag.Flag) {
	sorted := fs.SortFlags
	fs.SortFlags = false
	defer func() { fs.SortFlags = sorted }()
	var help *pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		switch {
		case f.Name == "help":
			help = f
		case len(f.Annotations[annGroup]) > 0 && f.Annotations[annGroup][0] == groupAPI:
			shared = append(shared, f)
		default:
			own = append(own, f)
		}
	})
	if help != nil {
		own = append(own, help)
	}
	return own, shared
}

// printFlags writes flags with two dashes, as the contract spells them,
// and their defaults when not zero.
func printFlags(w io.Writer, flags []*pflag.Flag) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range flags {
		arg, usage := pflag.UnquoteUsage(f)
		if a, ok := f.Annotations[annArg]; ok && len(a) == 1 {
			arg = a[0]
		}
		name := flagName(f)
		if f.NoOptDefVal != "" {
			arg = "" // a boolean
		}
		if arg != "" {
			name += " " + arg
		}
		if !isZeroDefault(f) {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	}
	_ = tw.Flush()
}

func isZeroDefault(f *pflag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s", "[]":
		return true
	}
	return false
}

// envHelp is the text of 'chreplication help environment'.
const envHelp = `
The API commands read the environment (a flag, when given, wins over its variable):
  HUAWEICLOUD_SDK_PROJECT_ID      project ID (--project-id)
  HUAWEICLOUD_SDK_REGION          region (--region)
  HUAWEICLOUD_SDK_ENDPOINT        API endpoint URL (--endpoint); wins over HUAWEICLOUD_SDK_REGION
                                  but not over --region; 'chreplication fake' prints it
  HUAWEICLOUD_SDK_RATE_LIMIT      requests a second for the whole run (--rate-limit)
Credentials (never flags), the first way that is set wins:
  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK [, HUAWEICLOUD_SDK_SECURITY_TOKEN]   AK/SK signature
  HUAWEICLOUD_AUTH_TOKEN                                                     IAM token (X-Auth-Token)
  HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD, HUAWEICLOUD_IAM_DOMAIN      IAM password token
    [HUAWEICLOUD_SDK_IAM_ENDPOINT overrides the IAM host]
--project-id and --region are passed on to the credentials too: they set the AK/SK
signature's X-Project-Id and the IAM token's project and host.
Tracing and metrics (OpenTelemetry; nothing is exported unless asked):
  OTEL_EXPORTER_OTLP_ENDPOINT     an OTLP/HTTP collector, such as http://localhost:4318: the spans
                                  and metrics of the command's calls go there (protocol http/protobuf)
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT   one signal's own URL
  OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER   otlp or none
  OTEL_EXPORTER_OTLP_HEADERS      key=value,... for the collector (refused over plain http to a
                                  host that is not loopback)
  OTEL_SERVICE_NAME               the service name (default chreplication); OTEL_SDK_DISABLED=true
                                  turns it all off

Exit codes: 0 success, 1 API or network error, 2 usage error or invalid input (nothing sent),
3 the waited job ended Failed, 4 a check found a setting that fails,
5 watch --exit-on-abnormal saw an abnormal task, 130 interrupted (the jobs still running are listed first).`
