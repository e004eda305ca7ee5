package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// version is the CLI's version, sent in the User-Agent. Release builds set
// it with -ldflags "-X main.version=…".
var version = "0.1.0"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the server refused the request, or could not be reached
	exitUsage = 2 // the invocation itself is wrong
)

// Defaults of the global flags.
const (
	defaultURL     = "http://127.0.0.1:8080"
	defaultKeyFile = "./data/admin.key"
)

// cli is one invocation: its global options and where it writes.
type cli struct {
	stdout, stderr io.Writer

	url            string
	key            string
	keyFile        string
	json           bool
	idempotencyKey string

	globals *flag.FlagSet // for the top-level help
	client  *client       // built on first use, so help and version need no key
	sent    bool          // a write was sent under idempotencyKey
}

// usageError is a wrong invocation: run prints it with the command's usage
// line and exits 2.
type usageError struct {
	spec *spec // nil: the top level
	msg  string
	full bool // print the whole top-level usage
}

func (e *usageError) Error() string { return e.msg }

// errHelp reports that help was asked for and printed.
var errHelp = errors.New("help requested")

// run executes one invocation of plaudit with args (without the program
// name) and returns the process exit code. It writes replies to stdout and
// diagnostics to stderr, and stops when ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr}
	defer func() {
		if c.client != nil {
			c.client.close()
		}
	}()
	rest, err := c.parseGlobals(args)
	if err == nil {
		err = c.dispatch(ctx, rest)
	}
	return c.exit(err)
}

func (c *cli) parseGlobals(args []string) ([]string, error) {
	fs := flag.NewFlagSet("plaudit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.url, "url", envOr("PLAUDIT_URL", defaultURL), "plauditd's base URL (PLAUDIT_URL)")
	// Not defaulted from the environment: help would print the key.
	fs.StringVar(&c.key, "key", "", "API key (PLAUDIT_KEY); else read from --key-file")
	fs.StringVar(&c.keyFile, "key-file", envOr("PLAUDIT_KEY_FILE", defaultKeyFile), "file holding the API key (PLAUDIT_KEY_FILE)")
	fs.BoolVar(&c.json, "json", false, "print the server's JSON replies as they are")
	fs.StringVar(&c.idempotencyKey, "idempotency-key", "", "Idempotency-Key of a write (default: a random UUID per invocation)")
	c.globals = fs
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.topUsage(c.stdout)
			return nil, errHelp
		}
		return nil, &usageError{msg: err.Error()}
	}
	if c.key == "" {
		c.key = os.Getenv("PLAUDIT_KEY")
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &usageError{msg: fmt.Sprintf("--url %q: want an http:// or https:// URL such as %s", c.url, defaultURL)}
	}
	return fs.Args(), nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// command is a top-level subcommand.
type command struct {
	name    string
	summary string
	run     func(c *cli, ctx context.Context, args []string) error
}

var commands []command

func init() {
	// Assigned in init to break the cycle help -> dispatch -> commands.
	commands = []command{
		{"give", "give kudos to colleagues", (*cli).give},
		{"react", "react to kudos with an emoji", (*cli).react},
		{"retract", "retract kudos", (*cli).retract},
		{"rate", "record a customer's rating of an agent; rate import FILE: many", (*cli).rate},
		{"rating", "correct or withdraw a recorded rating (correct, withdraw)", (*cli).rating},
		{"prefs", "set a member's nudge preferences and quiet hours", (*cli).prefs},
		{"nudges", "list a member's nudges", (*cli).nudges},
		{"nudge", "acknowledge or dismiss a nudge (ack, dismiss)", (*cli).nudge},
		{"member", "add, change or remove a member (set, rm)", (*cli).member},
		{"policy", "set the tenant's policy (set)", (*cli).policy},
		{"boost", "grant extra allowance to a member or team", (*cli).boost},
		{"key", "create, list or revoke API keys (create, list, revoke)", (*cli).keyCmd},
		{"login-link", "make a one-time link that signs a member in to the web page", (*cli).loginLink},
		{"nats-creds", "issue, list or revoke NATS credentials (create, list, revoke)", (*cli).natsCreds},
		{"do", "call any operation of the write API by name, its body from flags", (*cli).do},
		{"tail", "follow the event stream", (*cli).tail},
		{"feed", "show a feed of kudos: the tenant's, a team's, a member's", (*cli).feed},
		{"balance", "show a member's allowance and the recognition they received", (*cli).balance},
		{"density", "show recognition density: a team's, a member's or the tenant's", (*cli).density},
		{"gaps", "list a team's members not recognised lately", (*cli).gaps},
		{"projections", "show the projections' status and lag, or rebuild one (rebuild)", (*cli).projections},
		{"version", "print the CLI's version", (*cli).versionCmd},
		{"help", "show help for a command", (*cli).help},
	}
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "no command given", full: true}
	}
	for _, cmd := range commands {
		if cmd.name == args[0] {
			return cmd.run(c, ctx, args[1:])
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
}

// exit reports err on stderr and maps it to an exit code.
func (c *cli) exit(err error) int {
	var (
		ue *usageError
		pe *problem
	)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		switch {
		case ue.spec == nil && ue.full:
			fmt.Fprintf(c.stderr, "plaudit: %s\n\n", ue.msg)
			c.topUsage(c.stderr)
			return exitUsage
		case ue.spec == nil:
			fmt.Fprintf(c.stderr, "plaudit: %s\nRun 'plaudit help' for usage.\n", ue.msg)
			return exitUsage
		}
		fmt.Fprintf(c.stderr, "plaudit %s: %s\nusage: %s\nRun 'plaudit %s -h' for help.\n", ue.spec.name, ue.msg, ue.spec.usageLine(), ue.spec.name)
		return exitUsage
	case errors.As(err, &pe):
		var a *answered
		if c.json && errors.As(err, &a) {
			c.printRaw(a.raw)
		}
		fmt.Fprintf(c.stderr, "error: %s\n", pe)
		if a := pe.Allowance; a != nil {
			fmt.Fprintf(c.stderr, "  %s\n", allowanceLine(a))
		}
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(c.stderr, "error: interrupted")
	default:
		fmt.Fprintf(c.stderr, "error: %v\n", err)
	}
	if c.sent && uncertain(err) {
		// Whether the server carried the write out is unknown; the same key
		// makes repeating it safe.
		fmt.Fprintf(c.stderr, "  the request may have been carried out; repeat it with --idempotency-key %s to be sure\n", c.idempotencyKey)
	}
	return exitError
}

func (c *cli) topUsage(w io.Writer) {
	fmt.Fprint(w, `usage: plaudit [global flags] <command> [flags] [args]

Commands:
`)
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, "\nGlobal flags (before the command):\n")
	c.globals.SetOutput(w)
	c.globals.PrintDefaults()
	c.globals.SetOutput(io.Discard)
	fmt.Fprint(w, "\nRun 'plaudit <command> -h' for a command's flags.\n")
}

func (c *cli) help(ctx context.Context, args []string) error {
	if len(args) == 0 {
		c.topUsage(c.stdout)
		return nil
	}
	// "plaudit help member set" is "plaudit member set -h".
	return c.dispatch(ctx, append(args, "-h"))
}

func (c *cli) versionCmd(_ context.Context, args []string) error {
	s := &spec{name: "version", about: "Print the CLI's version."}
	if _, err := c.parse(s, args); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "plaudit %s\n", version)
	return nil
}

// spec describes a subcommand for its usage line and help.
type spec struct {
	name  string   // "member set"
	args  string   // what follows the name in the usage line
	about string   // the help paragraph
	pos   []string // names of the required positional arguments
	fs    *flag.FlagSet
}

func (s *spec) usageLine() string {
	return strings.TrimSpace("plaudit " + s.name + " " + s.args)
}

// flags returns the subcommand's flag set, made on first use.
func (s *spec) flags() *flag.FlagSet {
	if s.fs == nil {
		s.fs = flag.NewFlagSet("plaudit "+s.name, flag.ContinueOnError)
		s.fs.SetOutput(io.Discard)
	}
	return s.fs
}

// parse parses flags and positional arguments in any order (flag stops at
// the first positional one; "plaudit react ID 🎉 --from ana" is natural),
// checks the count of positional arguments, and prints help on -h.
func (c *cli) parse(s *spec, args []string) ([]string, error) {
	fs := s.flags()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.printHelp(s)
				return nil, errHelp
			}
			return nil, &usageError{spec: s, msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < len(s.pos):
		return nil, &usageError{spec: s, msg: "missing " + strings.Join(s.pos[len(pos):], " ")}
	case len(pos) > len(s.pos):
		return nil, &usageError{spec: s, msg: fmt.Sprintf("unexpected argument %q", pos[len(s.pos)])}
	}
	return pos, nil
}

func (c *cli) printHelp(s *spec) {
	fmt.Fprintf(c.stdout, "usage: %s\n\n%s\n", s.usageLine(), s.about)
	if s.fs == nil {
		return
	}
	n := 0
	s.fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprint(c.stdout, "\nFlags:\n")
	s.fs.SetOutput(c.stdout)
	s.fs.PrintDefaults()
	s.fs.SetOutput(io.Discard)
}

// parseRead parses the arguments of a command that reads (parse), with
// --json, which may also follow the command.
func (c *cli) parseRead(s *spec, args []string) ([]string, error) {
	s.flags().BoolVar(&c.json, "json", c.json, "print the server's JSON reply as it is")
	return c.parse(s, args)
}

// parseWrite parses the arguments of a command that writes (parse), with
// the flags every write takes: --json and --idempotency-key.
func (c *cli) parseWrite(s *spec, args []string) ([]string, error) {
	s.flags().StringVar(&c.idempotencyKey, "idempotency-key", c.idempotencyKey, "Idempotency-Key of this write (default: a random UUID)")
	return c.parseRead(s, args)
}

// require reports the first of the named flags that was not set.
func require(s *spec, names ...string) error {
	set := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return &usageError{spec: s, msg: "missing --" + n}
		}
	}
	return nil
}

// isSet reports whether the flag was given.
func isSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// list splits a comma-separated flag value, dropping blanks.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
