package spec

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/pb33f/go-yaml"

	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/internal/yamlvalue"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// TestCompiledResponseChecksAgree: without package fullcheck, CheckResponse uses the
// compiled record checks; on the fake's answers and on every one-field mutation of
// them (each field dropped, each field of each JSON type, extra fields, other content
// types) they accept and refuse what libopenapi-validator does, but for the body null,
// which the library lets through.
func TestCompiledResponseChecksAgree(t *testing.T) {
	t.Parallel()
	readFile := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The seed, and a document with a fourth provider and fields of other types
	// (boolean, integer, enum, nested), as users may serve without fullcheck.
	docs := []struct {
		name         string
		doc, numbers []byte
	}{
		{"seed", fixtures.OpenAPI(), fixtures.PhoneNumbers()},
		{"extended", readFile("../testdata/extended.yaml"), readFile("../testdata/extended_phone_numbers.yaml")},
	}
	for _, tc := range docs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := Load(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			full := d.fullResponses()
			type sample struct {
				status int
				ct     string
				body   pyjson.Value
			}
			var samples []sample
			kinds := []pyjson.Value{pyjson.NullValue(), pyjson.BoolValue(true), pyjson.NumberValue("5"), pyjson.NumberValue("1.5"),
				pyjson.StringValue("x"), pyjson.ArrayValue(nil), pyjson.ArrayValue([]pyjson.Value{pyjson.BoolValue(false)}), pyjson.ObjectValue(nil)}
			// mutate adds v and every one-field mutation of it, recursively into objects and
			// the first item of arrays, up to depth levels.
			var mutate func(v pyjson.Value, depth int, emit func(pyjson.Value))
			mutate = func(v pyjson.Value, depth int, emit func(pyjson.Value)) {
				emit(v)
				if depth == 0 {
					return
				}
				switch v.Kind {
				case pyjson.Object:
					for i := range v.Obj {
						without := joinMembers(v.Obj[:i], v.Obj[i+1:])
						emit(pyjson.ObjectValue(without))
						for _, k := range kinds {
							with := joinMembers(v.Obj, nil)
							with[i].Value = k
							emit(pyjson.ObjectValue(with))
						}
						mutate(v.Obj[i].Value, depth-1, func(m pyjson.Value) {
							with := joinMembers(v.Obj, nil)
							with[i].Value = m
							emit(pyjson.ObjectValue(with))
						})
					}
					emit(pyjson.ObjectValue(append(joinMembers(v.Obj, nil), pyjson.Member{Key: "extra", Value: pyjson.StringValue("x")})))
				case pyjson.Array:
					if len(v.Arr) > 0 {
						mutate(v.Arr[0], depth-1, func(m pyjson.Value) {
							emit(pyjson.ArrayValue(append([]pyjson.Value{m}, v.Arr[1:]...)))
						})
					}
				}
			}
			add := func(status int, v pyjson.Value, depth int) {
				mutate(v, depth, func(m pyjson.Value) { samples = append(samples, sample{status, "application/json", m}) })
				for _, k := range kinds {
					samples = append(samples, sample{status, "application/json", k})
				}
				samples = append(samples, sample{status, "text/plain", v}, sample{status, "application/json; charset=utf-8", v})
			}
			var root yaml.Node
			if err := yaml.Unmarshal(tc.numbers, &root); err != nil {
				t.Fatal(err)
			}
			all, err := yamlvalue.Node(&root)
			if err != nil {
				t.Fatal(err)
			}
			list, _ := all.Get("phone_numbers")
			for _, rec := range list.Arr {
				pv, _ := rec.Get(ProviderField)
				p := d.Provider(pv.Str)
				values, err := p.Record(rec)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := p.AppendRecord(nil, values)
				v, _ := pyjson.Decode(b)
				add(http.StatusOK, v, 1)
			}
			errBody, _ := pyjson.Decode([]byte(`{"error":"internal_error","message":"later"}`))
			add(http.StatusNotFound, errBody, 1)
			add(http.StatusInternalServerError, errBody, 1)
			detail, _ := pyjson.Decode([]byte(`{"detail":[{"type":"value_error","loc":["body","UpdateSIPPhoneNumberRequest",0],"msg":"m","input":"x","ctx":{"error":{}}}]}`))
			add(http.StatusUnprocessableEntity, detail, 4)

			disagree := 0
			for _, s := range samples {
				body, err := pyjson.Append(nil, s.body)
				if err != nil {
					t.Fatal(err)
				}
				h := http.Header{"Content-Type": {s.ct}}
				compiled := d.checkCompiled(s.status, h, body)
				req := &http.Request{Method: Method, URL: &url.URL{Scheme: "http", Host: "x", Path: "/v1/phone-numbers/a"}, Header: http.Header{}}
				resp := &http.Response{StatusCode: s.status, Header: h, Request: req, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
				lib := full(req, resp)
				if s.body.Kind == pyjson.Null && s.ct == "application/json" {
					// libopenapi-validator lets the JSON literal null through every object
					// schema; the compiled checks refuse it, as the schema says.
					if len(compiled) == 0 {
						t.Errorf("%d null: compiled checks accept it", s.status)
					}
					continue
				}
				if (len(compiled) == 0) != (len(lib) == 0) {
					disagree++
					if disagree <= 10 {
						t.Errorf("%d %s %s: compiled %v, libopenapi-validator %v", s.status, s.ct, body, compiled, lib)
					}
				}
			}
			t.Logf("%d responses compared, %d disagreements", len(samples), disagree)
		})
	}
}

func joinMembers(a, b []pyjson.Member) []pyjson.Member {
	return append(append([]pyjson.Member{}, a...), b...)
}
