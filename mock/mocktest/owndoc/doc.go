// Package owndoc holds the tests of mocktest that serve a document of their own,
// which needs the OpenAPI library (package openapi). They are apart so that
// mocktest's own test binary builds what a user's test on the embedded document
// builds: neither libopenapi nor libopenapi-validator.
package owndoc
