package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	t.Parallel()
	vcs := func(rev, time, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: time}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "7f62b41f1a6def1bcef65ad4f5fa950bfac4ecdd"
	tests := []struct {
		name                  string
		version, commit, date string // the -ldflags -X values
		info                  *debug.BuildInfo
		want                  buildVersion
	}{
		{
			name:    "release flags win over the build info",
			version: "v1.2.3", commit: rev, date: "2026-11-27T04:00:00Z",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("ffff", "2020-01-01T00:00:00Z", "true")},
			want: buildVersion{Version: "v1.2.3", Commit: rev, Date: "2026-11-27T04:00:00Z", Go: "go1.26.8"},
		},
		{
			name: "go install …@v1.2.3: the module version, no VCS",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/verbex/verbex-mock", Version: "v1.2.3", Sum: "h1:x"}},
			want: buildVersion{Version: "v1.2.3", Go: "go1.26.8"},
		},
		{
			name: "go install …@main: a pseudo-version names the commit and its time",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.4-0.20261127033956-7f62b41f1a6d"}},
			want: buildVersion{Version: "v1.2.4-0.20261127033956-7f62b41f1a6d", Commit: "7f62b41f1a6d", Date: "2026-11-27T03:39:56Z", Go: "go1.26.8"},
		},
		{
			name: "go build in a clone: VCS settings give the full commit",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261127033956-7f62b41f1a6d+dirty"}, Settings: vcs(rev, "2026-11-27T03:39:56Z", "true")},
			want: buildVersion{Version: "v0.0.0-20261127033956-7f62b41f1a6d+dirty", Commit: rev, Date: "2026-11-27T03:39:56Z", Modified: true, Go: "go1.26.8"},
		},
		{
			name: "a dirty pseudo-version without VCS settings",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261127033956-7f62b41f1a6d+dirty"}},
			want: buildVersion{Version: "v0.0.0-20261127033956-7f62b41f1a6d+dirty", Commit: "7f62b41f1a6d", Date: "2026-11-27T03:39:56Z", Go: "go1.26.8"},
		},
		{
			name: "go build without VCS stamping",
			info: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-11-27T03:39:56Z", "false")},
			want: buildVersion{Version: "dev", Commit: rev, Date: "2026-11-27T03:39:56Z", Go: "go1.26.8"},
		},
		{
			name: "nothing known",
			info: nil,
			want: buildVersion{Version: "dev", Go: runtime.Version()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := resolveVersion(tt.version, tt.commit, tt.date, tt.info); got != tt.want {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	t.Parallel()
	got := buildVersion{Version: "v1.2.3", Commit: "abc", Modified: true, Go: "go1.26.8"}.String()
	want := "verbex-mock v1.2.3\ncommit: abc (modified)\ndate:   unknown\ngo:     go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if ua := userAgent(); !strings.HasPrefix(ua, "verbex-mock/") || ua != "verbex-mock/"+versionString() {
		t.Errorf("userAgent() = %q", ua)
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout *regexp.Regexp
		wantStderr string
	}{
		{"version", []string{"version"}, 0, regexp.MustCompile(`^verbex-mock \S+\ncommit: .+\ndate:   .+\ngo:     go\S+ \w+/\w+\n$`), ""},
		{"--version", []string{"--version"}, 0, regexp.MustCompile(`^verbex-mock \S+\n`), ""},
		{"short", []string{"version", "--short"}, 0, regexp.MustCompile(`^\S+\n$`), ""},
		{"help is help, not the version", []string{"version", "--help"}, 0, regexp.MustCompile(`^Usage: verbex-mock version`), ""},
		{"-h", []string{"version", "-h"}, 0, regexp.MustCompile(`^Usage: verbex-mock version`), ""},
		{"an argument", []string{"version", "v2"}, 2, regexp.MustCompile(`^$`), `version takes no arguments, got "v2"`},
		{"an unknown flag", []string{"version", "--json"}, 2, regexp.MustCompile(`^$`), "Try: verbex-mock version --help"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stdout, &stderr, env()); code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if !tt.wantStdout.MatchString(stdout.String()) {
				t.Errorf("stdout %q does not match %s", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// goTool is the go command the tests that build a binary use; they are skipped with
// -short or without one.
func goTool(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds the binary; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command on PATH")
	}
	return gobin
}

func runCmd(tb testing.TB, dir string, env []string, name string, args ...string) string {
	tb.Helper()
	cmd := exec.CommandContext(tb.Context(), name, args...)
	// A test binary that times out exits without cleanups; the kernel then ends a
	// build it started, instead of leaving it running orphaned.
	endWithParent(cmd)
	cmd.Dir = dir
	// The test's own switches (VERBEX_MOCK_TEST_…) would make the binary warn of a
	// variable no flag reads.
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "VERBEX_MOCK_TEST_") }), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// goreleaserLdflags is the ldflags line of .goreleaser.yaml with its templates filled
// in, so this test builds exactly what a release stamps.
func goreleaserLdflags(tb testing.TB, vars map[string]string) string {
	tb.Helper()
	b, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+ldflags:\s*\n\s+- (.+)$`).FindSubmatch(b)
	if m == nil {
		tb.Fatal(".goreleaser.yaml has no ldflags list")
	}
	flags := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`).ReplaceAllStringFunc(string(m[1]), func(s string) string {
		name := strings.Trim(s, "{} .")
		v, ok := vars[name]
		if !ok {
			tb.Fatalf("ldflags template %s: no value for it in this test", s)
		}
		return v
	})
	return strings.Trim(flags, `"'`)
}

// TestVersionBuilds builds the binary as a release does and as `go install …@v1.2.3` does,
// and runs it. One after the other: the second reuses what the first compiled.
func TestVersionBuilds(t *testing.T) {
	t.Parallel()
	gobin := goTool(t)
	t.Run("release flags", func(t *testing.T) { testVersionReleaseBuild(t, gobin) })
	t.Run("go install", func(t *testing.T) {
		// Minutes on 2 busy cores (this module's packages build again under their
		// module-cache path), so not in every `go test ./...`: .ci/checks/40-release.sh
		// runs it with the variable set and a timeout of its own.
		if os.Getenv("VERBEX_MOCK_TEST_GO_INSTALL") != "1" {
			t.Skip("set VERBEX_MOCK_TEST_GO_INSTALL=1 to run go install …@v1.2.3 for real")
		}
		testVersionGoInstall(t, gobin)
	})
}

// testVersionReleaseBuild builds the binary with the release's -ldflags -X flags (taken
// from .goreleaser.yaml) and runs it, as a user runs a downloaded release.
func testVersionReleaseBuild(t *testing.T, gobin string) {
	ldflags := goreleaserLdflags(t, map[string]string{"Version": "1.2.3", "FullCommit": "0123456789abcdef0123456789abcdef01234567", "Date": "2026-11-27T04:05:06Z"})
	bin := filepath.Join(t.TempDir(), "verbex-mock")
	// -trimpath as the release builds, which also lets the build cache be shared with them.
	runCmd(t, "../..", []string{"CGO_ENABLED=0"}, gobin, "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/verbex-mock")
	want := "verbex-mock v1.2.3\ncommit: 0123456789abcdef0123456789abcdef01234567\ndate:   2026-11-27T04:05:06Z\n"
	if got := runCmd(t, "", nil, bin, "version"); !strings.HasPrefix(got, want) {
		t.Errorf("version printed\n%s\nwant it to start with\n%s", got, want)
	}
	if got := runCmd(t, "", nil, bin, "version", "--help"); !strings.HasPrefix(got, "Usage: verbex-mock version") {
		t.Errorf("version --help printed %q", got)
	}
}

// testVersionGoInstall runs `go install github.com/verbex/verbex-mock/cmd/verbex-mock@v1.2.3`
// for real, from a module proxy in a directory that serves this tree as v1.2.3 (other
// modules come from the module cache), and checks the installed binary says v1.2.3.
func testVersionGoInstall(t *testing.T, gobin string) {
	const modPath, modVersion = "github.com/verbex/verbex-mock", "v1.2.3"
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeModuleToProxy(t, proxy, "../..", modPath, modVersion)

	modcache := strings.TrimSpace(runCmd(t, "", nil, gobin, "env", "GOMODCACHE"))
	upstream := strings.TrimSpace(runCmd(t, "", nil, gobin, "env", "GOPROXY"))
	out := filepath.Join(tmp, "bin")
	runCmd(t, tmp, []string{
		"GOBIN=" + out,
		// A module cache of its own, so the v1.2.3 made here never reaches the real one.
		"GOMODCACHE=" + filepath.Join(tmp, "modcache"),
		"GOPROXY=file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(modcache, "cache", "download")) + "," + upstream,
		"GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local",
		// -modcacherw so TempDir can remove it. -trimpath and no cgo, as the release build
		// above and the CI checks: their compiled dependencies are reused.
		"GOFLAGS=-modcacherw -trimpath", "CGO_ENABLED=0",
	}, gobin, "install", modPath+"/cmd/verbex-mock@"+modVersion)
	bin := filepath.Join(out, "verbex-mock")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	got := runCmd(t, "", nil, bin, "version")
	if !strings.HasPrefix(got, "verbex-mock v1.2.3\ncommit: unknown\n") {
		t.Errorf("version printed\n%s", got)
	}
	if got := runCmd(t, "", nil, bin, "version", "--short"); got != "v1.2.3\n" {
		t.Errorf("version --short printed %q", got)
	}
}

// writeModuleToProxy lays out dir as a GOPROXY (file://) serving the module in root at
// version: the files git would put in a tag (tracked plus untracked, not ignored).
func writeModuleToProxy(tb testing.TB, proxy, root, modPath, version string) {
	tb.Helper()
	files := strings.Split(strings.TrimSuffix(runCmd(tb, root, nil, "git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"), "\x00"), "\x00")
	at := filepath.Join(proxy, filepath.FromSlash(modPath), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		tb.Fatal(err)
	}
	// Like the go command's module zips: a folder with a go.mod of its own (the
	// generated-client example) is another module and stays out.
	var nested []string
	for _, name := range files {
		if strings.HasSuffix(name, "/go.mod") {
			nested = append(nested, strings.TrimSuffix(name, "go.mod"))
		}
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, name := range files {
		if slices.ContainsFunc(nested, func(dir string) bool { return strings.HasPrefix(name, dir) }) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			tb.Fatal(err)
		}
		w, err := zw.Create(modPath + "@" + version + "/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		tb.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": "2026-11-27T00:00:00Z"})
	for name, content := range map[string][]byte{"list": []byte(version + "\n"), version + ".info": info, version + ".mod": gomod, version + ".zip": zbuf.Bytes()} {
		if err := os.WriteFile(filepath.Join(at, name), content, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
