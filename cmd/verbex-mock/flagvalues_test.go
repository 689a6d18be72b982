package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// TestTypedFlags: each typed flag takes what its kind means and refuses the rest with
// the flag's name, from the command line and the environment alike.
func TestTypedFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string // error text; "" for none
		ok   func(serveConfig) bool
	}{
		{"size in bytes", []string{"--journal-bytes", "4096"}, env(), "", func(c serveConfig) bool { return c.journalBytes == 4096 }},
		{"size with a unit", []string{"--journal-bytes", "64MiB"}, env(), "", func(c serveConfig) bool { return c.journalBytes == 64<<20 }},
		{"size in SI units", nil, env("VERBEX_MOCK_STATE_BYTES", "2 mb"), "", func(c serveConfig) bool { return c.stateBytes == 2e6 }},
		{"size zero", []string{"--max-body-bytes", "0"}, env(), `--max-body-bytes (VERBEX_MOCK_MAX_BODY_BYTES): "0" is not a positive byte count (such as 1048576 or 64MiB)`, nil},
		{"size overflow", []string{"--inflight-bytes", "9000000000GiB"}, env(), `"9000000000GiB" is not a positive byte count`, nil},
		{"size unit alone", []string{"--inflight-bytes", "MiB"}, env(), `"MiB" is not a positive byte count`, nil},
		{"duration", []string{"--idle-timeout", "1m30s"}, env(), "", func(c serveConfig) bool { return c.idleTimeout == 90*time.Second }},
		{"duration without unit", nil, env("VERBEX_MOCK_READ_TIMEOUT", "30"), `--read-timeout (VERBEX_MOCK_READ_TIMEOUT): "30" is not a positive duration such as 10s`, nil},
		{"negative duration", []string{"--shutdown-timeout=-1s"}, env(), `"-1s" is not a positive duration`, nil},
		{"count below its least", []string{"--max-conns", "1"}, env(), `--max-conns (VERBEX_MOCK_MAX_CONNS): "1" is not a count (2 or more)`, nil},
		{"positive count", []string{"--max-sessions", "0"}, env(), `"0" is not a positive count`, nil},
		{"generate past the bound", []string{"--generate", "100001"}, env(), "--generate (VERBEX_MOCK_GENERATE): 100001 is more than 100000", nil},
		{"addr", []string{"--addr", "localhost"}, env(), `--addr (VERBEX_MOCK_ADDR): "localhost" is not host:port`, nil},
		{"comma list", nil, env("VERBEX_MOCK_ALLOWED_HOSTS", " mock , ,fake.local"), "", func(c serveConfig) bool { return strings.Join(c.allowedHosts, "|") == "mock|fake.local" }},
		{"level", []string{"--log-level", "loud"}, env(), `--log-level (VERBEX_MOCK_LOG_LEVEL): "loud": want debug, info, warn or error`, nil},
		{"flag wins over a bad variable", []string{"--seed", "5"}, env("VERBEX_MOCK_SEED", "x"), "", func(c serveConfig) bool { return c.seed == 5 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadServeConfig(tt.args, tt.env, &bytes.Buffer{})
			switch {
			case tt.want == "" && (err != nil || !tt.ok(c)):
				t.Errorf("err %v, config %+v", err, c)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// TestContractRunFlags: the rate refuses what is not a finite number (NaN passes every
// comparison), pairs from a variable are a comma-separated list, and a rate or seed
// given counts as given.
func TestContractRunFlags(t *testing.T) {
	t.Parallel()
	parse := func(args []string, getenv func(string) string) (*runFlags, *flagSet, error) {
		var r runFlags
		fs := newFlagSet("contract run")
		r.register(fs)
		return &r, fs, fs.parse(args, getenv, &bytes.Buffer{}, "contract run")
	}
	for _, bad := range []string{"NaN", "+Inf", "-1", "fast"} {
		if _, _, err := parse([]string{"--rate", bad}, env()); err == nil || !strings.Contains(err.Error(), "is not a rate") {
			t.Errorf("--rate %s: %v", bad, err)
		}
	}
	r, fs, err := parse(nil, env("VERBEX_MOCK_CONTRACT_RATE", "0", "VERBEX_MOCK_CONTRACT_VARS", "a=1, b=, c=x=y", "VERBEX_MOCK_CONTRACT_IDS", "sip=s1,pia=p1"))
	if err != nil || r.cfg.Rate != 0 || !fs.isSet("rate") || fs.isSet("seed") {
		t.Fatalf("rate %v set %v: %v", r.cfg.Rate, fs.isSet("rate"), err)
	}
	if v := r.cfg.Vars; len(v) != 3 || v["a"] != "1" || v["b"] != "" || v["c"] != "x=y" {
		t.Errorf("vars %v", v)
	}
	if ids := r.cfg.IDs; len(ids) != 2 || ids["sip"] != "s1" || ids["pia"] != "p1" {
		t.Errorf("ids %v", ids)
	}
	if _, _, err := parse([]string{"--id", "sip="}, env()); err == nil || !strings.Contains(err.Error(), `"sip=": want PROVIDER=ID`) {
		t.Errorf("--id sip=: %v", err)
	}
	if _, _, err := parse([]string{"--run", "a("}, env()); err == nil || !strings.HasPrefix(err.Error(), "--run (VERBEX_MOCK_CONTRACT_RUN): ") {
		t.Errorf("--run a(: %v", err)
	}
	r, _, err = parse([]string{"--rate", "2.5", "--replay", "7:3", "--max-duration", "5m"}, env())
	if err != nil || r.cfg.Rate != 2.5 || r.replay != (replay{seed: 7, index: 3, set: true}) || r.cfg.MaxDuration != 5*time.Minute || math.IsNaN(r.cfg.Rate) {
		t.Errorf("%+v %v", r, err)
	}
}
