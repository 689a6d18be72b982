package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Exit codes shared by every subcommand.
const (
	exitOK          = 0
	exitFailure     = 1 // the fake stopped with an error, a contract failed, unhealthy
	exitUsage       = 2 // bad flags, environment, spec, fixtures or scenario files
	exitUnreachable = 3 // the contract target, or the proxy's upstream, never answered
)

// usageError is a mistake in how the command was called; it exits 2 with a hint.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

const topUsage = `verbex-mock: a fake of the Verbex phone-number API and a contract-test runner.

Usage:
  verbex-mock serve [flags]          run the fake (embedded document and fixtures by default)
  verbex-mock contract run [flags]   check an implementation against the scenario suite
  verbex-mock contract list [flags]  list the scenarios
  verbex-mock proxy [flags]          forward to the real service and report where the fake differs
  verbex-mock healthcheck [flags]    exit 0 when a fake answers /__admin/health
  verbex-mock openapi [flags]        print the served OpenAPI document, for client generators
  verbex-mock version [--short]      print the version, commit and build date

Run "verbex-mock help COMMAND" (or "verbex-mock COMMAND --help") for a command's flags.
`

// run is the whole program: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	if commandHelp(args, stdout) {
		return exitOK
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(ctx, args[1:], stdout, stderr, getenv)
	case "contract":
		err = contractCmd(ctx, args[1:], stdout, stderr, getenv)
	case "proxy":
		err = proxyCmd(ctx, args[1:], stdout, stderr, getenv)
	case "healthcheck":
		err = healthcheckCmd(ctx, args[1:], stdout, getenv)
	case "version", "--version", "-version":
		err = versionCmd(args[1:], stdout)
	case "openapi":
		err = openapiCmd(args[1:], stdout, getenv)
	case "help", "-h", "--help", "-help":
		if len(args) > 1 && args[0] == "help" {
			// help COMMAND [SUBCOMMAND] is COMMAND [SUBCOMMAND] --help.
			return run(ctx, append(args[1:len(args):len(args)], "--help"), stdout, stderr, getenv)
		}
		fmt.Fprint(stdout, topUsage)
	default:
		err = &usageError{msg: fmt.Sprintf("unknown command %q%s", args[0], suggestCommand(args[0])), hint: "verbex-mock help"}
	}
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "verbex-mock: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(stderr, "Try: %s\n", ue.hint)
		}
		return exitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && !errors.Is(ee.err, errSilent) {
			fmt.Fprintf(stderr, "verbex-mock: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "verbex-mock: %v\n", err)
	return exitFailure
}

// errSilent marks an exit whose reason was already printed.
var errSilent = errors.New("reported")
