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
// The compiled union covers what FastAPI emits for Optional[str] and str fields
// (string/null types, enum, required); a document that needs more is refused at load
// with the schema and keyword named, never validated approximately. Tests prove the
// compiled rules agree with libopenapi-validator on a large generated corpus and with
// pydantic itself on recorded reference answers.
package spec
