// Package mocktest starts the Verbex fake for a Go test, as net/http/httptest does for
// a handler: NewServer serves it on a loopback port, closes it when the test ends, and
// hands over the URL, the seeded ids by provider and helpers for requests, faults,
// provider states and the request journal that fail the test instead of returning
// errors.
//
// # Two styles
//
// One server per test: the Server's own helpers work on the default session and
// report to the test given to NewServer.
//
//	func TestRename(t *testing.T) {
//		fake := mocktest.NewServer(t, mock.Options{})
//		id := fake.ID("sip") // the first seeded SIP number; fake.IDs has them all
//		status, body := fake.Patch(id, `{"friendly_name":"Front desk"}`)
//		// … or point the code under test at fake.URL with fake.Client()
//	}
//
// One shared server, a handle per test: For(t) gives each (parallel) subtest a
// session of its own and helpers that fail that subtest alone. Use this style
// whenever helpers are called inside t.Run: a Server helper belongs to the test that
// made the server, and called from a subtest it can only report to that parent
// (with Errorf, and a hint to use For).
//
//	func TestNumbers(t *testing.T) {
//		fake := mocktest.NewServer(t, mock.Options{})
//		for _, tc := range cases {
//			t.Run(tc.name, func(t *testing.T) {
//				t.Parallel()
//				h := fake.For(t)
//				client := myverbex.NewClient(h.URL, h.Client()) // carries the session
//				…
//				if got := h.Field(id, "inbound_agent_id"); got != nil { … }
//			})
//		}
//	}
//
// # Strict helpers
//
// The server and a handle have the same helpers with the same signatures. Field
// fails the test for a field the number's provider does not declare, naming the
// valid ones, so a typo never passes for a cleared field; ID does the same for a
// provider. SetState names the nearest provider state and returns what it made as a
// State. AddFault reports why a rule is refused: a status the document does not
// list (429, 502, 503, …) needs OffDocument: true, the body in Body or RawBody.
// Patch fails the test when the connection breaks; TryPatch returns the error, for
// a test that expects a connection fault.
//
// # On failure
//
// When a test fails, its handle (and the server, for the default session) logs the
// session's last requests with t.Log: method, path, status, how the body was
// judged, the fault that answered, headers, body and the answer's body (a 422's
// detail included), with every secret redacted
// (the credential headers, secret-named query parameters and JSON keys such as
// sip_trunk_password). JournalOnFailure sets how many.
//
// # Cost
//
// The self-check (on by default) validates every answer against the document, so a
// fake that answers off it fails the test instead of misleading it; SelfCheck(false)
// turns it off. A document is compiled once per process and shared by every server,
// so NewServer plus its first PATCH costs 1.3–2.0 ms with the self-check on
// (BenchmarkNewServerFirstPatch).
//
// mocktest links neither libopenapi nor libopenapi-validator, which a test binary
// would otherwise build from about a hundred more third-party packages: the embedded
// document comes compiled ahead of time, and answers are checked by the document's
// compiled record checks (types, enum/const, items, properties/required, the
// constraint keywords), which agree with the library on the fake's answers and their
// mutations (mock/spec's TestCompiledResponseChecksAgree). To serve a document of
// your own (mock.Options.Spec), import the OpenAPI library in the test (else New
// fails with spec.ErrNeedsOpenAPI):
//
//	import _ "github.com/verbex/verbex-mock/mock/spec/openapi"
//
// To check with libopenapi-validator instead, or to serve a document with a keyword
// the compiled request validator does not implement (one of Document.Warnings on the
// request side; such a document is otherwise refused with spec.ErrNeedsFullCheck),
// import package fullcheck, which links both:
//
//	import _ "github.com/verbex/verbex-mock/mock/spec/fullcheck"
package mocktest
