package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/scenarios"
)

const contractUsage = `Usage:
  verbex-mock contract run --target URL [flags]   check an implementation against the scenarios
                                                  and generated cases compared with the fake
  verbex-mock contract list [flags]               list the scenarios

Exit codes of run: 0 all passed, 1 a contract failure (it wins over a scenario error; with
--fail-on-skip also anything skipped), 2 a usage or scenario error (also a run that checked nothing
of a provider or generated nothing for want of a number, unless --allow-partial), 3 the target unreachable.
`

func contractCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return &usageError{msg: "contract needs a subcommand: run or list", hint: "verbex-mock contract run --help"}
	}
	switch args[0] {
	case "run":
		return contractRun(ctx, args[1:], stdout, stderr, getenv)
	case "list":
		return contractList(args[1:], stdout, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, contractUsage)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown contract subcommand %q", args[0]), hint: "verbex-mock contract help"}
}

// contractFlags are the flags run and list share.
type contractFlags struct {
	scenarioDir, specFile string
	tags                  []string
	run                   *regexp.Regexp
}

func (c *contractFlags) register(fs *flagSet) {
	fs.string(&c.scenarioDir, "scenarios", "VERBEX_MOCK_CONTRACT_SCENARIOS", "", "folder of scenario files instead of the embedded suite")
	fs.string(&c.specFile, "spec", "VERBEX_MOCK_SPEC", "", "OpenAPI document instead of the embedded one")
	fs.value(csvFlag(&c.tags), "tags", "VERBEX_MOCK_CONTRACT_TAGS", "", "comma-separated tags: run scenarios with any of them")
	fs.value(regexpFlag(&c.run), "run", "VERBEX_MOCK_CONTRACT_RUN", "", "regular expression: run scenarios whose name matches")
}

// prefixScenarioFiles names every bad file of a load (one error per file, joined)
// by its path from the working directory, as the user gave the directory.
func prefixScenarioFiles(err error, dir string) {
	if se, ok := err.(*contract.ScenarioError); ok {
		se.File = dir + se.File
		return
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			prefixScenarioFiles(e, dir)
		}
	}
}

// load reads the scenarios and the document the flags name.
func (c *contractFlags) load() ([]*contract.Scenario, []byte, error) {
	var scs []*contract.Scenario
	var err error
	if c.scenarioDir != "" {
		scs, err = contract.LoadFS(os.DirFS(c.scenarioDir))
		prefixScenarioFiles(err, strings.TrimSuffix(c.scenarioDir, "/")+"/")
	} else {
		scs, err = contract.LoadFS(scenarios.FS)
	}
	if err != nil {
		return nil, nil, &exitError{code: exitUsage, err: err}
	}
	var specBytes []byte
	if c.specFile != "" {
		if specBytes, err = os.ReadFile(c.specFile); err != nil {
			return nil, nil, &exitError{code: exitUsage, err: err}
		}
	}
	return scs, specBytes, nil
}

func contractList(args []string, stdout io.Writer, getenv func(string) string) error {
	var c contractFlags
	fs := newFlagSet("contract list")
	c.register(fs)
	if err := fs.parse(args, getenv, stdout, "contract list [flags]"); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	scs, _, err := c.load()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tNAME\tTAGS\tGIVEN")
	for _, sc := range contract.Select(scs, c.tags, c.run) {
		var given []string
		for _, g := range sc.Given {
			given = append(given, g.State)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sc.File, sc.Name, strings.Join(sc.Tags, ","), strings.Join(given, "; "))
	}
	return tw.Flush()
}

// runFlags are contract run's flags: those it shares with list, the Config they fill
// directly, and those read into it after parse.
type runFlags struct {
	contractFlags
	cfg                 contract.Config
	junitFile, jsonFile string
	failOnSkip          bool
	allowPartial, quiet bool
	generate            int
	replay              replay
}

func (r *runFlags) register(fs *flagSet) {
	cfg := &r.cfg
	r.contractFlags.register(fs)
	fs.value(urlFlag(&cfg.Target), "target", "VERBEX_MOCK_CONTRACT_TARGET", "", "base URL of the implementation under test (required)")
	fs.string(&cfg.Token, "token", "VERBEX_API_KEY", "", "API key, sent as Authorization: Bearer (redacted in every report)")
	fs.string(&cfg.States, "states", "VERBEX_MOCK_CONTRACT_STATES", "", "provider-state route: a URL or a path on the target (the fake: /__admin/states)")
	fs.value(pairsFlag(&cfg.IDs, "PROVIDER=ID", false), "id", "VERBEX_MOCK_CONTRACT_IDS", "", "without --states: PROVIDER=ID of a number the run may change, restored afterwards (repeatable)")
	fs.string(&cfg.SIPID, "sip-id", "VERBEX_MOCK_CONTRACT_SIP_ID", "", "without --states: a SIP number the run may change (--id sip=ID)")
	fs.string(&cfg.PiaID, "pia-id", "VERBEX_MOCK_CONTRACT_PIA_ID", "", "without --states: a Pia number the run may change (--id pia=ID)")
	fs.string(&cfg.TwilioID, "twilio-id", "VERBEX_MOCK_CONTRACT_TWILIO_ID", "", "without --states: a Twilio number the run may change (--id twilio=ID)")
	fs.value(pairsFlag(&cfg.Vars, "name=value", true), "var", "VERBEX_MOCK_CONTRACT_VARS", "", "name=value for the scenarios' templates (repeatable; the variable takes a comma-separated list)")
	fs.string(&r.junitFile, "junit", "VERBEX_MOCK_CONTRACT_JUNIT", "", "write a JUnit XML report to this file")
	fs.string(&r.jsonFile, "json", "VERBEX_MOCK_CONTRACT_JSON", "", "write a JSON report to this file")
	fs.value(countFlag(&cfg.Parallel, 1), "parallel", "VERBEX_MOCK_CONTRACT_PARALLEL", "4", "scenarios and cases at once (with --states; one at a time otherwise)")
	fs.value(durationFlag(&cfg.Timeout), "timeout", "VERBEX_MOCK_CONTRACT_TIMEOUT", "10s", "limit for each request")
	fs.value(countFlag(&r.generate, 0), "generate", "VERBEX_MOCK_CONTRACT_GENERATE", fmt.Sprint(contract.DefaultGenerate), "differential cases to generate from the document and compare with the fake (0: none)")
	fs.value(uintFlag(&cfg.Seed, 1), "seed", "VERBEX_MOCK_CONTRACT_SEED", "", "seed of the generated cases (default: a random one, printed)")
	fs.value(replayFlag(&r.replay), "replay", "", "", "SEED:INDEX: run only that generated case (as the report names it)")
	fs.boolean(&cfg.Strict, "strict", "VERBEX_MOCK_CONTRACT_STRICT", false, "also compare what the document leaves to the implementation (404/500 error texts, Location host, key order)")
	fs.boolean(&r.failOnSkip, "fail-on-skip", "VERBEX_MOCK_CONTRACT_FAIL_ON_SKIP", false, "exit 1 when anything was skipped")
	fs.value(rateFlag(&cfg.Rate), "rate", "VERBEX_MOCK_CONTRACT_RATE", "", "requests per second to the target, 0 for no limit (default: 10 without --states, none with it)")
	fs.value(durationFlag(&cfg.MaxDuration), "max-duration", "VERBEX_MOCK_CONTRACT_MAX_DURATION", "", "time budget: what has not started by then is skipped (e.g. 5m)")
	fs.boolean(&r.allowPartial, "allow-partial", "VERBEX_MOCK_CONTRACT_ALLOW_PARTIAL", false, "exit 0 even when a provider or the generated cases could not be checked for want of a number (--id)")
	fs.boolean(&r.quiet, "quiet", "VERBEX_MOCK_CONTRACT_QUIET", false, "no progress: neither a line per scenario nor the status line on stderr; only the report")
	fs.boolean(&cfg.DryRun, "dry-run", "VERBEX_MOCK_CONTRACT_DRY_RUN", false, "check the scenarios and list what would run; send nothing")
}

// config finishes the Config: the checks that involve more than one flag, the
// scenarios, and the oracle.
func (r *runFlags) config(fs *flagSet) (contract.Config, error) {
	cfg := r.cfg
	var err error
	if cfg.Scenarios, cfg.Spec, err = r.load(); err != nil {
		return cfg, err
	}
	cfg.Tags, cfg.Run = r.tags, r.run
	if cfg.Target == "" && !cfg.DryRun {
		return cfg, badFlag(fs, "target", "required: the base URL of the implementation to check")
	}
	cfg.Generate = r.generate
	if r.generate == 0 {
		cfg.Generate = -1
	}
	if r.replay.set {
		switch {
		case fs.isSet("seed") && cfg.Seed != r.replay.seed:
			return cfg, badFlag(fs, "replay", "seed %d differs from --seed %d", r.replay.seed, cfg.Seed)
		case cfg.Generate < 0:
			return cfg, badFlag(fs, "replay", "replays a generated case; generation is off (--generate 0)")
		}
		cfg.Seed, cfg.Replay = r.replay.seed, &r.replay.index
	}
	cfg.RateSet = fs.isSet("rate")
	if cfg.Vars == nil {
		cfg.Vars = map[string]string{}
	}
	if cfg.IDs == nil {
		cfg.IDs = map[string]string{}
	}
	cfg.UserAgent = contract.DefaultUserAgent + "/" + versionString()
	if cfg.Generate >= 0 && !cfg.DryRun {
		// The oracle: the fake itself, in-process, on the same document. No fixtures:
		// every case stores the target's own record in a session of its own.
		oracle, err := mock.New(mock.Options{Spec: cfg.Spec, Fixtures: []byte("phone_numbers: []\n"), JournalSize: -1, MaxSessions: 1 << 16})
		if err != nil {
			return cfg, &exitError{code: exitUsage, err: fmt.Errorf("the fake cannot serve this document as the oracle: %w", err)}
		}
		cfg.Oracle = oracle
	}
	return cfg, nil
}

func contractRun(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var r runFlags
	fs := newFlagSet("contract run")
	r.register(fs)
	if err := fs.parse(args, getenv, stdout, "contract run --target URL [flags]"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, "\n"+contractUsage)
			return nil
		}
		return err
	}
	cfg, err := r.config(fs)
	if err != nil {
		return err
	}
	if !r.quiet {
		cfg.Progress, cfg.Status = stdout, contract.StatusLineFor(stderr)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := contract.Run(ctx, cfg)
	var se *contract.ScenarioError
	var ce *contract.ConfigError
	switch {
	case errors.Is(err, contract.ErrUnreachable):
		return &exitError{code: exitUnreachable, err: err}
	case errors.As(err, &ce) && ce.Hint != "":
		return &usageError{msg: err.Error(), hint: ce.Hint}
	case errors.As(err, &se), errors.As(err, &ce):
		return &exitError{code: exitUsage, err: err}
	case rep == nil:
		return err
	}
	return r.report(rep, err, stdout)
}

// report writes the run's reports and picks the exit: a failing target wins over a
// scenario error, since the target is what was checked.
func (r *runFlags) report(rep *contract.Report, runErr error, stdout io.Writer) error {
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if r.junitFile != "" {
		if err := writeReport(r.junitFile, rep.WriteJUnit); err != nil {
			return err
		}
	}
	if r.jsonFile != "" {
		if err := writeReport(r.jsonFile, rep.WriteJSON); err != nil {
			return err
		}
	}
	switch {
	case runErr != nil:
		return &exitError{code: exitFailure, err: fmt.Errorf("run stopped: %w", runErr)}
	case !rep.OK() && (rep.Failed > 0 || rep.Generated != nil && rep.Generated.Failed > 0):
		return &exitError{code: exitFailure, err: errSilent}
	case rep.Errors > 0:
		return &exitError{code: exitUsage, err: errSilent}
	case r.failOnSkip && rep.SkippedAny() > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d skipped (--fail-on-skip)", rep.SkippedAny())}
	case !r.allowPartial && rep.Partial() != "":
		return &exitError{code: exitUsage, err: errors.New(rep.Partial())}
	}
	return nil
}

func writeReport(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
