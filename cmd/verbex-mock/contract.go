package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

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
	scenarioDir, specFile, tags, run string
}

func (c *contractFlags) register(fs *flagSet) {
	fs.string(&c.scenarioDir, "scenarios", "VERBEX_MOCK_CONTRACT_SCENARIOS", "", "folder of scenario files instead of the embedded suite")
	fs.string(&c.specFile, "spec", "VERBEX_MOCK_SPEC", "", "OpenAPI document instead of the embedded one")
	fs.string(&c.tags, "tags", "VERBEX_MOCK_CONTRACT_TAGS", "", "comma-separated tags: run scenarios with any of them")
	fs.string(&c.run, "run", "VERBEX_MOCK_CONTRACT_RUN", "", "regular expression: run scenarios whose name matches")
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

func (c *contractFlags) load(fs *flagSet) ([]*contract.Scenario, []byte, []string, *regexp.Regexp, error) {
	var scs []*contract.Scenario
	var err error
	if c.scenarioDir != "" {
		scs, err = contract.LoadFS(os.DirFS(c.scenarioDir))
		prefixScenarioFiles(err, strings.TrimSuffix(c.scenarioDir, "/")+"/")
	} else {
		scs, err = contract.LoadFS(scenarios.FS)
	}
	if err != nil {
		return nil, nil, nil, nil, &exitError{code: exitUsage, err: err}
	}
	var specBytes []byte
	if c.specFile != "" {
		if specBytes, err = os.ReadFile(c.specFile); err != nil {
			return nil, nil, nil, nil, &exitError{code: exitUsage, err: err}
		}
	}
	var tags []string
	for _, t := range strings.Split(c.tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	var re *regexp.Regexp
	if c.run != "" {
		if re, err = regexp.Compile(c.run); err != nil {
			return nil, nil, nil, nil, badFlag(fs, "run", "%v", err)
		}
	}
	return scs, specBytes, tags, re, nil
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
	scs, _, tags, re, err := c.load(fs)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tNAME\tTAGS\tGIVEN")
	for _, sc := range contract.Select(scs, tags, re) {
		var given []string
		for _, g := range sc.Given {
			given = append(given, g.State)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sc.File, sc.Name, strings.Join(sc.Tags, ","), strings.Join(given, "; "))
	}
	return tw.Flush()
}

func contractRun(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var c contractFlags
	var cfg contract.Config
	var junitFile, jsonFile, parallel, timeout, generate, seed, replay, rate, maxDuration string
	var failOnSkip, quiet, allowPartial bool
	var vars, ids list
	fs := newFlagSet("contract run")
	c.register(fs)
	fs.string(&cfg.Target, "target", "VERBEX_MOCK_CONTRACT_TARGET", "", "base URL of the implementation under test (required)")
	fs.string(&cfg.Token, "token", "VERBEX_API_KEY", "", "API key, sent as Authorization: Bearer (redacted in every report)")
	fs.string(&cfg.States, "states", "VERBEX_MOCK_CONTRACT_STATES", "", "provider-state route: a URL or a path on the target (the fake: /__admin/states)")
	fs.list(&ids, "id", "VERBEX_MOCK_CONTRACT_IDS", "without --states: PROVIDER=ID of a number the run may change, restored afterwards (repeatable)")
	fs.string(&cfg.SIPID, "sip-id", "VERBEX_MOCK_CONTRACT_SIP_ID", "", "without --states: a SIP number the run may change (--id sip=ID)")
	fs.string(&cfg.PiaID, "pia-id", "VERBEX_MOCK_CONTRACT_PIA_ID", "", "without --states: a Pia number the run may change (--id pia=ID)")
	fs.string(&cfg.TwilioID, "twilio-id", "VERBEX_MOCK_CONTRACT_TWILIO_ID", "", "without --states: a Twilio number the run may change (--id twilio=ID)")
	fs.list(&vars, "var", "VERBEX_MOCK_CONTRACT_VARS", "name=value for the scenarios' templates (repeatable; the variable takes a comma-separated list)")
	fs.string(&junitFile, "junit", "VERBEX_MOCK_CONTRACT_JUNIT", "", "write a JUnit XML report to this file")
	fs.string(&jsonFile, "json", "VERBEX_MOCK_CONTRACT_JSON", "", "write a JSON report to this file")
	fs.string(&parallel, "parallel", "VERBEX_MOCK_CONTRACT_PARALLEL", "4", "scenarios and cases at once (with --states; one at a time otherwise)")
	fs.string(&timeout, "timeout", "VERBEX_MOCK_CONTRACT_TIMEOUT", "10s", "limit for each request")
	fs.string(&generate, "generate", "VERBEX_MOCK_CONTRACT_GENERATE", fmt.Sprint(contract.DefaultGenerate), "differential cases to generate from the document and compare with the fake (0: none)")
	fs.string(&seed, "seed", "VERBEX_MOCK_CONTRACT_SEED", "", "seed of the generated cases (default: a random one, printed)")
	fs.string(&replay, "replay", "", "", "SEED:INDEX: run only that generated case (as the report names it)")
	fs.boolean(&cfg.Strict, "strict", "VERBEX_MOCK_CONTRACT_STRICT", false, "also compare what the document leaves to the implementation (404/500 error texts, Location host, key order)")
	fs.boolean(&failOnSkip, "fail-on-skip", "VERBEX_MOCK_CONTRACT_FAIL_ON_SKIP", false, "exit 1 when anything was skipped")
	fs.string(&rate, "rate", "VERBEX_MOCK_CONTRACT_RATE", "", "requests per second to the target, 0 for no limit (default: 10 without --states, none with it)")
	fs.string(&maxDuration, "max-duration", "VERBEX_MOCK_CONTRACT_MAX_DURATION", "", "time budget: what has not started by then is skipped (e.g. 5m)")
	fs.boolean(&allowPartial, "allow-partial", "VERBEX_MOCK_CONTRACT_ALLOW_PARTIAL", false, "exit 0 even when a provider or the generated cases could not be checked for want of a number (--id)")
	fs.boolean(&quiet, "quiet", "VERBEX_MOCK_CONTRACT_QUIET", false, "no progress: neither a line per scenario nor the status line on stderr; only the report")
	fs.boolean(&cfg.DryRun, "dry-run", "VERBEX_MOCK_CONTRACT_DRY_RUN", false, "check the scenarios and list what would run; send nothing")
	if err := fs.parse(args, getenv, stdout, "contract run --target URL [flags]"); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, "\n"+contractUsage)
			return nil
		}
		return err
	}
	var err error
	if cfg.Scenarios, cfg.Spec, cfg.Tags, cfg.Run, err = c.load(fs); err != nil {
		return err
	}
	if cfg.Target == "" && !cfg.DryRun {
		return badFlag(fs, "target", "required: the base URL of the implementation to check")
	}
	if err := checkTarget(fs, cfg.Target); err != nil {
		return err
	}
	if cfg.Parallel, err = strconv.Atoi(parallel); err != nil || cfg.Parallel < 1 {
		return badFlag(fs, "parallel", "%q is not a positive count", parallel)
	}
	if cfg.Timeout, err = time.ParseDuration(timeout); err != nil || cfg.Timeout <= 0 {
		return badFlag(fs, "timeout", "%q is not a positive duration", timeout)
	}
	n, err := strconv.Atoi(generate)
	if err != nil || n < 0 {
		return badFlag(fs, "generate", "%q is not a count (0 turns generation off)", generate)
	}
	cfg.Generate = n
	if n == 0 {
		cfg.Generate = -1
	}
	if seed != "" {
		if cfg.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil || cfg.Seed == 0 {
			return badFlag(fs, "seed", "%q is not a positive integer", seed)
		}
	}
	if replay != "" {
		s, i, ok := strings.Cut(replay, ":")
		rs, err1 := strconv.ParseUint(s, 10, 64)
		ri, err2 := strconv.Atoi(i)
		if !ok || err1 != nil || err2 != nil || rs == 0 || ri < 0 {
			return badFlag(fs, "replay", "%q: want SEED:INDEX as a report names a generated case", replay)
		}
		if seed != "" && cfg.Seed != rs {
			return badFlag(fs, "replay", "seed %d differs from --seed %d", rs, cfg.Seed)
		}
		cfg.Seed, cfg.Replay = rs, &ri
		if cfg.Generate < 0 {
			return badFlag(fs, "replay", "replays a generated case; generation is off (--generate 0)")
		}
	}
	if rate != "" {
		if cfg.Rate, err = strconv.ParseFloat(rate, 64); err != nil || cfg.Rate < 0 {
			return badFlag(fs, "rate", "%q is not a rate (requests per second; 0: no limit)", rate)
		}
		cfg.RateSet = true
	}
	if maxDuration != "" {
		if cfg.MaxDuration, err = time.ParseDuration(maxDuration); err != nil || cfg.MaxDuration <= 0 {
			return badFlag(fs, "max-duration", "%q is not a positive duration", maxDuration)
		}
	}
	cfg.Vars = map[string]string{}
	for _, kv := range vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return badFlag(fs, "var", "%q: want name=value", kv)
		}
		cfg.Vars[k] = v
	}
	cfg.IDs = map[string]string{}
	for _, kv := range ids {
		p, id, ok := strings.Cut(kv, "=")
		if !ok || p == "" || id == "" {
			return badFlag(fs, "id", "%q: want PROVIDER=ID", kv)
		}
		cfg.IDs[p] = id
	}
	cfg.UserAgent = contract.DefaultUserAgent + "/" + versionString()
	if cfg.Generate >= 0 && !cfg.DryRun {
		// The oracle: the fake itself, in-process, on the same document. No fixtures:
		// every case stores the target's own record in a session of its own.
		oracle, err := mock.New(mock.Options{Spec: cfg.Spec, Fixtures: []byte("phone_numbers: []\n"), JournalSize: -1, MaxSessions: 1 << 16})
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("the fake cannot serve this document as the oracle: %w", err)}
		}
		cfg.Oracle = oracle
	}
	if !quiet {
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
	if werr := rep.WriteText(stdout); werr != nil {
		return werr
	}
	if junitFile != "" {
		if werr := writeReport(junitFile, rep.WriteJUnit); werr != nil {
			return werr
		}
	}
	if jsonFile != "" {
		if werr := writeReport(jsonFile, rep.WriteJSON); werr != nil {
			return werr
		}
	}
	// A failing target wins over a scenario error: the target is what was checked.
	switch {
	case err != nil:
		return &exitError{code: exitFailure, err: fmt.Errorf("run stopped: %w", err)}
	case !rep.OK() && (rep.Failed > 0 || rep.Generated != nil && rep.Generated.Failed > 0):
		return &exitError{code: exitFailure, err: errSilent}
	case rep.Errors > 0:
		return &exitError{code: exitUsage, err: errSilent}
	case failOnSkip && rep.SkippedAny() > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d skipped (--fail-on-skip)", rep.SkippedAny())}
	case !allowPartial && rep.Partial() != "":
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
