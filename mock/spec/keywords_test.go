package spec

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/libdoc"
)

// modelDoc is a document whose request body is one model M with the given
// properties (YAML, indented under properties:) and model-level lines.
func modelDoc(props, model string) []byte {
	return []byte(`openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /v1/phone-numbers/{phone_number_id}:
    patch:
      parameters:
        - {name: phone_number_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/M'
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/R'
components:
  schemas:
    M:
      title: M
      type: object
` + model + `      properties:
` + props + `    R:
      title: R
      type: object
      properties:
        _id: {type: string}
        provider: {type: string, const: x}
        phone_number: {type: string}
    Color:
      title: Color
      type: string
      enum: [red, blue]
    Sub:
      title: Sub
      type: object
      additionalProperties: false
      required: [x]
      properties:
        x: {type: integer, title: X}
        y: {type: string, title: Y, default: d}
`)
}

func loadModel(t testing.TB, props, model string) *Document {
	t.Helper()
	d, err := Load(modelDoc(props, model))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

// validateText validates body and returns the 422 body, or "ok " and the kept
// fields as JSON.
func validateText(t testing.TB, d *Document, body string) string {
	t.Helper()
	v, err := pyjson.Decode([]byte(body))
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	res := d.Union.Validate(v)
	if res.Details == nil {
		out, err := pyjson.Marshal(pyjson.ObjectValue(res.Fields))
		if err != nil {
			t.Fatalf("fields of %s: %v", body, err)
		}
		return "ok " + string(out)
	}
	out, err := AppendValidationError(nil, res.Details)
	if err != nil {
		t.Fatalf("details of %s: %v", body, err)
	}
	return string(out)
}

func detail(typ, field, msg, input, ctx string) string {
	s := `{"detail":[{"type":"` + typ + `","loc":["body","` + field + `"],"msg":"` + msg + `","input":` + input
	if ctx != "" {
		s += `,"ctx":` + ctx
	}
	return s + `}]}`
}

// TestKeywords checks each keyword's compiled check and pydantic error (type, msg,
// ctx, input) and the lax python-mode coercions, against answers recorded from
// pydantic 2.13.4 (the same models as Field(...) constraints). The reference corpus
// (testdata/reference/extended.json) replays many more through the whole fake.
func TestKeywords(t *testing.T) {
	t.Parallel()
	props := `        s: {type: string, minLength: 2, maxLength: 5, pattern: ^a}
        p: {type: string, pattern: b+}
        d: {type: string, pattern: '^\d+$'}
        i: {type: integer, minimum: 1, exclusiveMaximum: 10, multipleOf: 2}
        f: {type: number, exclusiveMinimum: 0, maximum: 1.5, multipleOf: 0.5}
        g: {type: number, maximum: 10}
        b: {type: boolean, default: true}
        l: {type: string, const: x}
        l2: {type: string, enum: [a, b]}
        l3: {type: integer, enum: [1, 2]}
        e: {$ref: '#/components/schemas/Color'}
        li: {type: array, items: {type: integer}, minItems: 1, maxItems: 3}
        sub: {anyOf: [{$ref: '#/components/schemas/Sub'}, {type: 'null'}]}
        subs: {type: array, items: {$ref: '#/components/schemas/Sub'}, default: []}
        o: {anyOf: [{type: integer, minimum: 0}, {type: 'null'}], default: 5}
`
	d := loadModel(t, props, "")
	tests := []struct {
		keyword, body, want string
	}{
		{"minLength", `{"s":"a"}`, detail("string_too_short", "s", "String should have at least 2 characters", `"a"`, `{"min_length":2}`)},
		{"maxLength", `{"s":"abcdef"}`, detail("string_too_long", "s", "String should have at most 5 characters", `"abcdef"`, `{"max_length":5}`)},
		{"length before pattern", `{"s":"bcdefgh"}`, detail("string_too_long", "s", "String should have at most 5 characters", `"bcdefgh"`, `{"max_length":5}`)},
		{"maxLength counts code points", `{"s":"a😀😀😀😀"}`, `ok {"s":"a😀😀😀😀"}`},
		{"pattern", `{"s":"😀😀"}`, detail("string_pattern_mismatch", "s", "String should match pattern '^a'", `"😀😀"`, `{"pattern":"^a"}`)},
		{"pattern searches", `{"p":"abbc"}`, `ok {"p":"abbc"}`},
		{"pattern mismatch", `{"p":"B"}`, detail("string_pattern_mismatch", "p", "String should match pattern 'b+'", `"B"`, `{"pattern":"b+"}`)},
		{"pattern \\d is Unicode (Rust)", `{"d":"١٢"}`, `ok {"d":"١٢"}`},
		{"pattern $ is the end of text", `{"d":"12\n"}`, detail("string_pattern_mismatch", "d", `String should match pattern '^\\d+$'`, `"12\n"`, `{"pattern":"^\\d+$"}`)},
		{"string type", `{"s":5}`, detail("string_type", "s", "Input should be a valid string", `5`, ``)},
		{"minimum", `{"i":0}`, detail("greater_than_equal", "i", "Input should be greater than or equal to 1", `0`, `{"ge":1}`)},
		{"multipleOf first", `{"i":11}`, detail("multiple_of", "i", "Input should be a multiple of 2", `11`, `{"multiple_of":2}`)},
		{"exclusiveMaximum", `{"i":12}`, detail("less_than", "i", "Input should be less than 10", `12`, `{"lt":10}`)},
		{"int from str keeps the input", `{"i":"3"}`, detail("multiple_of", "i", "Input should be a multiple of 2", `"3"`, `{"multiple_of":2}`)},
		{"int from float", `{"i":4.0}`, `ok {"i":4}`},
		{"int from str", `{"i":" +4 "}`, `ok {"i":4}`},
		{"int from bool", `{"i":true}`, detail("multiple_of", "i", "Input should be a multiple of 2", `true`, `{"multiple_of":2}`)},
		{"int_from_float", `{"i":5.5}`, detail("int_from_float", "i", "Input should be a valid integer, got a number with a fractional part", `5.5`, ``)},
		{"int_parsing", `{"i":"5.5"}`, detail("int_parsing", "i", "Input should be a valid integer, unable to parse string as an integer", `"5.5"`, ``)},
		{"int_parsing_size", `{"i":1e20}`, detail("int_parsing_size", "i", "Unable to parse input string as an integer, exceeded maximum size", `1e+20`, ``)},
		{"int_type", `{"i":[1]}`, detail("int_type", "i", "Input should be a valid integer", `[1]`, ``)},
		{"exclusiveMinimum on a float: ctx is a float, msg as written", `{"f":0}`, detail("greater_than", "f", "Input should be greater than 0", `0`, `{"gt":0.0}`)},
		{"maximum", `{"f":2}`, detail("less_than_equal", "f", "Input should be less than or equal to 1.5", `2`, `{"le":1.5}`)},
		{"float multipleOf", `{"f":0.7}`, detail("multiple_of", "f", "Input should be a multiple of 0.5", `0.7`, `{"multiple_of":0.5}`)},
		{"float multipleOf tolerance (1e-9)", `{"f":0.4999999999}`, `ok {"f":0.4999999999}`},
		{"float from int", `{"f":1}`, `ok {"f":1.0}`},
		{"float from str", `{"f":" 0.5 "}`, `ok {"f":0.5}`},
		{"maximum as written: 10", `{"g":11}`, detail("less_than_equal", "g", "Input should be less than or equal to 10", `11`, `{"le":10.0}`)},
		{"float nan fails le", `{"g":"nan"}`, detail("less_than_equal", "g", "Input should be less than or equal to 10", `"nan"`, `{"le":10.0}`)},
		{"float_parsing", `{"g":"0x1"}`, detail("float_parsing", "g", "Input should be a valid number, unable to parse string as a number", `"0x1"`, ``)},
		{"bool from str", `{"b":"YES"}`, `ok {"b":true}`},
		{"bool from int", `{"b":0}`, `ok {"b":false}`},
		{"bool_parsing", `{"b":2}`, detail("bool_parsing", "b", "Input should be a valid boolean, unable to interpret input", `2`, ``)},
		{"bool_type", `{"b":0.5}`, detail("bool_type", "b", "Input should be a valid boolean", `0.5`, ``)},
		{"bool not nullable", `{"b":null}`, detail("bool_type", "b", "Input should be a valid boolean", `null`, ``)},
		{"const", `{"l":"y"}`, detail("literal_error", "l", "Input should be 'x'", `"y"`, `{"expected":"'x'"}`)},
		{"enum (Literal)", `{"l2":"c"}`, detail("literal_error", "l2", "Input should be 'a' or 'b'", `"c"`, `{"expected":"'a' or 'b'"}`)},
		{"int Literal takes 1.0 and true", `{"l3":1.0}`, `ok {"l3":1}`},
		{"int Literal refuses '1'", `{"l3":"1"}`, detail("literal_error", "l3", "Input should be 1 or 2", `"1"`, `{"expected":"1 or 2"}`)},
		{"Enum class", `{"e":"green"}`, detail("enum", "e", "Input should be 'red' or 'blue'", `"green"`, `{"expected":"'red' or 'blue'"}`)},
		{"Enum class passes", `{"e":"red"}`, `ok {"e":"red"}`},
		{"items", `{"li":[1,"2",3.0]}`, `ok {"li":[1,2,3]}`},
		{"item errors", `{"li":[1,"x",2.5]}`, `{"detail":[{"type":"int_parsing","loc":["body","li",1],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_from_float","loc":["body","li",2],"msg":"Input should be a valid integer, got a number with a fractional part","input":2.5}]}`},
		{"minItems", `{"li":[]}`, detail("too_short", "li", "List should have at least 1 item after validation, not 0", `[]`, `{"field_type":"List","min_length":1,"actual_length":0}`)},
		{"maxItems before the items", `{"li":[1,"x",3,4]}`, detail("too_long", "li", "List should have at most 3 items after validation, not 4", `[1,"x",3,4]`, `{"field_type":"List","max_length":3,"actual_length":4}`)},
		{"list_type", `{"li":"abc"}`, detail("list_type", "li", "Input should be a valid list", `"abc"`, ``)},
		{"nested model keeps its set fields, coerced", `{"sub":{"x":"1"}}`, `ok {"sub":{"x":1}}`},
		{"additionalProperties false", `{"sub":{"x":1,"z":3}}`, `{"detail":[{"type":"extra_forbidden","loc":["body","sub","z"],"msg":"Extra inputs are not permitted","input":3}]}`},
		{"required", `{"sub":{}}`, `{"detail":[{"type":"missing","loc":["body","sub","x"],"msg":"Field required","input":{}}]}`},
		{"nested errors in field order, extras last", `{"sub":{"w":2,"y":5,"x":"q"}}`, `{"detail":[{"type":"int_parsing","loc":["body","sub","x"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"q"},{"type":"string_type","loc":["body","sub","y"],"msg":"Input should be a valid string","input":5},{"type":"extra_forbidden","loc":["body","sub","w"],"msg":"Extra inputs are not permitted","input":2}]}`},
		{"nested model_attributes_type", `{"sub":"abc"}`, detail("model_attributes_type", "sub", "Input should be a valid dictionary or object to extract fields from", `"abc"`, ``)},
		{"list of models", `{"subs":[{}]}`, `{"detail":[{"type":"missing","loc":["body","subs",0,"x"],"msg":"Field required","input":{}}]}`},
		{"defaults are not set fields", `{}`, `ok {}`},
		{"Optional with a bound", `{"o":-1}`, detail("greater_than_equal", "o", "Input should be greater than or equal to 0", `-1`, `{"ge":0}`)},
		{"Optional null", `{"o":null}`, `ok {"o":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.keyword, func(t *testing.T) {
			t.Parallel()
			if got := validateText(t, d, tt.body); got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.body, got, tt.want)
			}
		})
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings for a document pydantic emits: %v", d.Warnings)
	}
}

// TestFallback: keywords the compiler does not know load with a warning naming the
// keyword and its place, and libopenapi-validator decides the values they apply to.
func TestFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, props, model string
		warn               []string // "keyword pointer"
		body               string
		want               string
	}{
		{"format uuid", "        u: {type: string, format: uuid}\n", "",
			[]string{"format /components/schemas/M/properties/u"}, `{"u":"not-a-uuid"}`,
			`{"detail":[{"type":"value_error","loc":["body","u"],"msg":"Value error, 'not-a-uuid' is not valid uuid: must have 5 elements","input":"not-a-uuid","ctx":{"error":{}}}]}`},
		{"format uuid passes", "        u: {type: string, format: uuid}\n", "",
			[]string{"format /components/schemas/M/properties/u"}, `{"u":"8a4e3f0c-56c1-4bd1-9f0e-7b7c0a0e4a11"}`, `ok {"u":"8a4e3f0c-56c1-4bd1-9f0e-7b7c0a0e4a11"}`},
		{"compiled checks come first", "        u: {anyOf: [{type: string, format: uuid, maxLength: 3}, {type: 'null'}]}\n", "",
			[]string{"format /components/schemas/M/properties/u/anyOf/0"}, `{"u":"abcd"}`,
			detail("string_too_long", "u", "String should have at most 3 characters", `"abcd"`, `{"max_length":3}`)},
		{"uniqueItems", "        t: {type: array, items: {type: string}, uniqueItems: true}\n", "",
			[]string{"uniqueItems /components/schemas/M/properties/t"}, `{"t":["a","a"]}`,
			`{"detail":[{"type":"value_error","loc":["body","t"],"msg":"Value error, `},
		{"Union field", "        v: {anyOf: [{type: integer}, {type: string}]}\n", "",
			[]string{"anyOf with 2 non-null alternatives /components/schemas/M/properties/v"}, `{"v":5}`, `ok {"v":5}`},
		{"Union field refuses", "        v: {anyOf: [{type: integer}, {type: string}]}\n", "",
			[]string{"anyOf with 2 non-null alternatives /components/schemas/M/properties/v"}, `{"v":[1]}`,
			`{"detail":[{"type":"value_error","loc":["body","v"],"msg":"Value error, `},
		{"Union field refuses null", "        v: {anyOf: [{type: integer}, {type: string}]}\n", "",
			[]string{"anyOf with 2 non-null alternatives /components/schemas/M/properties/v"}, `{"v":null}`,
			`{"detail":[{"type":"value_error","loc":["body","v"],"msg":"Value error, null is not allowed","input":null,"ctx":{"error":{}}}]}`},
		{"Optional Union field takes null", "        v: {anyOf: [{type: integer}, {type: string}, {type: 'null'}]}\n", "",
			[]string{"anyOf with 2 non-null alternatives /components/schemas/M/properties/v"}, `{"v":null}`, `ok {"v":null}`},
		{"model-level minProperties", "        a: {type: string}\n", "      minProperties: 1\n",
			[]string{"minProperties /components/schemas/M"}, `{}`,
			`{"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, `},
		{"pattern Go cannot compile", "        a: {type: string, pattern: '^(?!x)'}\n", "",
			[]string{"pattern /components/schemas/M/properties/a"}, `{"a":"y"}`, `ok {"a":"y"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := loadModel(t, tt.props, tt.model)
			var warns []string
			for _, w := range d.Warnings {
				warns = append(warns, w.Keyword+" "+w.Pointer)
				if !strings.Contains(w.String(), w.Keyword) || !strings.Contains(w.String(), w.Pointer) {
					t.Errorf("Warning.String() = %q does not name the keyword and place", w)
				}
			}
			if !slices.Equal(warns, tt.warn) {
				t.Errorf("warnings %q, want %q", warns, tt.warn)
			}
			if got := validateText(t, d, tt.body); !strings.HasPrefix(got, tt.want) {
				t.Errorf("%s\n got %s\nwant prefix %s", tt.body, got, tt.want)
			}
		})
	}
}

// TestSmartUnion: the pick is the most fields set (nested models' fields count),
// then a branch that needed no lax coercion, then the leftmost (pydantic 2.13.4).
func TestSmartUnion(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(string(modelDoc("        f: {type: string}\n        b: {type: boolean}\n", "")),
		"              $ref: '#/components/schemas/M'",
		"              anyOf:\n                - $ref: '#/components/schemas/M'\n                - $ref: '#/components/schemas/N'\n                - $ref: '#/components/schemas/S'", 1)
	doc = strings.Replace(doc, "    R:\n", `    N:
      title: N
      type: object
      properties:
        b: {type: string}
    S:
      title: S
      type: object
      properties:
        sub: {$ref: '#/components/schemas/Sub'}
        p: {type: string}
        q: {type: string}
    R:
`, 1)
	d, err := Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ body, picked string }{
		{`{"b":"true"}`, "N"},                    // same count: strict str beats lax bool
		{`{"b":true}`, "M"},                      // bool is exact for M; N fails
		{`{"f":"x","b":"true"}`, "M"},            // more fields beats exactness
		{`{"sub":{"x":1,"y":"a"},"f":"x"}`, "S"}, // nested fields count: 1+2 > 1
		{`{}`, "M"},                              // tie: leftmost
	}
	for _, tt := range tests {
		v, _ := pyjson.Decode([]byte(tt.body))
		res := d.Union.Validate(v)
		if res.Branch == nil || res.Branch.Title != tt.picked {
			t.Errorf("%s picked %v, want %s", tt.body, res.Branch, tt.picked)
		}
	}
}

func loadExtended(t testing.TB) *Document {
	t.Helper()
	b, err := os.ReadFile("../testdata/extended.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(b)
	if err != nil {
		t.Fatalf("Load extended.yaml: %v", err)
	}
	return d
}

// TestExtendedDocument: a fourth provider and fields of every type load with no
// warning; records of that provider are checked and rendered as their types, in
// schema order.
func TestExtendedDocument(t *testing.T) {
	t.Parallel()
	d := loadExtended(t)
	if got := d.ProviderNames(); !slices.Equal(got, []string{"sip", "pia", "twilio", "vonage"}) {
		t.Errorf("providers %v", got)
	}
	if len(d.Union.Branches) != 4 || d.Union.Branches[3].Title != "UpdateVonagePhoneNumberRequest" {
		t.Errorf("branches %v", d.Union.Branches)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings %v", d.Warnings)
	}
	p := d.Provider("vonage")
	rec, err := pyjson.Decode([]byte(`{"tags":["a"],"phone_number":"+4915155550110","_id":"v1","provider":"vonage","sms_enabled":true,` +
		`"max_concurrent_calls":7,"call_weight":2.5,"region":"us","priority":3,"forwarding":{"number":"+4930555010","enabled":false}}`))
	if err != nil {
		t.Fatal(err)
	}
	values, err := p.Record(rec)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	out, err := p.AppendRecord(nil, values)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_id":"v1","provider":"vonage","phone_number":"+4915155550110","friendly_name":null,"inbound_agent_id":null,"outbound_agent_id":null,` +
		`"vonage_api_key":null,"vonage_application_id":null,"sms_enabled":true,"max_concurrent_calls":7,"call_weight":2.5,"region":"us",` +
		`"routing_mode":null,"webhook_version":null,"priority":3,"tags":["a"],"forwarding":{"number":"+4930555010","enabled":false}}`
	if string(out) != want {
		t.Errorf("AppendRecord\n got %s\nwant %s", out, want)
	}
	bad := []struct{ field, value, want string }{
		{"sms_enabled", `"true"`, "got string, want null or boolean"},
		{"max_concurrent_calls", `7.0`, "want an integer"},
		{"max_concurrent_calls", `true`, "got boolean"},
		{"max_concurrent_calls", `101`, "less than or equal to 100"},
		{"call_weight", `0.7`, "multiple of 0.5"},
		{"region", `"mars"`, `"mars" is not one of 'eu', 'us' or 'apac'`},
		{"priority", `4`, "4 is not one of 1, 2 or 3"},
		{"tags", `["a",1]`, "item 1: got number, want string"},
		{"tags", `["a","b","c","d"]`, "at most 3 items"},
		{"forwarding", `{"enabled":true}`, `"number": required but missing`},
		{"forwarding", `{"number":"x"}`, "should match pattern"},
		{"vonage_application_id", `"ab"`, "at least 3 characters"},
	}
	for _, b := range bad {
		v, _ := pyjson.Decode([]byte(b.value))
		f := p.Fields[p.Index(b.field)]
		if err := f.Check(v); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Check(%s=%s) = %v, want %q", b.field, b.value, err, b.want)
		}
	}
	for _, good := range []string{`null`, `{"number":"+4930555010"}`} {
		v, _ := pyjson.Decode([]byte(good))
		if f := p.Fields[p.Index("forwarding")]; f.Check(v) != nil {
			t.Errorf("Check(forwarding=%s) = %v", good, f.Check(v))
		}
	}
}

// TestKeywordNames: the reader reports presence for exactly the keywords of the
// table, so none is silently never seen.
func TestKeywordNames(t *testing.T) {
	t.Parallel()
	var table []string
	for _, k := range keywords {
		table = append(table, k.name)
	}
	read := libdoc.KeywordNames()
	slices.Sort(table)
	slices.Sort(read)
	if !slices.Equal(table, read) {
		t.Errorf("keyword table %v, reader %v", table, read)
	}
}

// TestRecordKeysEncodedOnce: a provider's keys, encoded once when it is compiled,
// render the record exactly as encoding each name on every answer does, names that
// need escapes included; a name that cannot be written has no key and fails the
// record as before.
func TestRecordKeysEncodedOnce(t *testing.T) {
	t.Parallel()
	p := &Provider{Fields: []Field{{Name: "_id"}, {Name: `q"u\o` + "\u2028é\x01"}, {Name: "x"}}}
	values := []pyjson.Value{pyjson.StringValue("1"), pyjson.NumberValue("2"), pyjson.NullValue()}
	each, err := p.AppendRecord(nil, values)
	if err != nil {
		t.Fatal(err)
	}
	p.keys = make([]string, len(p.Fields))
	for i := range p.Fields {
		p.keys[i], _ = p.RecordKey(i)
	}
	once, _, err := p.AppendRecordEnds(nil, values, nil)
	if err != nil || string(once) != string(each) {
		t.Errorf("with keys encoded once: %s (%v), want %s", once, err, each)
	}
	if want := `{"_id":"1","q\"u\\o` + "\u2028é" + `\u0001":2,"x":null}`; string(each) != want { // as json.dumps(ensure_ascii=False)
		t.Errorf("record %s, want %s", each, want)
	}
	bad := &Provider{Fields: []Field{{Name: "a\xed\xa0\x80"}}}
	bad.keys = []string{""}
	if _, ok := bad.RecordKey(0); ok {
		t.Error("a lone surrogate in a name has a key")
	}
	if _, err := bad.AppendRecord(nil, []pyjson.Value{pyjson.NullValue()}); err == nil {
		t.Error("a record with a name that cannot be written renders")
	}
}
