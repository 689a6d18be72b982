package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The typed flags: each parses and checks its value when it is set, from the command
// line or the environment alike, so that a command reads finished values after parse.

// valueError is a value a typed flag refuses. parse puts the flag and its variable
// before it: `--generate (VERBEX_MOCK_GENERATE): "-3" is not a count (0 or more)`.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

func refuse(format string, a ...any) error { return &valueError{msg: fmt.Sprintf(format, a...)} }

// countValue is an int of at least min.
type countValue struct {
	p   *int
	min int
}

func countFlag(p *int, min int) flag.Value { return countValue{p, min} }

func (v countValue) String() string { return formatPtr(v.p, strconv.Itoa) }
func (v countValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < v.min {
		switch v.min {
		case 1:
			return refuse("%q is not a positive count", s)
		default:
			return refuse("%q is not a count (%d or more)", s, v.min)
		}
	}
	*v.p = n
	return nil
}

// uintValue is a uint64 of at least min (a seed).
type uintValue struct {
	p   *uint64
	min uint64
}

func uintFlag(p *uint64, min uint64) flag.Value { return uintValue{p, min} }

func (v uintValue) String() string {
	return formatPtr(v.p, func(n uint64) string { return strconv.FormatUint(n, 10) })
}
func (v uintValue) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < v.min {
		if v.min > 0 {
			return refuse("%q is not a positive integer", s)
		}
		return refuse("%q is not a non-negative integer", s)
	}
	*v.p = n
	return nil
}

// durationValue is a positive time.Duration.
type durationValue struct{ p *time.Duration }

func durationFlag(p *time.Duration) flag.Value { return durationValue{p} }

func (v durationValue) String() string { return formatPtr(v.p, time.Duration.String) }
func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return refuse("%q is not a positive duration such as 10s", s)
	}
	*v.p = d
	return nil
}

// rateValue is requests per second: a finite number, 0 or more.
type rateValue struct{ p *float64 }

func rateFlag(p *float64) flag.Value { return rateValue{p} }

func (v rateValue) String() string {
	return formatPtr(v.p, func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) })
}
func (v rateValue) Set(s string) error {
	r, err := strconv.ParseFloat(s, 64)
	// NaN passes every comparison, and +Inf would be no limit by another name.
	if err != nil || r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return refuse("%q is not a rate (requests per second; 0: no limit)", s)
	}
	*v.p = r
	return nil
}

// sizeValue is a positive byte count: a number of bytes, or one with a unit
// (KiB, MiB, GiB; KB, MB, GB count in thousands).
type sizeValue struct{ p *int64 }

func sizeFlag(p *int64) flag.Value { return sizeValue{p} }

var sizeUnits = []struct {
	suffix string
	factor int64
}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"b", 1}}

func (v sizeValue) String() string {
	return formatPtr(v.p, func(n int64) string { return strconv.FormatInt(n, 10) })
}
func (v sizeValue) Set(s string) error {
	digits, factor := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if len(digits) > len(u.suffix) && strings.EqualFold(digits[len(digits)-len(u.suffix):], u.suffix) {
			digits, factor = strings.TrimSpace(digits[:len(digits)-len(u.suffix)]), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/factor {
		return refuse("%q is not a positive byte count (such as 1048576 or 64MiB)", s)
	}
	*v.p = n * factor
	return nil
}

// enumValue is one of a few words, in any case; it stores the word as listed.
type enumValue struct {
	p      *string
	values []string
}

func enumFlag(p *string, values ...string) flag.Value { return enumValue{p, values} }

func (v enumValue) String() string { return formatPtr(v.p, func(s string) string { return s }) }
func (v enumValue) Set(s string) error {
	for _, w := range v.values {
		if strings.EqualFold(s, w) {
			*v.p = w
			return nil
		}
	}
	return refuse("%q: want %s", s, orList(v.values))
}

// levelValue is a log level by name, in any case.
type levelValue struct{ p *slog.Level }

func levelFlag(p *slog.Level) flag.Value { return levelValue{p} }

func (v levelValue) String() string { return formatPtr(v.p, slog.Level.String) }
func (v levelValue) Set(s string) error {
	if err := v.p.UnmarshalText([]byte(s)); err != nil {
		return refuse("%q: want debug, info, warn or error", s)
	}
	return nil
}

// addrValue is a listen or dial address, host:port.
type addrValue struct{ p *string }

func addrFlag(p *string) flag.Value { return addrValue{p} }

func (v addrValue) String() string { return formatPtr(v.p, func(s string) string { return s }) }
func (v addrValue) Set(s string) error {
	if _, _, err := net.SplitHostPort(s); err != nil {
		return refuse("%q is not host:port", s)
	}
	*v.p = s
	return nil
}

// urlValue is an http or https base URL; it explains a missing scheme before
// url.Parse's own words ("first path segment in URL cannot contain colon") would.
type urlValue struct{ p *string }

func urlFlag(p *string) flag.Value { return urlValue{p} }

func (v urlValue) String() string { return formatPtr(v.p, func(s string) string { return s }) }
func (v urlValue) Set(s string) error {
	if err := checkBaseURL(s); err != nil {
		return err
	}
	*v.p = s
	return nil
}

func checkBaseURL(s string) error {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return refuse("%q has no scheme; did you mean http://%s?", s, s)
	}
	if scheme != "http" && scheme != "https" {
		return refuse("%q: the scheme must be http or https; did you mean http://%s?", s, rest)
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return refuse("%q is not a URL: %v", s, err)
	}
	if u.Host == "" {
		return refuse("%q has no host", s)
	}
	return nil
}

// regexpValue is a regular expression, compiled.
type regexpValue struct{ p **regexp.Regexp }

func regexpFlag(p **regexp.Regexp) flag.Value { return regexpValue{p} }

func (v regexpValue) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return (*v.p).String()
}
func (v regexpValue) Set(s string) error {
	re, err := regexp.Compile(s)
	if err != nil {
		return refuse("%v", err)
	}
	*v.p = re
	return nil
}

// csvValue is a comma-separated list; blanks around and between items are dropped.
type csvValue struct{ p *[]string }

func csvFlag(p *[]string) flag.Value { return csvValue{p} }

func (v csvValue) String() string {
	return formatPtr(v.p, func(l []string) string { return strings.Join(l, ",") })
}
func (v csvValue) Set(s string) error {
	*v.p = nil
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*v.p = append(*v.p, item)
		}
	}
	return nil
}

// pairsValue is a repeatable KEY=VALUE flag into a map; its environment variable
// takes a comma-separated list of pairs.
type pairsValue struct {
	p    *map[string]string
	want string // how the help writes a pair: name=value, PROVIDER=ID
	// emptyValue allows KEY= (a template variable may be empty; an id may not).
	emptyValue bool
}

func pairsFlag(p *map[string]string, want string, emptyValue bool) flag.Value {
	return pairsValue{p, want, emptyValue}
}

func (v pairsValue) String() string {
	if v.p == nil {
		return ""
	}
	pairs := make([]string, 0, len(*v.p))
	for k, val := range *v.p {
		pairs = append(pairs, k+"="+val)
	}
	return strings.Join(pairs, ",")
}
func (v pairsValue) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" || val == "" && !v.emptyValue {
		return refuse("%q: want %s", s, v.want)
	}
	if *v.p == nil {
		*v.p = map[string]string{}
	}
	(*v.p)[k] = val
	return nil
}

// SetEnv reads the variable's comma-separated list.
func (v pairsValue) SetEnv(s string) error {
	for _, pair := range strings.Split(s, ",") {
		if err := v.Set(strings.TrimSpace(pair)); err != nil {
			return err
		}
	}
	return nil
}

// replay is a generated case named as a report names it, SEED:INDEX.
type replay struct {
	seed  uint64
	index int
	set   bool
}

type replayValue struct{ p *replay }

func replayFlag(p *replay) flag.Value { return replayValue{p} }

func (v replayValue) String() string {
	if v.p == nil || !v.p.set {
		return ""
	}
	return fmt.Sprintf("%d:%d", v.p.seed, v.p.index)
}
func (v replayValue) Set(s string) error {
	seed, index, ok := strings.Cut(s, ":")
	rs, err1 := strconv.ParseUint(seed, 10, 64)
	ri, err2 := strconv.Atoi(index)
	if !ok || err1 != nil || err2 != nil || rs == 0 || ri < 0 {
		return refuse("%q: want SEED:INDEX as a report names a generated case", s)
	}
	*v.p = replay{seed: rs, index: ri, set: true}
	return nil
}

// formatPtr formats what p points at, or "" for the zero Value the flag package may
// make to print a default.
func formatPtr[T any](p *T, format func(T) string) string {
	if p == nil {
		return ""
	}
	return format(*p)
}

// orList writes "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
