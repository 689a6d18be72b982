package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

func load(t testing.TB) *Document {
	t.Helper()
	d, err := Load(fixtures.OpenAPI())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

func TestLoadEmbedded(t *testing.T) {
	t.Parallel()
	d := load(t)
	var titles []string
	for _, b := range d.Union.Branches {
		titles = append(titles, b.Title)
	}
	if want := []string{"UpdateSIPPhoneNumberRequest", "UpdatePiaPhoneNumberRequest", "UpdateTwilioPhoneNumberRequest"}; !slices.Equal(titles, want) || !d.Union.Titled {
		t.Errorf("branches %v (titled %v), want %v", titles, d.Union.Titled, want)
	}
	if got := d.ProviderNames(); !slices.Equal(got, []string{"sip", "pia", "twilio"}) {
		t.Errorf("providers %v", got)
	}
	if !slices.Equal(d.Statuses, []int{200, 404, 422, 500}) || !d.BodyRequired {
		t.Errorf("statuses %v, body required %v", d.Statuses, d.BodyRequired)
	}
	sip := d.Provider("sip")
	if got := sip.FieldNames(); got[0] != "_id" || got[1] != "provider" || got[2] != "phone_number" || len(got) != 10 {
		t.Errorf("sip fields %v", got)
	}
	region := sip.Fields[sip.Index("sip_infra_region")]
	if region.Default == nil || region.Default.Str != "global" || !slices.Equal(region.Enum, []string{"global", "bd", "bd_link3"}) {
		t.Errorf("sip_infra_region %+v", region)
	}
	var openapi map[string]any
	if err := json.Unmarshal(d.JSON, &openapi); err != nil || openapi["openapi"] != "3.1.0" {
		t.Errorf("JSON rendering: %v %v", err, openapi["openapi"])
	}
	if !bytes.HasPrefix(d.JSON, []byte(`{"openapi":"3.1.0","info":{"title":"Verbex Platform API"`)) {
		t.Errorf("JSON does not keep document order: %.80s", d.JSON)
	}
}

// editSeed is the embedded document with its first old replaced by new.
func editSeed(t testing.TB, old, new string) []byte {
	t.Helper()
	base := string(fixtures.OpenAPI())
	if !strings.Contains(base, old) {
		t.Fatalf("fixture lacks %q", old)
	}
	return []byte(strings.Replace(base, old, new, 1))
}

// TestLoadRefuses covers every way a document is refused: it must never be served
// approximately.
func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	edit := func(old, new string) []byte { return editSeed(t, old, new) }
	tests := []struct {
		name string
		doc  []byte
		want string
	}{
		{"not a document", []byte("{{{"), "invalid document"},
		{"empty", []byte(""), "invalid document"},
		{"swagger 2", []byte("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n"), "invalid document"},
		{"no such path", edit("/v1/phone-numbers/{phone_number_id}:", "/v2/phone-numbers/{phone_number_id}:"), "no path /v1/phone-numbers/{phone_number_id}"},
		{"no PATCH", edit("    patch:\n      tags:", "    put:\n      tags:"), "has no PATCH operation"},
		{"no 200", edit("        '200':", "        '201':"), "documents no 200 response"},
		{"provider without const", edit("          const: pia\n", ""), "needs a \"provider\" property with a const value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.doc)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

// TestLoadAccepts: documents the compiler once refused now load (nothing refuses a
// valid document); only what cannot be compiled is named in Warnings.
func TestLoadAccepts(t *testing.T) {
	t.Parallel()
	edit := func(old, new string) []byte { return editSeed(t, old, new) }
	tests := []struct {
		name  string
		doc   []byte
		warns int
	}{
		{"integer field", edit("        friendly_name:\n          anyOf:\n            - type: string", "        friendly_name:\n          anyOf:\n            - type: integer"), 0},
		{"maxLength", edit("            - type: string\n            - type: 'null'\n          title: Inbound Agent Id", "            - type: string\n              maxLength: 5\n            - type: 'null'\n          title: Inbound Agent Id"), 0},
		{"untitled branch", edit("      title: UpdatePiaPhoneNumberRequest\n", ""), 1},
		{"format", edit("            - type: string\n            - type: 'null'\n          title: Inbound Agent Id", "            - type: string\n              format: email\n            - type: 'null'\n          title: Inbound Agent Id"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Load(tt.doc)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(d.Warnings) != tt.warns {
				t.Errorf("warnings %v, want %d", d.Warnings, tt.warns)
			}
		})
	}
}

// randomBody makes request bodies that exercise every way the union can pass or fail:
// declared and undeclared keys, every JSON type, and non-objects.
func randomBody(r *rand.Rand, fields []string) string {
	value := func() string {
		switch r.IntN(9) {
		case 0, 1, 2:
			return strconv.Quote([]string{"", "x", "Front desk", "é"}[r.IntN(4)])
		case 3:
			return "null"
		case 4:
			return []string{"0", "-7", "1.5", "1e3"}[r.IntN(4)]
		case 5:
			return []string{"true", "false"}[r.IntN(2)]
		case 6:
			return `["a"]`
		case 7:
			return `{"a":"b"}`
		default:
			return `"sip"`
		}
	}
	if r.IntN(8) == 0 {
		return []string{`[]`, `"x"`, `42`, `true`, `[{"friendly_name":"x"}]`}[r.IntN(5)]
	}
	var parts []string
	for n := r.IntN(5); n > 0; n-- {
		parts = append(parts, strconv.Quote(fields[r.IntN(len(fields))])+":"+value())
	}
	return "{" + strings.Join(parts, ",") + "}"
}

var branchLoc = regexp.MustCompile(`^/anyOf/(\d+)/\$ref(?:/properties/([^/]+))?`)

// TestUnionAgreesWithLibopenapi proves the compiled union and libopenapi-validator
// (the reference JSON Schema implementation) accept and reject the same bodies, and
// blame the same branches and fields, over a large seeded corpus.
func TestUnionAgreesWithLibopenapi(t *testing.T) {
	t.Parallel()
	d := load(t)
	fields := []string{"friendly_name", "inbound_agent_id", "outbound_agent_id", "sip_termination_uri",
		"sip_trunk_username", "sip_trunk_password", "twilio_account_sid", "twilio_auth_token", "unknown", "_id"}
	r := rand.New(rand.NewPCG(1, 2))
	agree(t, d, 20000, func() string { return randomBody(r, fields) })
}

// TestUnionAgreesWithLibopenapiExtended is the same proof for the extended document's
// keywords (lengths, pattern, boolean, integer and number bounds, multipleOf, enum,
// const, arrays with item schemas and bounds, a nested model with required and
// additionalProperties: false). Where pydantic and JSON Schema differ by design the
// corpus leaves the value out, and the reference corpus checks pydantic alone: lax
// coercions ("5" or true to an int, 1 or "yes" to a bool, 5.0 to an int, "1" to an
// int enum), a float within 1e-9 of a multipleOf (pydantic's tolerance), Unicode
// \d in patterns (Rust's regex), and lone surrogates in constrained strings.
func TestUnionAgreesWithLibopenapiExtended(t *testing.T) {
	t.Parallel()
	d := loadExtended(t)
	fields := []string{"friendly_name", "vonage_api_key", "vonage_application_id", "sms_enabled", "max_concurrent_calls",
		"call_weight", "region", "routing_mode", "webhook_version", "priority", "tags", "forwarding",
		"sip_trunk_username", "twilio_account_sid", "inbound_agent_id", "unknown"}
	pool := []string{`""`, `"x"`, `"abc"`, `"0a1b2c3d"`, `"0A1B2C3D"`, `"eu"`, `"mars"`, `"failover"`, `"v2"`, `"é"`,
		strconv.Quote(strings.Repeat("x", 13)), strconv.Quote(strings.Repeat("x", 40)), `null`,
		`2`, `3`, `5`, `7`, `50`, `100`, `101`, `-3`, `0.5`, `2.5`, `0.7`, `10.5`,
		`[]`, `["a"]`, `["a","b","c","d"]`, `[5]`, `["xxxxxxxxxxx"]`, `["a",null]`,
		`{"number":"+4930555"}`, `{"number":"x"}`, `{}`, `{"number":"+12","extra":2}`, `{"a":2}`, `{"number":"+12","enabled":false}`}
	r := rand.New(rand.NewPCG(3, 4))
	agree(t, d, 5000, func() string {
		if r.IntN(20) == 0 {
			return []string{`[]`, `"x"`, `42`}[r.IntN(3)]
		}
		var parts []string
		for n := r.IntN(4) + 1; n > 0; n-- {
			k := fields[r.IntN(len(fields))]
			v := pool[r.IntN(len(pool))]
			if k == "sms_enabled" && r.IntN(2) == 0 {
				v = []string{`true`, `false`}[r.IntN(2)] // booleans only where no lax coercion applies
			}
			parts = append(parts, strconv.Quote(k)+":"+v)
		}
		return "{" + strings.Join(parts, ",") + "}"
	})
}

// agree validates n generated bodies with both validators and fails on the first
// disagreement in validity or in the (branch, field) pairs blamed.
func agree(t *testing.T, d *Document, n int, gen func() string) {
	t.Helper()
	if testing.Short() {
		n /= 20
	}
	valid := 0
	for i := 0; i < n; i++ {
		body := gen()
		v, err := pyjson.Decode([]byte(body))
		if err != nil {
			t.Fatalf("corpus body %q: %v", body, err)
		}
		res := d.Union.Validate(v)
		mine := map[string]bool{}
		for _, det := range res.Details {
			branch, field := 0, ""
			if d.Union.Titled {
				branch = slices.IndexFunc(d.Union.Branches, func(b *Branch) bool { return b.Title == det.Loc[1].Str })
				if len(det.Loc) > 2 {
					field = det.Loc[2].Str
				}
			}
			mine[fmt.Sprintf("%d/%s", branch, field)] = true
		}
		req := httptest.NewRequest(http.MethodPatch, "/v1/phone-numbers/x", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		ok, errs := d.lazyValidator().ValidateHttpRequestSync(req)
		theirs := map[string]bool{}
		for _, e := range errs {
			for _, sve := range e.SchemaValidationErrors {
				m := branchLoc.FindStringSubmatch(sve.KeywordLocation)
				if m == nil {
					t.Fatalf("body %q: unexpected keyword location %q", body, sve.KeywordLocation)
				}
				theirs[m[1]+"/"+m[2]] = true
			}
		}
		if ok != (res.Branch != nil) {
			t.Fatalf("body %q: libopenapi valid=%v, compiled valid=%v (%v)", body, ok, res.Branch != nil, errs)
		}
		if ok {
			valid++
			continue
		}
		if fmt.Sprint(sortedKeys(mine)) != fmt.Sprint(sortedKeys(theirs)) {
			t.Fatalf("body %q: compiled blames %v, libopenapi %v", body, sortedKeys(mine), sortedKeys(theirs))
		}
	}
	if valid < n/5 || valid > n*4/5 {
		t.Errorf("corpus is lopsided: %d of %d valid", valid, n)
	}
	t.Logf("%d bodies, %d valid, %d invalid: compiled union and libopenapi-validator agree", n, valid, n-valid)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	d := load(t)
	jsonH := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		method string
		path   string
		status int
		header http.Header
		body   string
		want   string // a problem kind, "" for none
	}{
		{"sip 200", "PATCH", "/v1/phone-numbers/x", 200, jsonH, `{"_id":"x","provider":"sip","phone_number":"+1","sip_infra_region":"global"}`, ""},
		{"404 error shape", "PATCH", "/v1/phone-numbers/x", 404, jsonH, `{"error":"a","message":"b"}`, ""},
		{"404 detail shape", "PATCH", "/v1/phone-numbers/x", 404, jsonH, `{"detail":"Not Found"}`, "response_schema_conformance"},
		{"undocumented 400", "PATCH", "/v1/phone-numbers/x", 400, jsonH, `{"detail":"x"}`, "status_code_conformance"},
		{"text/plain 500", "PATCH", "/v1/phone-numbers/x", 500, http.Header{"Content-Type": {"text/plain"}}, `Internal Server Error`, "content_type_conformance"},
		{"empty 200", "PATCH", "/v1/phone-numbers/x", 200, jsonH, ``, "response_schema_conformance"},
		{"bad provider", "PATCH", "/v1/phone-numbers/x", 200, jsonH, `{"phone_number":"+1","provider":"carrier-pigeon"}`, "response_schema_conformance"},
		{"405 is not the operation", "GET", "/v1/phone-numbers/x", 405, jsonH, `{"detail":"Method Not Allowed"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			problems := d.CheckResponse(tt.method, tt.path, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("problems %v, want none", problems)
			case tt.want != "" && (len(problems) == 0 || problems[0].Kind != tt.want):
				t.Errorf("problems %v, want %s", problems, tt.want)
			}
		})
	}
}

func BenchmarkUnionValidate(b *testing.B) {
	d := load(b)
	for _, body := range []string{`{"friendly_name":"x"}`, `{"friendly_name":123}`} {
		v, _ := pyjson.Decode([]byte(body))
		b.Run(body, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := d.Union.Validate(v)
				if res.Details != nil {
					_, _ = AppendValidationError(nil, res.Details)
				}
			}
		})
	}
}

// BenchmarkLibopenapiValidate is the cost the compiled union avoids.
func BenchmarkLibopenapiValidate(b *testing.B) {
	d := load(b)
	for _, body := range []string{`{"friendly_name":"x"}`, `{"friendly_name":123}`} {
		b.Run(body, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPatch, "/v1/phone-numbers/x", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				d.lazyValidator().ValidateHttpRequestSync(req)
			}
		})
	}
}

// TestAppendValidationErrorIsTheValue: the 422 body written directly is the details'
// Values encoded, on every kind of input and ctx.
func TestAppendValidationErrorIsTheValue(t *testing.T) {
	t.Parallel()
	d := load(t)
	for _, body := range []string{`{"friendly_name":"\ud800","inbound_agent_id":1}`, `{"friendly_name":123}`, `[1]`, `{"inbound_agent_id":true,"friendly_name":{"a":[1,null,"\u00e9"]}}`, `"x"`, `{"friendly_name":1.5e300}`} {
		v, err := pyjson.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		details := d.Union.Validate(v).Details
		details = append(details, InvalidJSON(&pyjson.SyntaxError{Msg: "Expecting value", Pos: 3})...)
		arr := make([]pyjson.Value, len(details))
		for i, d := range details {
			arr[i] = d.Value()
		}
		want, wantErr := pyjson.Append(nil, pyjson.ObjectValue([]pyjson.Member{{Key: "detail", Value: pyjson.ArrayValue(arr)}}))
		got, err := AppendValidationError([]byte("prefix"), details)
		if wantErr != nil {
			if err == nil {
				t.Errorf("%s: no error, want %v", body, wantErr)
			}
			continue
		}
		if err != nil || string(got) != "prefix"+string(want) {
			t.Errorf("%s:\n got %s (%v)\nwant prefix%s", body, got, err, want)
		}
	}
}
