package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/verbex/verbex-mock/mock/match"
)

// option is one flag with its environment variable. Flags win over the environment,
// and the environment over the default.
type option struct {
	name  string
	env   string
	def   string
	usage string
}

// flagSet is a FlagSet whose flags each have a VERBEX_MOCK_… variable. It parses the
// arguments itself, so that every message speaks of --flags as the help does and
// suggests the flag a typo meant.
type flagSet struct {
	*flag.FlagSet
	opts []option
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by parse
	return &flagSet{FlagSet: fs}
}

func (f *flagSet) add(o option) {
	f.opts = append(f.opts, o)
	if o.env != "" {
		declaredEnv.Store(o.env, o.name)
	}
}

func (f *flagSet) string(p *string, name, env, def, usage string) {
	f.StringVar(p, name, def, usage)
	f.add(option{name, env, def, usage})
}

// value declares a typed flag (flagvalues.go); def is set through it, as the help
// prints it.
func (f *flagSet) value(v flag.Value, name, env, def, usage string) {
	if def != "" {
		if err := v.Set(def); err != nil {
			panic(fmt.Sprintf("flag --%s: default %q: %v", name, def, err)) // a mistake in this file
		}
	}
	f.Var(v, name, usage)
	f.add(option{name, env, def, usage})
}

// isSet reports whether the flag or its variable gave a value (after parse).
func (f *flagSet) isSet(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

func (f *flagSet) boolean(p *bool, name, env string, def bool, usage string) {
	*p = def
	f.Var((*boolValue)(p), name, usage)
	f.add(option{name, env, strconv.FormatBool(def), usage})
}

// boolValue is a boolean flag whose error says what it takes.
type boolValue bool

func (b *boolValue) IsBoolFlag() bool { return true }
func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false (or 1/0, t/f, T/F, TRUE/FALSE, True/False)")
	}
	*b = boolValue(v)
	return nil
}

// errHelp is --help: the usage was printed and the command exits 0.
var errHelp = errors.New("help requested")

// parse reads args, then fills what they did not set from the environment. Every
// mistake names the flag (and variable) it is about, with two dashes as the help
// writes them; one dash works too, as in Go's flag package.
func (f *flagSet) parse(args []string, getenv func(string) string, stdout io.Writer, synopsis string) error {
	hint := "verbex-mock " + f.Name() + " --help"
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			rest = args[i+1:]
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			rest = args[i:]
			break
		}
		typed, value, hasValue := strings.Cut(arg, "=")
		name := strings.TrimPrefix(typed[1:], "-")
		if name == "" || name[0] == '-' {
			return &usageError{msg: fmt.Sprintf("bad flag syntax %q", arg), hint: hint}
		}
		if name == "h" || name == "help" {
			f.printUsage(stdout, synopsis)
			return errHelp
		}
		fl := f.Lookup(name)
		if fl == nil {
			return &usageError{msg: fmt.Sprintf("unknown flag %s%s", typed, f.suggestFlag(name)), hint: hint}
		}
		if bf, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 == len(args) {
				return &usageError{msg: fmt.Sprintf("flag --%s needs a value", name), hint: hint}
			}
			i++
			value = args[i]
		}
		if err := f.Set(name, value); err != nil {
			return f.setError(name, fmt.Sprintf("invalid value %q for --%s%s", value, name, f.envOf(name, " (%s)")), err)
		}
	}
	// The flag package keeps the arguments after the flags; "--" makes it take them all.
	if err := f.FlagSet.Parse(append([]string{"--"}, rest...)); err != nil {
		return &usageError{msg: err.Error(), hint: hint}
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, o := range f.opts {
		if set[o.name] || o.env == "" {
			continue
		}
		if v := getenv(o.env); v != "" {
			if err := f.setEnv(o.name, v); err != nil {
				return f.setError(o.name, fmt.Sprintf("invalid value %q for %s (--%s)", v, o.env, o.name), err)
			}
		}
	}
	return nil
}

// setEnv sets a flag from its variable, which for some flags holds a list.
func (f *flagSet) setEnv(name, v string) error {
	if ev, ok := f.Lookup(name).Value.(interface{ SetEnv(string) error }); ok {
		return ev.SetEnv(v) // isSet does not see it: no list's caller asks
	}
	return f.Set(name, v)
}

// setError words a refused value: a typed flag's own words after the flag's name, as
// the help writes it (`--seed (VERBEX_MOCK_SEED): "abc" is not …`), or prefix, which
// says which of flag and variable gave it, before the flag package's.
func (f *flagSet) setError(name, prefix string, err error) error {
	hint := "verbex-mock " + f.Name() + " --help"
	var ve *valueError
	if errors.As(err, &ve) {
		return &usageError{msg: fmt.Sprintf("--%s%s: %s", name, f.envOf(name, " (%s)"), ve.msg), hint: hint}
	}
	return &usageError{msg: prefix + ": " + err.Error(), hint: hint}
}

// suggestFlag is "; did you mean --NAME?" for the flag nearest a misspelt one.
func (f *flagSet) suggestFlag(name string) string {
	var names []string
	f.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	if best := nearest(name, names); best != "" {
		return "; did you mean --" + best + "?"
	}
	return ""
}

// envOf formats the flag's environment variable, or "" when it has none.
func (f *flagSet) envOf(name, format string) string {
	for _, o := range f.opts {
		if o.name == name && o.env != "" {
			return fmt.Sprintf(format, o.env)
		}
	}
	return ""
}

func (f *flagSet) printUsage(w io.Writer, synopsis string) {
	fmt.Fprintf(w, "Usage: verbex-mock %s\n\nFlags (a flag wins over its environment variable):\n", synopsis)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	opts := append([]option(nil), f.opts...)
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].name < opts[j].name })
	for _, o := range opts {
		def := o.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(tw, "  --%s\t%s\tdefault %s\t%s\n", o.name, o.env, def, o.usage)
	}
	tw.Flush()
}

// badFlag is a flag value that parses but cannot be used with the others.
func badFlag(fs *flagSet, name, format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf("--%s%s: %s", name, fs.envOf(name, " (%s)"), fmt.Sprintf(format, a...)), hint: "verbex-mock " + fs.Name() + " --help"}
}

// declaredEnv holds every variable a flag of any command reads (variable → flag).
var declaredEnv sync.Map

// knownEnv returns the variables the flags of every command read. It asks each
// command for its help, which declares its flags and prints nothing here.
func knownEnv() map[string]string {
	noEnv := func(string) string { return "" }
	ctx := context.Background()
	_, _ = loadServeConfig([]string{"--help"}, noEnv, io.Discard)
	_ = contractRun(ctx, []string{"--help"}, io.Discard, io.Discard, noEnv)
	_ = contractList([]string{"--help"}, io.Discard, noEnv)
	_, _ = loadProxyConfig([]string{"--help"}, noEnv, io.Discard)
	_ = healthcheckCmd(ctx, []string{"--help"}, io.Discard, noEnv)
	_ = openapiCmd([]string{"--help"}, io.Discard, noEnv)
	out := map[string]string{}
	declaredEnv.Range(func(k, v any) bool {
		out[k.(string)] = v.(string)
		return true
	})
	return out
}

// envPrefix marks the variables that are meant for verbex-mock.
const envPrefix = "VERBEX_MOCK_"

// envAliases are names people reach for that mean another variable.
var envAliases = map[string]string{"PORT": "ADDR", "HOST": "ADDR", "LISTEN": "ADDR", "LISTEN_ADDR": "ADDR", "DEBUG": "LOG_LEVEL"}

// unknownEnv returns a warning for each VERBEX_MOCK_ variable in environ (NAME=value
// lines) that no flag reads, naming the nearest one that a flag does read: a
// misspelt variable would otherwise be ignored without a word.
func unknownEnv(environ []string, known map[string]string) []string {
	// Compared without the prefix, which every name shares.
	suffixes := make([]string, 0, len(known))
	for k := range known {
		suffixes = append(suffixes, strings.TrimPrefix(k, envPrefix))
	}
	sort.Strings(suffixes)
	var warnings []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) {
			continue
		}
		if _, ok := known[name]; ok {
			continue
		}
		msg := fmt.Sprintf("warning: %s is set but no flag reads it", name)
		best := nearest(strings.TrimPrefix(name, envPrefix), suffixes)
		if alias, ok := envAliases[strings.TrimPrefix(name, envPrefix)]; ok && best == "" {
			best = alias
		}
		if best != "" {
			msg += fmt.Sprintf("; did you mean %s%s (--%s)?", envPrefix, best, known[envPrefix+best])
		}
		warnings = append(warnings, msg)
	}
	sort.Strings(warnings)
	return warnings
}

// commandHelp answers "--help" after a command that has no flags of its own (help),
// which would otherwise ignore it; it reports whether it did.
func commandHelp(args []string, stdout io.Writer) bool {
	if len(args) < 2 || !isHelpFlag(args[1]) {
		return false
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, topUsage)
	default:
		return false
	}
	return true
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// commands are the first words run knows, for suggestions.
var commands = []string{"serve", "contract", "proxy", "healthcheck", "openapi", "version", "help"}

// suggestCommand is "; did you mean NAME?" for the command nearest a misspelt one.
func suggestCommand(name string) string {
	if best := nearest(name, commands); best != "" {
		return "; did you mean " + best + "?"
	}
	return ""
}

// nearest is the project's one "did you mean".
func nearest(name string, known []string) string { return match.Nearest(name, known) }
