// Package contract checks an implementation of PATCH /v1/phone-numbers/{phone_number_id}
// (the real Verbex service, a candidate rewrite, or the fake in package mock) against
// a suite of scenario files, and tells exactly what differs.
//
// A scenario names the provider states it needs ("given"), then ordered steps: a
// request and what its answer must be (status, headers, a JSON body matched as a
// subset with matchers), with captures into variables for later steps. Every answer
// to the operation is also checked against the OpenAPI document (status documented,
// content type, body schema) whether or not the scenario asked; a request that is
// itself off the document must be marked invalid, or the scenario is in error before
// anything is sent.
//
// States come from a provider-state route (the fake serves one at /__admin/states;
// each scenario then runs in a session of its own, in parallel) or, for a target
// without one such as the real service, from numbers the user names: those are read
// first with an empty PATCH and restored afterwards, also after a failure or a
// cancelled run. Secrets (sip_trunk_password, twilio_auth_token, the token) are
// redacted in every report.
//
// What it cannot check: behaviour the scenarios do not exercise, and, on a target
// without states, anything needing a fault (those scenarios are skipped with the
// reason).
//
// The comparison of a target's replies with the oracle's (the fake, in-process), the
// rule a difference breaks and the redaction of reports are package contract/judge,
// which the drift proxy (package contract/drift) uses too; this package imports
// neither the proxy nor the fake.
package contract
