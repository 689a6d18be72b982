package drift

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/verbex/verbex-mock/contract/judge"
)

// upstreamAnswer is the upstream's answer, buffered (or, past MaxAnswerBytes, its
// first part and the rest still to stream).
type upstreamAnswer struct {
	status   int
	header   http.Header
	raw      []byte // as received
	decoded  []byte // raw without its gzip Content-Encoding, for comparing
	encoding string // a Content-Encoding the proxy cannot undo ("" otherwise)
	streamed bool
	resp     *http.Response
	length   int64
}

func (u *upstreamAnswer) close() {
	if u.resp != nil {
		u.resp.Body.Close()
	}
}

// hopHeaders belong to one connection, not to the message (RFC 9110, 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func withoutHop(h http.Header) http.Header {
	c := h.Clone()
	if c == nil {
		c = http.Header{}
	}
	for _, v := range c.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			c.Del(strings.TrimSpace(name))
		}
	}
	for _, name := range hopHeaders {
		c.Del(name)
	}
	return c
}

// forward sends the request to the upstream as it came: method, path and query as
// sent, headers but those of the connection, the body's bytes. It adds nothing: no
// X-Forwarded-For, no User-Agent or Accept-Encoding of its own.
func (p *Proxy) forward(ctx context.Context, r *http.Request, body []byte) (*upstreamAnswer, error) {
	target := r.URL.RequestURI()
	if strings.HasPrefix(r.RequestURI, "/") {
		target = r.RequestURI
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	req, err := judge.Request{Method: r.Method, Path: target, Body: body}.HTTP(ctx, p.base)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("the request cannot be forwarded: %w", err)
	}
	req.Header = withoutHop(r.Header)
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // the transport then sends none
	}
	resp, err := p.client.Do(req)
	if err != nil {
		cancel()
		return nil, errors.New(p.transportError(err))
	}
	u := &upstreamAnswer{status: resp.StatusCode, header: withoutHop(resp.Header), resp: resp, length: resp.ContentLength}
	// The body's reading is bounded by the context's timeout; the cancel runs when the
	// body is closed.
	resp.Body = &judge.CancelOnClose{ReadCloser: resp.Body, Cancel: cancel}
	u.raw, err = io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxAnswerBytes+1))
	if err != nil {
		resp.Body.Close()
		return nil, errors.New(p.transportError(err))
	}
	if int64(len(u.raw)) > p.cfg.MaxAnswerBytes {
		u.streamed = true
		return u, nil
	}
	u.decoded = u.raw
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(u.raw))
		if err == nil {
			u.decoded, err = io.ReadAll(io.LimitReader(zr, p.cfg.MaxAnswerBytes+1))
		}
		if err != nil || int64(len(u.decoded)) > p.cfg.MaxAnswerBytes {
			u.decoded, u.encoding = u.raw, "gzip (undecodable or too large)"
		}
	default:
		u.encoding = enc
	}
	return u, nil
}

// write sends the upstream's answer to the client unchanged.
func (u *upstreamAnswer) write(w http.ResponseWriter, method string) {
	h := w.Header()
	for k, v := range u.header {
		h[k] = v
	}
	h.Del("Content-Length")
	switch {
	case method == http.MethodHead && u.length >= 0:
		h.Set("Content-Length", fmt.Sprint(u.length))
	case !u.streamed:
		h.Set("Content-Length", fmt.Sprint(len(u.raw)))
	case u.length >= 0:
		h.Set("Content-Length", fmt.Sprint(u.length))
	}
	w.WriteHeader(u.status)
	_, _ = w.Write(u.raw)
	if u.streamed {
		if _, err := io.Copy(w, u.resp.Body); err != nil {
			// The upstream broke off: so does the client's answer.
			panic(http.ErrAbortHandler)
		}
	}
}

// transportError says how the upstream failed (refused, timeout, reset), without
// the token.
func (p *Proxy) transportError(err error) string {
	kind := "failed"
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		kind = fmt.Sprintf("timeout (no whole answer within %s)", p.cfg.Timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		kind = "connection reset or closed"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL's query is the application's and may name a credential (?api_key=).
		u := *ue
		u.URL, _, _ = strings.Cut(u.URL, "?")
		err = &u
	}
	return judge.RedactText(fmt.Sprintf("%s: %v", kind, err), p.cfg.Token)
}
