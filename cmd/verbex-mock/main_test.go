package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
)

// TestMain lets the tests run this binary as verbex-mock itself (exec of os.Args[0]).
func TestMain(m *testing.M) {
	if os.Getenv("VERBEX_MOCK_TEST_AS_MAIN") == "1" {
		os.Unsetenv("VERBEX_MOCK_TEST_AS_MAIN") // the test's switch, not a variable main reads
		main()
		return
	}
	os.Exit(m.Run())
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	t.Parallel()
	badFixtures := writeFile(t, "bad.yaml", "phone_numbers:\n  - _id: a1\n    provider: sip\n    phone_number: \"+14155550199\"\n    sip_infra_region: mars\n")
	badSpec := writeFile(t, "spec.yaml", "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n")
	badFaults := writeFile(t, "faults.yaml", "- status: 503\n")
	tests := []struct {
		name       string
		args       []string
		env        func(string) string
		code       int
		wantStdout string
		wantStderr []string
	}{
		{"version", []string{"version"}, env(), 0, "verbex-mock ", nil},
		{"help", []string{"help"}, env(), 0, "verbex-mock serve", nil},
		{"no command", nil, env(), 2, "", []string{"Usage:"}},
		{"unknown command", []string{"frobnicate"}, env(), 2, "", []string{`unknown command "frobnicate"`, "Try: verbex-mock help"}},
		{"unknown flag", []string{"serve", "--nope"}, env(), 2, "", []string{"unknown flag --nope", "Try: verbex-mock serve --help"}},
		{"bad flag value", []string{"serve", "--generate", "-3"}, env(), 2, "", []string{"--generate (VERBEX_MOCK_GENERATE)", `"-3"`}},
		{"bad env value", []string{"serve"}, env("VERBEX_MOCK_SEED", "abc"), 2, "", []string{"--seed (VERBEX_MOCK_SEED)", `"abc"`}},
		{"bad log format", []string{"serve", "--log-format", "xml"}, env(), 2, "", []string{"--log-format"}},
		{"bad addr", []string{"serve", "--addr", "nope"}, env(), 2, "", []string{"--addr"}},
		{"serve help lists variables", []string{"serve", "--help"}, env(), 0, "VERBEX_MOCK_FIXTURES", nil},
		{"bad fixtures", []string{"serve", "--fixtures", badFixtures}, env(), 2, "", []string{badFixtures + ":5: record 1 (_id \"a1\"): field \"sip_infra_region\": \"mars\" is not one of 'global', 'bd' or 'bd_link3'"}},
		{"missing fixtures file", []string{"serve", "--fixtures", "/nonexistent.yaml"}, env(), 2, "", []string{"/nonexistent.yaml"}},
		{"bad spec", []string{"serve", "--spec", badSpec}, env(), 2, "", []string{badSpec, "no path /v1/phone-numbers/{phone_number_id}"}},
		{"off-document fault", []string{"serve"}, env("VERBEX_MOCK_FAULTS", badFaults), 2, "", []string{"faults.yaml:1: rule 1: status: 503 is not a status the document lists", "off_document: true"}},
		{"healthcheck unreachable", []string{"healthcheck", "--addr", "127.0.0.1:1", "--timeout", "500ms"}, env(), 1, "", []string{"unhealthy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr, tt.env)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantStdout)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q lacks %q", stderr.String(), w)
				}
			}
		})
	}
}

func TestServeConfigPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  func(string) string
		addr string
		seed uint64
	}{
		{"defaults", nil, env(), "127.0.0.1:8080", 20260226},
		{"env", nil, env("VERBEX_MOCK_ADDR", "0.0.0.0:9000", "VERBEX_MOCK_SEED", "7"), "0.0.0.0:9000", 7},
		{"flag wins", []string{"--addr", "127.0.0.1:1234", "--seed", "9"}, env("VERBEX_MOCK_ADDR", "0.0.0.0:9000", "VERBEX_MOCK_SEED", "7"), "127.0.0.1:1234", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadServeConfig(tt.args, tt.env, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if c.addr != tt.addr || c.seed != tt.seed {
				t.Errorf("addr %q seed %d, want %q %d", c.addr, c.seed, tt.addr, tt.seed)
			}
		})
	}
}

// child is this test binary running as verbex-mock.
type child struct {
	cmd    *exec.Cmd
	url    string // from its JSON start log
	stdout bytes.Buffer
	stderr bytes.Buffer  // every line it logged: read it once done is closed
	done   chan struct{} // closed when stderr is read to its end
}

// startChild runs this test binary as verbex-mock with args and waits until it
// logs that it is listening.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], args...)
	c.cmd.Env = append(os.Environ(), "VERBEX_MOCK_TEST_AS_MAIN=1", "VERBEX_MOCK_LOG_FORMAT=json")
	c.cmd.Stdout = &c.stdout
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); <-c.done; _ = c.cmd.Wait() })
	listening := make(chan string, 1)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "verbex-mock listening" {
				listening <- line.URL
			}
			c.stderr.Write(sc.Bytes())
			c.stderr.WriteByte('\n')
		}
		close(listening)
	}()
	url, ok := <-listening
	if !ok {
		<-c.done
		t.Fatalf("the child exited without listening:\n%s", c.stderr.String())
	}
	c.url = url
	return c
}

// stop sends SIGTERM and returns the exit code once the child has written everything.
func (c *child) stop(t *testing.T) int {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM")
	}
	err := c.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestServeStopsOnSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			c := startChild(t, "serve", "--addr", "127.0.0.1:0")
			cmd, url := c.cmd, c.url
			resp, err := http.Post(url+"/__admin/reset", "application/json", nil)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("reset: %v %v", err, resp)
			}
			resp.Body.Close()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit after %v: %v, want 0", sig, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10s after %v", sig)
			}
		})
	}
}

func TestContractCommand(t *testing.T) {
	t.Parallel()
	fake, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	writeFileIn(t, dir, "wrong.yaml", "name: expects the wrong status\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901, json: {}}\n    expect: {status: 201}\n")
	badDir := t.TempDir()
	writeFileIn(t, badDir, "typo.yaml", "name: typo\nsteps:\n  - request: {method: PATCH, path: /v1/phone-numbers/x, json: {}}\n    expect: {status: 200, bdy: {}}\n")
	junit := filepath.Join(t.TempDir(), "junit.xml")
	silent := mocktest.Unresponsive(t)
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout []string
		wantStderr []string
	}{
		{"suite passes", []string{"contract", "run", "--target", ts.URL, "--states", "/__admin/states", "--junit", junit}, 0, []string{"29 passed, 0 failed, 0 skipped, 0 errors; generated (seed "}, nil},
		{"contract failure", []string{"contract", "run", "--target", ts.URL, "--scenarios", dir}, 1, []string{"status 200, expected 201", "reproduce:", "0 passed, 1 failed, 0 skipped"}, nil},
		{"scenario mistake", []string{"contract", "run", "--target", ts.URL, "--scenarios", badDir}, 2, nil, []string{badDir + "/typo.yaml:4: unknown key \"bdy\" in expect"}},
		{"refused", []string{"contract", "run", "--target", "http://127.0.0.1:1"}, 3, nil, []string{"target unreachable"}},
		{"never answers", []string{"contract", "run", "--target", silent, "--timeout", "300ms"}, 3, nil, []string{"target unreachable"}},
		{"no target", []string{"contract", "run"}, 2, nil, []string{"--target"}},
		{"list", []string{"contract", "list", "--tags", "routing"}, 0, []string{"method-not-allowed.yaml", "unrouted.yaml"}, nil},
		{"dry run", []string{"contract", "run", "--dry-run", "--tags", "faults"}, 0, []string{"0 passed, 0 failed, 1 skipped"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr, env())
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if slices.Contains(tt.args, "--junit") {
				if b, err := os.ReadFile(junit); err != nil || !bytes.Contains(b, []byte(`<testsuite name="verbex-mock contract`)) {
					t.Errorf("JUnit file: %v %.100s", err, b)
				}
			}
		})
	}
}

func writeFileIn(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
