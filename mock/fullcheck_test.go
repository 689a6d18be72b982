package mock

// The fake's tests check every answer with libopenapi-validator, as the binary's
// self-check does; mocktest's tests use the compiled checks a user's test gets.
import _ "github.com/verbex/verbex-mock/mock/spec/fullcheck"
