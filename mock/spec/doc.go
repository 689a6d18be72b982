// Package spec is the OpenAPI document of PATCH /v1/phone-numbers/{phone_number_id},
// loaded once and compiled into what the fake and the contract runner need:
//
//   - the request body's anyOf union as pydantic v2 validates it (Union.Validate),
//     giving the same 422 details and the same smart-union pick as the real FastAPI
//     service, in a few hundred nanoseconds rather than libopenapi-validator's
//     ~0.45 ms per invalid body;
//   - the providers' Get…Response schemas (Provider), which shape stored records and
//     rendered 200s and check fixtures;
//   - response checking against the document with libopenapi-validator
//     (Document.CheckResponse), used by the fake's self-check and by every contract run.
//
// The compiled validator (compile.go, validate.go) covers every keyword pydantic v2
// emits for request models, one place per keyword (keywords.go), with pydantic's lax
// python-mode coercions as FastAPI applies them to JSON bodies; Result.Fields carries
// the coerced values. A keyword it does not know is not refused: libopenapi-validator
// decides the values it applies to (fallback.go), and Document.Warnings names it and
// its place. Record checks (Field.Check) implement the types, enum/const, items,
// nested properties and the same constraint keywords. Tests prove the compiled rules
// agree with libopenapi-validator on large generated corpora and with pydantic itself
// on recorded reference answers (mock/testdata/reference).
package spec
