package spec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// Problem is one way a response is off the document.
type Problem struct {
	// Kind is a stable, Schemathesis-style check name: status_code_conformance,
	// content_type_conformance or response_schema_conformance.
	Kind string
	// Message says what is wrong, in the validator's words where it has them.
	Message string
}

func (p Problem) String() string { return p.Kind + ": " + p.Message }

// IsOperation reports whether a request targets the document's operation: PATCH on
// /v1/phone-numbers/{phone_number_id} with a non-empty id. Answers to anything else
// (405, an unrouted 404) are the framework's, and the document says nothing of them.
func IsOperation(method, path string) bool {
	_, ok := OperationID(path)
	return method == Method && ok
}

// OperationID returns the phone_number_id of a path of the operation: what the
// template's variable matches, a non-empty segment.
func OperationID(path string) (string, bool) {
	id, ok := strings.CutPrefix(path, "/v1/phone-numbers/")
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// CheckResponse validates a response to method and path against the document: with
// libopenapi-validator when package fullcheck is linked in, else with the compiled
// record checks (checkCompiled). The status must be documented, the content type declared and
// the body valid against the schema for that status. An empty body for a status that
// declares content is a problem too (the validator lets it through). It returns nil
// when the response is on the document or the request is not for the operation.
func (d *Document) CheckResponse(method, path string, status int, header http.Header, body []byte) []Problem {
	if !IsOperation(method, path) {
		return nil
	}
	if !d.Documents(status) {
		return []Problem{{Kind: "status_code_conformance", Message: fmt.Sprintf("status %d is not documented (documented: %v)", status, d.Statuses)}}
	}
	if len(body) == 0 {
		return []Problem{{Kind: "response_schema_conformance", Message: fmt.Sprintf("status %d has an empty body; the document declares content", status)}}
	}
	var full func(*http.Request, *http.Response) []seam.Problem
	if seam.Full != nil {
		full = d.fullResponses()
	}
	if full == nil {
		return d.checkCompiled(status, header, body)
	}
	req := &http.Request{Method: method, URL: &url.URL{Scheme: "http", Host: "verbex-mock", Path: path}, Header: http.Header{}}
	resp := &http.Response{
		StatusCode: status, Header: header.Clone(), Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	var problems []Problem
	for _, p := range full(req, resp) {
		problems = append(problems, Problem(p))
	}
	return problems
}
