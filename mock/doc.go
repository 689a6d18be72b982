// Package mock is a stateful fake of the Verbex phone-number API,
// PATCH /v1/phone-numbers/{phone_number_id}, faithful to the real FastAPI service.
//
// A request goes router → body decoding and anyOf validation → store → response, in
// the real service's order: Starlette's routing (405 with Allow: PATCH, {"detail":"Not
// Found"} for unrouted paths, 307 for a toggled trailing slash), FastAPI's body
// decoding by content type (json.loads, with Python's error messages and offsets),
// pydantic v2's smart-union validation and 422 bodies, 422 before 404, then the update
// (a string sets, null clears, absent leaves alone, fields of another provider are
// dropped) and a 200 in the provider's Get…Response shape.
//
// Beyond the API, the fake can be scripted: fault rules (status, body, latency,
// broken connections, with times/after/probability), a bounded request journal,
// isolated sessions (X-Verbex-Mock-Session) and provider states, through admin routes
// under /__admin, the Go API (Server, Session) or the X-Verbex-Mock-Fault header.
//
// Embedding it in a Go test:
//
//	srv, err := mock.New(mock.Options{}) // embedded document and fixtures
//	if err != nil {
//		t.Fatal(err)
//	}
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	// PATCH ts.URL + "/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901" …
//	pn, _ := srv.PhoneNumber("6650a1f2c3d4e5f6a7b8c901")
//
// The package mocktest does the httptest wiring, cleanup and assertions for you.
package mock
