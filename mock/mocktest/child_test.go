package mocktest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
)

// childEnv makes this test binary run the deliberately failing TestChild… tests;
// without it they skip.
const childEnv = "MOCKTEST_CHILD"

// TestChildSharedServer is what TestHelperFailsOnlyItsSubtest runs in a child
// process: one shared fake, parallel subtests, two of which make mistakes.
func TestChildSharedServer(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestHelperFailsOnlyItsSubtest")
	}
	fake := mocktest.NewServer(t, mock.Options{})
	id := fake.IDs["sip"][0]
	t.Run("state typo", func(t *testing.T) {
		t.Parallel()
		h := fake.For(t)
		h.Patch(id, `{"sip_trunk_password":"hunter2"}`)
		h.SetState("a Sip number exists", nil)
		t.Log("not reached")
	})
	t.Run("field typo", func(t *testing.T) {
		t.Parallel()
		h := fake.For(t)
		h.Patch(id, `{"inbound_agent_id":null}`)
		if h.Field(id, "inbound_agent") != nil {
			t.Log("not reached")
		}
	})
	for _, name := range []string{"ok 1", "ok 2"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := fake.For(t)
			h.Patch(id, `{"friendly_name":"`+name+`"}`)
			if got := h.Field(id, "friendly_name"); got != name {
				t.Errorf("friendly_name = %v, want %q: sessions leak", got, name)
			}
		})
	}
}

// TestChildServerHelperInSubtest: the mistake of issue 13, a Server helper (bound to
// the parent's t) called in a parallel subtest. It must not panic the binary.
func TestChildServerHelperInSubtest(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestHelperFailsOnlyItsSubtest")
	}
	fake := mocktest.NewServer(t, mock.Options{})
	t.Run("typo", func(t *testing.T) {
		t.Parallel()
		fake.SetState("a Sip number exists", nil)
	})
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		fake.For(t).Patch(fake.IDs["pia"][0], `{}`)
	})
}

// TestChildPasses: a test after the failing ones still runs and passes.
func TestChildPasses(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestHelperFailsOnlyItsSubtest")
	}
	mocktest.NewServer(t, mock.Options{}).For(t).Patch("6650a1f2c3d4e5f6a7b8c904", `{}`)
}

// event is one line of go test -json.
type event struct {
	Action, Test, Output string
}

// TestHelperFailsOnlyItsSubtest runs the TestChild… tests in a child process
// through test2json (what go test -json prints) and checks which tests failed.
func TestHelperFailsOnlyItsSubtest(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a child process")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run test2json")
	}
	cmd := exec.Command(goBin, "tool", "test2json", "-t", os.Args[0], "-test.v=test2json", "-test.run=^TestChild", "-test.count=1", "-test.parallel=4")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("child: %v, want exit 1 (tests failed)\n%s\n%s", err, out, stderr.String())
	}
	result := map[string]string{}
	output := map[string]*strings.Builder{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not test2json: %q", sc.Text())
		}
		switch e.Action {
		case "pass", "fail", "skip":
			result[e.Test] = e.Action
		case "output":
			if output[e.Test] == nil {
				output[e.Test] = &strings.Builder{}
			}
			output[e.Test].WriteString(e.Output)
		}
	}
	for test, want := range map[string]string{
		"TestChildSharedServer":               "fail", // a parent fails with its subtests
		"TestChildSharedServer/state_typo":    "fail",
		"TestChildSharedServer/field_typo":    "fail",
		"TestChildSharedServer/ok_1":          "pass",
		"TestChildSharedServer/ok_2":          "pass",
		"TestChildServerHelperInSubtest":      "fail",
		"TestChildServerHelperInSubtest/typo": "pass", // the parent's helper reported to the parent
		"TestChildServerHelperInSubtest/ok":   "pass",
		"TestChildPasses":                     "pass",
		"":                                    "fail", // the package
	} {
		if got := result[test]; got != want {
			t.Errorf("%s: %q, want %q", test, got, want)
		}
	}
	text := func(test string) string {
		if b := output[test]; b != nil {
			return b.String()
		}
		return ""
	}
	for test, wants := range map[string][]string{
		"TestChildSharedServer/state_typo": {`did you mean "a SIP number exists"?`, "the fake's last 1 of 1 requests", `"sip_trunk_password":"[REDACTED]"`},
		"TestChildSharedServer/field_typo": {`did you mean "inbound_agent_id"?`, `"inbound_agent_id":null`},
		"TestChildServerHelperInSubtest":   {`did you mean "a SIP number exists"?`, "use fake.For(t)"},
	} {
		for _, w := range wants {
			if !strings.Contains(text(test), w) {
				t.Errorf("%s's output lacks %q:\n%s", test, w, text(test))
			}
		}
	}
	all := string(out)
	for _, never := range []string{"hunter2", "not reached", "panic:"} {
		if strings.Contains(all, never) {
			t.Errorf("the child's output shows %q:\n%s", never, all)
		}
	}
}
