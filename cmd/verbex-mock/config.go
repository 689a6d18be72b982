package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// option is one flag with its environment variable. Flags win over the environment,
// and the environment over the default.
type option struct {
	name  string
	env   string
	def   string
	usage string
}

// flagSet is a FlagSet whose flags each have a VERBEX_MOCK_… variable.
type flagSet struct {
	*flag.FlagSet
	opts []option
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by parse
	return &flagSet{FlagSet: fs}
}

func (f *flagSet) string(p *string, name, env, def, usage string) {
	f.StringVar(p, name, def, usage)
	f.opts = append(f.opts, option{name, env, def, usage})
}

func (f *flagSet) boolean(p *bool, name, env string, def bool, usage string) {
	f.BoolVar(p, name, def, usage)
	f.opts = append(f.opts, option{name, env, fmt.Sprint(def), usage})
}

// errHelp is --help: the usage was printed and the command exits 0.
var errHelp = errors.New("help requested")

// parse reads args, then fills what they did not set from the environment. Every
// mistake names the flag (and variable) it is about.
func (f *flagSet) parse(args []string, getenv func(string) string, stdout io.Writer, synopsis string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(stdout, synopsis)
			return errHelp
		}
		return &usageError{msg: err.Error(), hint: "verbex-mock " + f.Name() + " --help"}
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, o := range f.opts {
		if set[o.name] || o.env == "" {
			continue
		}
		if v := getenv(o.env); v != "" {
			if err := f.Set(o.name, v); err != nil {
				return &usageError{msg: fmt.Sprintf("invalid value %q for %s (--%s): %v", v, o.env, o.name, err), hint: "verbex-mock " + f.Name() + " --help"}
			}
		}
	}
	return nil
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

// badFlag is a flag value that parses but cannot be used.
func badFlag(fs *flagSet, name, format string, a ...any) error {
	env := ""
	for _, o := range fs.opts {
		if o.name == name {
			env = " (" + o.env + ")"
		}
	}
	return &usageError{msg: fmt.Sprintf("--%s%s: %s", name, env, fmt.Sprintf(format, a...)), hint: "verbex-mock " + fs.Name() + " --help"}
}

// list is a repeatable flag; its environment variable takes a comma-separated list.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func (f *flagSet) list(p *list, name, env, usage string) {
	f.Var(p, name, usage)
	f.opts = append(f.opts, option{name, env, "", usage})
}
