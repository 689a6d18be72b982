// Package spec is the OpenAPI document of PATCH /v1/phone-numbers/{phone_number_id},
// loaded once and compiled into what the fake and the contract runner need. The
// embedded document comes compiled ahead of time (embedded.go, written by go generate
// and kept equal to the runtime compile by TestEmbeddedPrecompiled), so a program
// that serves only it does not build libopenapi; any other is read with libopenapi's
// OpenAPI 3 model (internal/libdoc), linked in by package openapi or fullcheck. The
// compiled forms are:
//
//   - the request body's anyOf union as pydantic v2 validates it (Union.Validate),
//     giving the same 422 details and the same smart-union pick as the real FastAPI
//     service, in 0.40 µs for a valid body and 3.2 µs for an invalid one with its
//     422 rendered, against libopenapi-validator's 38 µs and 760 µs (go test
//     ./mock/spec -bench ., the figures the README quotes);
//   - the providers' Get…Response schemas (Provider), which shape stored records and
//     rendered 200s and check fixtures;
//   - response checking against the document (Document.CheckResponse), used by the
//     fake's self-check and by every contract run: with libopenapi-validator when
//     package fullcheck is linked in (the binary and package contract link it), else
//     with the compiled record checks, so that a Go test using the fake does not
//     build the library.
//
// The compiled validator (compile.go, validate.go) covers every keyword pydantic v2
// emits for request models, one place per keyword (keywords.go), with pydantic's lax
// python-mode coercions as FastAPI applies them to JSON bodies; Result.Fields carries
// the coerced values. A keyword it does not know is not refused: libopenapi-validator
// decides the values it applies to (fallback.go, linked by package fullcheck; without
// it Load refuses such a document with ErrNeedsFullCheck), and Document.Warnings
// names it and its place. Record checks (Field.Check) implement the types, enum/const, items,
// nested properties and the same constraint keywords. Tests prove the compiled rules
// agree with libopenapi-validator on large generated corpora and with pydantic itself
// on recorded reference answers (mock/testdata/reference).
package spec

//go:generate go test -run ^TestEmbeddedPrecompiled$ -update-embedded
