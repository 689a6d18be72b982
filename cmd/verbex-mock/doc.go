// Command verbex-mock runs the fake of the Verbex phone-number API
// (PATCH /v1/phone-numbers/{phone_number_id}) and its contract-test runner.
//
//	verbex-mock serve                 the fake, on its embedded document and numbers
//	verbex-mock contract run|list     check an implementation against the scenario suite
//	verbex-mock proxy --upstream URL  forward to the real service, report where the fake differs
//	verbex-mock healthcheck           exit 0 when a fake answers (the image's HEALTHCHECK)
//	verbex-mock openapi               print the served document (YAML, or --format json) for generators
//	verbex-mock version
//	verbex-mock help COMMAND          a command's help, as COMMAND --help
//
// Every flag has a VERBEX_MOCK_… environment variable; a flag wins over its variable.
// Flags are typed (flagvalues.go): a duration, count, byte size (64MiB), rate or one of
// a few words (any case) is checked when it is set, from the command line or the
// environment alike. serve and proxy share one serve-until-signal loop (serving.go).
// Exit codes: 0 ok, 1 a failure (a contract failure, an unhealthy fake), 2 a usage,
// spec, fixtures, faults or scenario error, 3 a contract target that never answered.
package main

// The binary validates with libopenapi-validator where the compiled rules stop: the
// self-check, contract runs, and documents with keywords the compiled validator lacks.
import _ "github.com/verbex/verbex-mock/mock/spec/fullcheck"
