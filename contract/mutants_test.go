package contract_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/contract"
	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// answer is a recorded response a mutant may rewrite.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// through serves r with h and records the answer.
func through(h http.Handler, r *http.Request, body []byte) answer {
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r2)
	return answer{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// mutant wraps the fake: before may rewrite the request body, after the answer.
func mutant(fake *mock.Server, before func(r *http.Request, body []byte) []byte, after func(r *http.Request, a *answer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if before != nil && spec.IsOperation(r.Method, r.URL.Path) {
			body = before(r, body)
		}
		a := through(fake, r, body)
		if after != nil {
			after(r, &a)
		}
		for k, v := range a.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	})
}

func rewriteJSON(a *answer, fn func(v *pyjson.Value)) {
	v, err := pyjson.Decode(a.body)
	if err != nil {
		return
	}
	fn(&v)
	a.body, _ = pyjson.Append(nil, v)
}

func readRecord(fake *mock.Server, r *http.Request) answer {
	return through(fake, r, []byte(`{}`))
}

// TestSuiteCatchesBrokenImplementations builds deliberately wrong variants of the fake;
// each must be failed by at least one scenario.
func TestSuiteCatchesBrokenImplementations(t *testing.T) {
	t.Parallel()
	mutants := []struct {
		name string
		make func(fake *mock.Server) http.Handler
	}{
		{"404 in Starlette's shape instead of ErrorResponse", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 404 && spec.IsOperation(r.Method, r.URL.Path) {
					a.body = []byte(`{"detail":"Not Found"}`)
				}
			})
		}},
		{"null ignored (does not clear)", func(f *mock.Server) http.Handler {
			return mutant(f, func(r *http.Request, body []byte) []byte {
				v, err := pyjson.Decode(body)
				if err != nil || v.Kind != pyjson.Object {
					return body
				}
				v.Obj = slices.DeleteFunc(v.Obj, func(m pyjson.Member) bool { return m.Value.Kind == pyjson.Null })
				out, _ := pyjson.Append(nil, v)
				return out
			}, nil)
		}},
		{"update lost (answered, not stored)", func(f *mock.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if !spec.IsOperation(r.Method, r.URL.Path) {
					a := through(f, r, body)
					w.WriteHeader(a.status)
					w.Write(a.body)
					return
				}
				before := readRecord(f, r)
				a := through(f, r, body)
				if before.status == 200 && a.status == 200 {
					v, _ := pyjson.Decode(before.body)
					restore := pyjson.ObjectValue(nil)
					for _, m := range v.Obj {
						if m.Key != "_id" && m.Key != "provider" && m.Key != "phone_number" && m.Key != "sip_infra_region" {
							restore.Set(m.Key, m.Value)
						}
					}
					rb, _ := pyjson.Append(nil, restore)
					through(f, r, rb)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(a.status)
				w.Write(a.body)
			})
		}},
		{"200 for an invalid body", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 422 {
					*a = readRecord(f, r)
				}
			})
		}},
		{"loc without the branch title", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status != 422 {
					return
				}
				rewriteJSON(a, func(v *pyjson.Value) {
					d, _ := v.Get("detail")
					for i := range d.Arr {
						loc, _ := d.Arr[i].Get("loc")
						if len(loc.Arr) > 1 && loc.Arr[1].Kind == pyjson.String && strings.HasPrefix(loc.Arr[1].Str, "Update") {
							loc.Arr = append(loc.Arr[:1:1], loc.Arr[2:]...)
							d.Arr[i].Set("loc", loc)
						}
					}
					v.Set("detail", d)
				})
			})
		}},
		{"union pick: first passing branch instead of most fields", func(f *mock.Server) http.Handler {
			u := &f.Document().Union
			return mutant(f, func(r *http.Request, body []byte) []byte {
				v, err := pyjson.Decode(body)
				if err != nil || v.Kind != pyjson.Object {
					return body
				}
				for _, b := range u.Branches {
					one := spec.Union{Branches: []*spec.Branch{b}}
					if res := one.Validate(v); res.Branch != nil {
						kept := pyjson.ObjectValue([]pyjson.Member{})
						for _, m := range res.Fields {
							kept.Set(m.Key, m.Value)
						}
						out, _ := pyjson.Append(nil, kept)
						return out
					}
				}
				return body
			}, nil)
		}},
		{"undocumented 400 instead of 422", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 422 {
					a.status = 400
				}
			})
		}},
		{"text/plain content type", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) { a.header.Set("Content-Type", "text/plain") })
		}},
		{"405 without Allow", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) { a.header.Del("Allow") })
		}},
		{"Go's JSON error messages", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				a.body = regexp.MustCompile(`"error":"[^"]*"\}`).ReplaceAll(a.body, []byte(`"error":"unexpected end of JSON input"}`))
			})
		}},
		{"lookup before validation (404 before 422)", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 422 && spec.IsOperation(r.Method, r.URL.Path) {
					if first := readRecord(f, r); first.status == 404 {
						*a = first
					}
				}
			})
		}},
		{"unrouted 404 in ErrorResponse shape", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if string(a.body) == `{"detail":"Not Found"}` {
					a.body = []byte(`{"error":"not_found","message":"Not Found"}`)
				}
			})
		}},
		{"500 as plain text", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 500 {
					a.header.Set("Content-Type", "text/plain; charset=utf-8")
					a.body = []byte("Internal Server Error")
				}
			})
		}},
		{"fields of another provider kept in the record", func(f *mock.Server) http.Handler {
			return mutant(f, nil, func(r *http.Request, a *answer) {
				if a.status == 200 && spec.IsOperation(r.Method, r.URL.Path) {
					rewriteJSON(a, func(v *pyjson.Value) {
						if p, _ := v.Get("provider"); p.Str == "pia" {
							v.Set("sip_trunk_username", pyjson.StringValue("u"))
						}
					})
				}
			})
		}},
	}
	caught := 0
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			rep, err := contract.Run(context.Background(), contract.Config{Handler: m.make(newFake(t)), States: "/__admin/states", Parallel: 4})
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, s := range rep.Scenarios {
				if s.Status == contract.StatusFailed {
					failed = append(failed, s.File)
				}
			}
			if len(failed) == 0 {
				t.Fatalf("no scenario failed the mutant: %s", rep.Summary())
			}
			caught++
			t.Logf("caught by %d scenarios: %v", len(failed), failed)
		})
	}
	t.Logf("%d of %d mutants caught", caught, len(mutants))
}
