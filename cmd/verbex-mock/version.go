package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
)

// Set by release builds (.goreleaser.yaml, the Dockerfile):
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=<sha> -X main.date=<RFC 3339>"
//
// Empty in other builds; buildVersion then falls back to the build info, which
// `go install …@v1.2.3` fills with the module version.
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildVersion is what `verbex-mock version` prints.
type buildVersion struct {
	Version  string // v1.2.3, a pseudo-version, or "dev"
	Commit   string // full or abbreviated revision; "" when unknown
	Date     string // RFC 3339: the build's for releases, else the commit's; "" when unknown
	Modified bool   // the VCS commit plus uncommitted changes
	Go       string // toolchain, e.g. go1.26.8
}

// pseudoVersion matches the tail of a Go pseudo-version (…-yyyymmddhhmmss-abcdefabcdef),
// which `go install …@main` or @<commit> stamps: it names the commit and its time.
var pseudoVersion = regexp.MustCompile(`[-.](\d{14})-([0-9a-f]{12})(?:\+incompatible)?(?:\+dirty)?$`)

// resolveVersion is pure so tests can feed it any build info. Link-time flags win, then
// the build info: the module version, the VCS settings of a build in a clone, and what a
// pseudo-version says when there are none.
func resolveVersion(version, commit, date string, info *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: version, Commit: commit, Date: date, Go: runtime.Version()}
	if info == nil {
		info = &debug.BuildInfo{}
	}
	if info.GoVersion != "" {
		v.Go = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if v.Commit == "" {
				v.Commit = s.Value
			}
		case "vcs.time":
			if v.Date == "" {
				v.Date = s.Value
			}
		case "vcs.modified":
			// Only about the VCS commit: a release's flags describe a clean tag.
			v.Modified = s.Value == "true" && commit == ""
		}
	}
	if v.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version
		if m := pseudoVersion.FindStringSubmatch(v.Version); m != nil {
			if v.Commit == "" {
				v.Commit = m[2]
			}
			if t := m[1]; v.Date == "" {
				v.Date = t[0:4] + "-" + t[4:6] + "-" + t[6:8] + "T" + t[8:10] + ":" + t[10:12] + ":" + t[12:14] + "Z"
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

func currentVersion() buildVersion {
	info, _ := debug.ReadBuildInfo()
	return resolveVersion(version, commit, date, info)
}

// versionString is the version alone, for the start log and anything else that
// names this build in one word.
func versionString() string { return currentVersion().Version }

// userAgent is what verbex-mock sends as User-Agent when it is the client (the
// contract runner), so a target's logs show which build probed it.
func userAgent() string { return "verbex-mock/" + versionString() }

func (v buildVersion) String() string {
	orUnknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	c := orUnknown(v.Commit)
	if v.Modified {
		c += " (modified)"
	}
	return fmt.Sprintf("verbex-mock %s\ncommit: %s\ndate:   %s\ngo:     %s %s/%s\n",
		v.Version, c, orUnknown(v.Date), v.Go, runtime.GOOS, runtime.GOARCH)
}

const versionUsage = `Usage: verbex-mock version [--short]

Prints the version, the commit, the date (a release's build date, otherwise the
commit's) and the Go toolchain and platform.
Release binaries and images carry the release's; "go install …@vX.Y.Z" builds
carry the module version; other builds say "dev".

Flags:
  --short  print the version alone
`

func versionCmd(args []string, stdout io.Writer) error {
	fs := newFlagSet("version")
	short := fs.Bool("short", false, "print the version alone")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, versionUsage)
			return nil
		}
		return &usageError{msg: err.Error(), hint: "verbex-mock version --help"}
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("version takes no arguments, got %q", fs.Arg(0)), hint: "verbex-mock version --help"}
	}
	v := currentVersion()
	if *short {
		fmt.Fprintln(stdout, v.Version)
		return nil
	}
	fmt.Fprint(stdout, v)
	return nil
}
