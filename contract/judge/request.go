package judge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// NumberPrefix starts the path of the operation, PATCH /v1/phone-numbers/{id}.
const NumberPrefix = "/v1/phone-numbers/"

// JSONType is the content type of every request the runner and the proxy make up.
const JSONType = "application/json"

// Request is one request exactly as sent, to the target and to the oracle alike.
type Request struct {
	Method string
	// Path is the path with its query, as sent (not cleaned, not re-encoded).
	Path string
	// ContentType nil sends no Content-Type header.
	ContentType *string
	Body        []byte
}

// Reply is one response as received, from the target or the oracle.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// NumberPath is the path of the operation for one phone number id, the id escaped
// once (url.PathEscape): every request to a number is built from it.
func NumberPath(id string) string { return NumberPrefix + url.PathEscape(id) }

// EmptyPatch reads a number without changing it (README: "PATCH {} changes nothing
// and answers the current record").
func EmptyPatch(id string) Request {
	ct := JSONType
	return Request{Method: http.MethodPatch, Path: NumberPath(id), ContentType: &ct, Body: []byte("{}")}
}

// JSONRequest is a request with a JSON body.
func JSONRequest(method, path string, body []byte) Request {
	ct := JSONType
	return Request{Method: method, Path: path, ContentType: &ct, Body: body}
}

// HTTP builds the request to base (a target's scheme, host and base path; "" when
// Path is a whole URL): the method, the path as it is, the body's bytes (none when
// empty: no Content-Length: 0), the Content-Type when there is one.
func (w Request) HTTP(ctx context.Context, base string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, w.Method, base+w.Path, bytes.NewReader(w.Body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", w.Method, w.Path, err)
	}
	if len(w.Body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if w.ContentType != nil {
		req.Header.Set("Content-Type", *w.ContentType)
	}
	return req, nil
}

// CancelOnClose ends a request's context once its answer's body is closed, so a
// per-attempt timeout covers the reading of the answer and no longer.
type CancelOnClose struct {
	io.ReadCloser
	Cancel context.CancelFunc
}

// Close closes the body, then cancels.
func (c *CancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.Cancel()
	return err
}
