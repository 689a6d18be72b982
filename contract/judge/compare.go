package judge

import (
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	matchers "github.com/verbex/verbex-mock/mock/match"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// Compare lists how the target's reply differs from the oracle's. Mismatch
// Expected is the oracle's side, Got the target's. What the document leaves to the
// implementation is normalised unless strict (see the README, "Normalisations"):
//   - the error and message strings of a 404 or 500 ErrorResponse (only their
//     presence and type are compared): the codes and texts are the service's own;
//   - the scheme and host of a Location header: they come from the deployment
//     (proxies, TLS), not the framework;
//   - the order of an object's keys: JSON objects are unordered (RFC 8259).
//
// Headers compared: Content-Type (as a media type: case and parameter order do not
// matter), Allow (as a set), Location, Content-Encoding (none and identity alike),
// and the target's Content-Length against the body it sent. Bodies are compared as JSON values where
// both are JSON, byte for byte otherwise.
func Compare(fake, target Reply, strict bool) []Mismatch {
	var out []Mismatch
	if fake.Status != target.Status {
		out = append(out, Mismatch{Path: "status", Expected: strconv.Itoa(fake.Status), Got: strconv.Itoa(target.Status)})
	}
	if !sameMediaType(fake.Header.Get("Content-Type"), target.Header.Get("Content-Type")) {
		out = append(out, Mismatch{Path: "header Content-Type", Expected: quoteOrAbsent(fake.Header, "Content-Type"), Got: quoteOrAbsent(target.Header, "Content-Type")})
	}
	if !slices.Equal(methodSet(fake.Header.Values("Allow")), methodSet(target.Header.Values("Allow"))) {
		out = append(out, Mismatch{Path: "header Allow", Expected: quoteOrAbsent(fake.Header, "Allow"), Got: quoteOrAbsent(target.Header, "Allow")})
	}
	if fl, tl := fake.Header.Get("Location"), target.Header.Get("Location"); fl != tl && (strict || locationPath(fl) != locationPath(tl)) {
		out = append(out, Mismatch{Path: "header Location", Expected: quoteOrAbsent(fake.Header, "Location"), Got: quoteOrAbsent(target.Header, "Location")})
	}
	if fe, te := contentEncoding(fake.Header), contentEncoding(target.Header); fe != te {
		out = append(out, Mismatch{Path: "header Content-Encoding", Expected: quoteOrAbsent(fake.Header, "Content-Encoding"), Got: quoteOrAbsent(target.Header, "Content-Encoding")})
	}
	if cl := target.Header.Get("Content-Length"); cl != "" && len(target.Body) > 0 && cl != strconv.Itoa(len(target.Body)) {
		// An empty body is a HEAD's or one the comparison of bodies shows.
		out = append(out, Mismatch{Path: "header Content-Length", Expected: strconv.Itoa(len(target.Body)) + " (the body's length)", Got: strconv.Quote(cl)})
	}
	fv, ferr := pyjson.Decode(fake.Body)
	tv, terr := pyjson.Decode(target.Body)
	switch {
	case len(fake.Body) == 0 && len(target.Body) == 0:
	case ferr == nil && terr == nil:
		if !strict && fake.Status == target.Status && IsErrorResponse(fv) && IsErrorResponse(tv) && (fake.Status == http.StatusNotFound || fake.Status == http.StatusInternalServerError) {
			break
		}
		out = diffValues("$", fv, tv, strict, out)
	case string(fake.Body) != string(target.Body):
		out = append(out, Mismatch{Path: "body", Expected: bodyText(fake.Body), Got: bodyText(target.Body)})
	}
	return out
}

// contentEncoding is the coding of a body: "" for none or identity.
func contentEncoding(h http.Header) string {
	e := strings.ToLower(strings.TrimSpace(strings.Join(h.Values("Content-Encoding"), ",")))
	if e == "identity" {
		return ""
	}
	return e
}

func quoteOrAbsent(h http.Header, name string) string {
	v := h.Values(name)
	if len(v) == 0 {
		return "absent"
	}
	return strconv.Quote(strings.Join(v, ", "))
}

func bodyText(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	return strconv.Quote(string(Truncate(b)))
}

func sameMediaType(a, b string) bool {
	if a == b {
		return true
	}
	at, ap, aerr := mime.ParseMediaType(a)
	bt, bp, berr := mime.ParseMediaType(b)
	if aerr != nil || berr != nil {
		return false
	}
	return at == bt && maps.EqualFunc(ap, bp, strings.EqualFold)
}

func methodSet(values []string) []string {
	var out []string
	for _, v := range values {
		for _, m := range strings.Split(v, ",") {
			if m = strings.ToUpper(strings.TrimSpace(m)); m != "" {
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// locationPath is a Location without its scheme and host.
func locationPath(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	u.Scheme, u.Host, u.User = "", "", nil
	return u.String()
}

// IsErrorResponse: an object of exactly two strings, error and message.
func IsErrorResponse(v pyjson.Value) bool {
	if v.Kind != pyjson.Object || len(v.Obj) != 2 {
		return false
	}
	e, ok1 := v.Get("error")
	m, ok2 := v.Get("message")
	return ok1 && ok2 && e.Kind == pyjson.String && m.Kind == pyjson.String
}

// diffValues compares two JSON values; objects by key (in order too when strict),
// arrays element by element, scalars by kind and Python's text.
func diffValues(path string, want, got pyjson.Value, strict bool, out []Mismatch) []Mismatch {
	if want.Kind != got.Kind {
		return append(out, Mismatch{Path: path, Expected: RedactValue(want), Got: RedactValue(got)})
	}
	switch want.Kind {
	case pyjson.Object:
		for _, m := range want.Obj {
			g, ok := got.Get(m.Key)
			if !ok {
				out = append(out, Mismatch{Path: path + "." + m.Key, Expected: RedactValue(pyjson.ObjectValue([]pyjson.Member{m})), Got: "absent"})
				continue
			}
			if protocol.SecretKey(m.Key) || (m.Key == "input" && (locNamesSecret(want) || locNamesSecret(got))) {
				// Compared, never shown, whatever the values are.
				if !m.Value.Equal(g) {
					out = append(out, Mismatch{Path: path + "." + m.Key, Expected: protocol.Redacted, Got: protocol.Redacted + " (another value)"})
				}
				continue
			}
			out = diffValues(path+"."+m.Key, m.Value, g, strict, out)
		}
		for _, m := range got.Obj {
			if _, ok := want.Get(m.Key); !ok {
				out = append(out, Mismatch{Path: path + "." + m.Key, Expected: "absent", Got: RedactValue(pyjson.ObjectValue([]pyjson.Member{m}))})
			}
		}
		if strict && len(out) == 0 && !slices.Equal(keys(want), keys(got)) {
			out = append(out, Mismatch{Path: path + " (key order)", Expected: strings.Join(keys(want), ","), Got: strings.Join(keys(got), ",")})
		}
	case pyjson.Array:
		if len(want.Arr) != len(got.Arr) {
			return append(out, Mismatch{Path: path, Expected: fmt.Sprintf("%d elements %s", len(want.Arr), RedactValue(want)), Got: fmt.Sprintf("%d elements %s", len(got.Arr), RedactValue(got))})
		}
		for i := range want.Arr {
			out = diffValues(path+"["+strconv.Itoa(i)+"]", want.Arr[i], got.Arr[i], strict, out)
		}
	default:
		if !want.Equal(got) {
			out = append(out, Mismatch{Path: path, Expected: RedactValue(want), Got: RedactValue(got)})
		}
	}
	return out
}

func keys(v pyjson.Value) []string {
	out := make([]string, len(v.Obj))
	for i, m := range v.Obj {
		out[i] = m.Key
	}
	return out
}

// Mismatch is one place where two replies differ: "status", "header X", "body", or
// a JSONPath into the body ($.detail[0].loc). Expected is the oracle's side.
type Mismatch = matchers.Mismatch

// DiffText is the first difference, oracle against target, and how many more.
func DiffText(mm []Mismatch) string {
	out := fmt.Sprintf("%s: oracle %s, target %s", mm[0].Path, mm[0].Expected, mm[0].Got)
	if len(mm) > 1 {
		out += fmt.Sprintf(" (and %d more)", len(mm)-1)
	}
	return out
}

// DiffKinds names the kinds of difference (the body's paths count as one, body),
// for telling one kind of failure from another.
func DiffKinds(mm []Mismatch) string {
	var kinds []string
	for _, m := range mm {
		k := m.Path
		if strings.HasPrefix(k, "$") {
			k = "body"
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ",")
}
