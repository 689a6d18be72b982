package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// checkGolden compares got with testdata/NAME.golden, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/verbex-mock -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is intended, run with -update and review the diff):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// transcript runs the command as a user would and writes what they would see.
func transcript(args []string, getenv func(string) string) string {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, getenv)
	return fmt.Sprintf("$ verbex-mock %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
}

// TestHelpGolden: the help of every command, --help after any command (version
// included) printing help rather than running it.
func TestHelpGolden(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"help":                  {"help"},
		"help-help":             {"help", "--help"},
		"help-serve":            {"serve", "--help"},
		"help-serve-one-dash":   {"serve", "-h"},
		"help-contract":         {"contract", "--help"},
		"help-contract-run":     {"contract", "run", "--help"},
		"help-contract-list":    {"contract", "list", "--help"},
		"help-proxy":            {"proxy", "--help"},
		"help-healthcheck":      {"healthcheck", "--help"},
		"help-openapi":          {"openapi", "--help"},
		"help-command-serve":    {"help", "serve"},
		"help-command-run":      {"help", "contract", "run"},
		"help-command-typo":     {"help", "sevre"},
		"help-version":          {"version", "--help"},
		"help-version-one-dash": {"version", "-h"},
		// A dry run lists what each scenario would send, or why it would be skipped.
		"help-contract-dry-run": {"contract", "run", "--dry-run", "--target", "http://127.0.0.1:1", "--sip-id", "6650a1f2c3d4e5f6a7b8c901", "--tags", "routing,faults"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, name, transcript(args, env()))
		})
	}
}

// TestHelpCommand: "help COMMAND" prints what "COMMAND --help" does, for every
// command and subcommand.
func TestHelpCommand(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"serve"}, {"contract"}, {"contract", "run"}, {"contract", "list"}, {"proxy"}, {"healthcheck"}, {"openapi"}, {"version"}, {"help"}} {
		var viaHelp, viaFlag bytes.Buffer
		code1 := run(context.Background(), append([]string{"help"}, cmd...), &viaHelp, io.Discard, env())
		code2 := run(context.Background(), append(cmd[:len(cmd):len(cmd)], "--help"), &viaFlag, io.Discard, env())
		if code1 != 0 || code2 != 0 || viaHelp.String() != viaFlag.String() || viaHelp.Len() == 0 {
			t.Errorf("help %s: exit %d, %d bytes; %s --help: exit %d, %d bytes", strings.Join(cmd, " "), code1, viaHelp.Len(), strings.Join(cmd, " "), code2, viaFlag.Len())
		}
	}
}

// TestErrorsGolden: what a mistake prints, with the suggestion it deserves.
func TestErrorsGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  func(string) string
	}{
		{"flag-typo", []string{"serve", "--adr", "127.0.0.1:0"}, env()},
		{"flag-typo-one-dash", []string{"serve", "-adr", "127.0.0.1:0"}, env()},
		{"flag-typo-with-value", []string{"serve", "--journal-sise=5"}, env()},
		{"flag-prefix", []string{"serve", "--fix", "numbers.yaml"}, env()},
		{"flag-of-nothing", []string{"serve", "--zzz"}, env()},
		{"flag-without-value", []string{"serve", "--addr"}, env()},
		{"flag-bad-syntax", []string{"serve", "---addr", "x"}, env()},
		{"contract-flag-typo", []string{"contract", "run", "--tagret", "http://127.0.0.1:1"}, env()},
		{"bool-flag", []string{"serve", "--self-check=yes"}, env()},
		{"bool-env", []string{"serve"}, env("VERBEX_MOCK_SELF_CHECK", "yes")},
		{"count-flag", []string{"serve", "--generate", "-3"}, env()},
		{"command-typo", []string{"sevre"}, env()},
		{"serve-argument", []string{"serve", "now"}, env()},
		{"proxy-no-upstream", []string{"proxy"}, env()},
		{"proxy-upstream-no-scheme", []string{"proxy", "--upstream", "api.verbex.ai"}, env()},
		{"faults-file", []string{"serve", "--faults", "testdata/bad-faults.yaml"}, env()},
		{"fixtures-file", []string{"serve", "--fixtures", "testdata/bad-fixtures.yaml"}, env()},
		{"scenario-files", []string{"contract", "run", "--dry-run", "--scenarios", "testdata/bad-scenarios"}, env()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, "error-"+tt.name, transcript(tt.args, tt.env))
		})
	}
}

// TestBoolAcceptsWhatParseBoolAccepts: every spelling strconv.ParseBool takes works
// for a boolean flag and its variable.
func TestBoolAcceptsWhatParseBoolAccepts(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"} {
		want := strings.ContainsAny(v[:1], "1tT")
		c, err := loadServeConfig([]string{"--self-check=" + v}, env(), &bytes.Buffer{})
		if err != nil || c.selfCheck != want {
			t.Errorf("--self-check=%s: %v %v", v, c.selfCheck, err)
		}
		c, err = loadServeConfig(nil, env("VERBEX_MOCK_SELF_CHECK", v), &bytes.Buffer{})
		if err != nil || c.selfCheck != want {
			t.Errorf("VERBEX_MOCK_SELF_CHECK=%s: %v %v", v, c.selfCheck, err)
		}
	}
	if c, err := loadServeConfig([]string{"--self-check"}, env(), &bytes.Buffer{}); err != nil || !c.selfCheck {
		t.Errorf("--self-check alone: %v %v", c.selfCheck, err)
	}
}

// TestFlagsParse: the forms a flag may take, and where parsing stops.
func TestFlagsParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		addr string
		gen  int
	}{
		{[]string{"--addr", "127.0.0.1:1", "--generate", "2"}, "127.0.0.1:1", 2},
		{[]string{"--addr=127.0.0.1:1", "-generate=2"}, "127.0.0.1:1", 2},
		{[]string{"-addr", "127.0.0.1:1"}, "127.0.0.1:1", 0},
		{[]string{"--addr", "-weird:1"}, "-weird:1", 0}, // a value may begin with a dash
	}
	for _, tt := range tests {
		c, err := loadServeConfig(tt.args, env(), &bytes.Buffer{})
		if err != nil || c.addr != tt.addr || c.generate != tt.gen {
			t.Errorf("%q: addr %q generate %d err %v", tt.args, c.addr, c.generate, err)
		}
	}
}

// TestCheckTarget: a target without a scheme, or with another one, gets the URL it
// probably meant.
func TestCheckTarget(t *testing.T) {
	t.Parallel()
	tests := []struct{ target, want string }{
		{"http://127.0.0.1:18473", ""},
		{"https://api.verbex.ai", ""},
		{"127.0.0.1:18473", `--target (VERBEX_MOCK_CONTRACT_TARGET): "127.0.0.1:18473" has no scheme; did you mean http://127.0.0.1:18473?`},
		{"localhost:8080", `"localhost:8080" has no scheme; did you mean http://localhost:8080?`},
		{"ftp://host", `"ftp://host": the scheme must be http or https; did you mean http://host?`},
		{"http://", `"http://" has no host`},
		{"http://a b", `"http://a b" is not a URL: invalid character " " in host name`},
	}
	var out strings.Builder
	for _, tt := range tests {
		fs := newFlagSet("contract run")
		var target string
		fs.value(urlFlag(&target), "target", "VERBEX_MOCK_CONTRACT_TARGET", "", "base URL")
		err := fs.parse([]string{"--target", tt.target}, env(), io.Discard, "contract run")
		if err == nil && target != tt.target {
			t.Errorf("%q: set %q", tt.target, target)
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.target, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: %v, want %q", tt.target, err, tt.want)
		}
		if err != nil {
			fmt.Fprintf(&out, "--target %s\n", tt.target)
			exitCode(err, &out)
		}
	}
	checkGolden(t, "error-target", out.String())
}

// TestUnknownEnv: a VERBEX_MOCK_ variable no flag reads is named, with the nearest
// one that a flag does read.
func TestUnknownEnv(t *testing.T) {
	t.Parallel()
	got := unknownEnv([]string{
		"VERBEX_MOCK_FAULT=faults.yaml", "VERBEX_MOCK_SELFCHECK=1", "VERBEX_MOCK_PORT=8080",
		"VERBEX_MOCK_ADDR=0.0.0.0:8080", "VERBEX_MOCK_CONTRACT_TAGS=x", "VERBEX_API_KEY=k", "PATH=/bin",
		"VERBEX_MOCK_CONTRACT_TARGETS=http://x",
	}, knownEnv())
	checkGolden(t, "warning-env", strings.Join(got, "\n")+"\n")
}

// TestKnownEnvIsEveryHelpVariable: the variables the warning knows are exactly those
// the commands' help lists.
func TestKnownEnvIsEveryHelpVariable(t *testing.T) {
	t.Parallel()
	var help strings.Builder
	for _, args := range [][]string{{"serve", "--help"}, {"contract", "run", "--help"}, {"contract", "list", "--help"}, {"proxy", "--help"}, {"healthcheck", "--help"}, {"openapi", "--help"}} {
		help.WriteString(transcript(args, env()))
	}
	listed := regexp.MustCompile(`VERBEX_[A-Z_]+`).FindAllString(help.String(), -1)
	slices.Sort(listed)
	listed = slices.Compact(listed)
	var known []string
	for k := range knownEnv() {
		known = append(known, k)
	}
	slices.Sort(known)
	if !slices.Equal(listed, known) {
		t.Errorf("help lists %v\nknownEnv has %v", listed, known)
	}
	for _, c := range commands {
		if c != "help" && !strings.Contains(topUsage, "verbex-mock "+c) {
			t.Errorf("commands has %q, which the usage does not list", c)
		}
	}
}

// TestUnknownEnvWarnsAtStart: the binary itself warns, on stderr, and runs on.
func TestUnknownEnvWarnsAtStart(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "version")
	cmd.Env = append(os.Environ(), "VERBEX_MOCK_TEST_AS_MAIN=1", "VERBEX_MOCK_FAULT=faults.yaml")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	want := "verbex-mock: warning: VERBEX_MOCK_FAULT is set but no flag reads it; did you mean VERBEX_MOCK_FAULTS (--faults)?\n"
	if stderr.String() != want || !strings.HasPrefix(stdout.String(), "verbex-mock ") {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
}
