package drift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/fixtures"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// ProxyConfig says where a drift-watch proxy forwards to and what it compares with.
type ProxyConfig struct {
	// Upstream is the base URL of the service the application's requests go to (the
	// real service, a staging deployment). Required.
	Upstream string
	// Oracle is the fake the upstream is judged against, in-process: a handler
	// speaking the fake's protocol (provider states at protocol.StatesPath), such as
	// mock.New with the same document and no fixtures. Required.
	Oracle http.Handler
	// Spec is the OpenAPI document (nil: the embedded one).
	Spec []byte
	// Token authenticates the learning reads ("Authorization: Bearer …"). It is never
	// added to the application's requests, journaled or logged. Without it a learning
	// read carries the Authorization header of the request that needed it.
	Token string
	// NoLearn forbids learning reads: the oracle knows a number only from the
	// upstream's 200 answers, and until then compares only answers that do not depend
	// on the record.
	NoLearn bool
	// Strict also compares what the document leaves to the implementation.
	Strict bool
	// Timeout bounds one upstream exchange, answer body included (0: 30s).
	Timeout time.Duration
	// MaxBodyBytes bounds a request body the proxy buffers and forwards (0: 1 MiB);
	// a larger one is answered 413 and not forwarded.
	MaxBodyBytes int64
	// MaxAnswerBytes bounds an upstream answer the proxy buffers to compare (0: 4 MiB);
	// a larger one is streamed to the client unchanged and not compared.
	MaxAnswerBytes int64
	// MaxNumbers bounds the numbers the oracle follows (0: 10,000); past it the least
	// recently used is forgotten (and learnt again when it comes back).
	MaxNumbers int
	// MaxKinds bounds the kinds of drift kept with an example (0: 200); past it a
	// drift is still counted under its rule.
	MaxKinds int
	// MaxQueueBytes bounds the request bodies held at once, forwarded or waiting their
	// number's turn (0: 16 MiB), and MaxQueue the exchanges waiting for their
	// number's turn (0: 64); past either a client gets 503 proxy_busy (queue.go).
	MaxQueueBytes int64
	MaxQueue      int
	// JournalSize bounds the journal in exchanges (0: 1000; negative: off).
	JournalSize int
	// Record keeps the last record seen of every number, for WriteFixtures.
	Record bool
	// AdminHosts, when not nil, are the only Host names the /__admin routes answer.
	AdminHosts []string
	// UserAgent identifies the proxy's own learning reads (empty: DefaultProxyUserAgent).
	UserAgent string
	// Client sends the upstream requests (nil: one with Timeout, no redirects
	// followed, no compression asked for).
	Client *http.Client
	// Logger receives a warning per drift and per upstream failure (nil: none).
	Logger *slog.Logger
}

// Defaults of ProxyConfig.
const (
	DefaultProxyTimeout     = 30 * time.Second
	DefaultMaxBodyBytes     = 1 << 20
	DefaultMaxAnswerBytes   = 4 << 20
	DefaultMaxNumbers       = 10_000
	DefaultMaxKinds         = 200
	DefaultJournalSize      = 1000
	DefaultProxyUserAgent   = "verbex-mock-proxy"
	journalBodyBytes        = 8 << 10 // per body in a journal entry or example
	maxMismatchesKept       = 20
	proxyAdminPrefix        = "/__admin/"
	proxyDriftPath          = "/__admin/drift"
	proxyRequestsPath       = "/__admin/requests"
	proxyHealthPath         = "/__admin/health"
	operationPrefix         = judge.NumberPrefix
	secretPlaceholderPrefix = "placeholder-"
)

// Verdicts of an exchange.
const (
	VerdictEqual          = "equal"
	VerdictDrift          = "drift"
	VerdictNotCompared    = "not compared"
	VerdictUpstreamFailed = "upstream failed"
	VerdictNotForwarded   = "not forwarded"
)

// Proxy forwards every request to the upstream unchanged and answers with the
// upstream's answer unchanged, while the oracle (the fake, in-process) answers the
// same request from the same state; the two answers are compared by the contract
// runner's rules (compareAnswers) and each difference is classified by diagnose.
type Proxy struct {
	cfg    ProxyConfig
	base   string // the upstream's scheme, host and base path, without a trailing slash
	client *http.Client
	oracle *judge.Oracle
	judge  *judge.Judge
	log    *slog.Logger

	mu      sync.Mutex
	numbers map[string]*number
	clock   uint64 // use counter, for least-recently-used eviction
	held    int64  // bytes of request bodies held (queue.go)
	waiting int    // exchanges waiting for their number's turn

	drift   *driftStore
	journal *proxyJournal
}

const (
	unknown knowledge = iota // not learnt: only record-independent answers compare
	known                    // the upstream's record is stored in the oracle
	absent                   // the upstream says no number has the id
)

// NewProxy checks the configuration and builds the proxy.
func NewProxy(cfg ProxyConfig) (*Proxy, error) {
	if cfg.Oracle == nil {
		return nil, errors.New("contract: proxy: no oracle (ProxyConfig.Oracle)")
	}
	u, err := url.Parse(cfg.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("contract: proxy: upstream %q is not an http or https base URL", cfg.Upstream)
	}
	if u.User != nil {
		// A credential in the URL would be in every log line that names the upstream.
		return nil, errors.New("contract: proxy: the upstream URL carries credentials; give the token with --token (VERBEX_API_KEY)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("contract: proxy: upstream %q: want a base URL without query or fragment", cfg.Upstream)
	}
	specBytes := cfg.Spec
	if specBytes == nil {
		specBytes = fixtures.OpenAPI()
	}
	doc, err := spec.Load(specBytes)
	if err != nil {
		return nil, fmt.Errorf("contract: spec: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultProxyTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxAnswerBytes <= 0 {
		cfg.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if cfg.MaxQueueBytes <= 0 {
		cfg.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.MaxNumbers <= 0 {
		cfg.MaxNumbers = DefaultMaxNumbers
	}
	if cfg.MaxKinds <= 0 {
		cfg.MaxKinds = DefaultMaxKinds
	}
	if cfg.JournalSize == 0 {
		cfg.JournalSize = DefaultJournalSize
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultProxyUserAgent
	}
	p := &Proxy{
		cfg:     cfg,
		base:    strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		client:  cfg.Client,
		oracle:  judge.NewOracle(cfg.Oracle, u.Host),
		judge:   &judge.Judge{Doc: doc, Strict: cfg.Strict},
		log:     cfg.Logger,
		numbers: map[string]*number{},
		drift:   newDriftStore(u.Redacted(), cfg.MaxKinds, cfg.Record, cfg.MaxNumbers),
		journal: newProxyJournal(cfg.JournalSize),
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// Asking for compression would change the application's request.
		tr.DisableCompression = true
		tr.MaxIdleConnsPerHost = 16
		tr.MaxResponseHeaderBytes = 64 << 10
		p.client = &http.Client{Transport: tr, Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	// An upstream on uvicorn closes a kept-alive connection after an unhandled error
	// without saying so: resend what provably never reached it, and never reuse a
	// connection after a 5xx. 429 and 503 pass to the application as they came.
	p.client, _ = judge.Resilient(p.client, nil, false)
	return p, nil
}

// Report is the drift seen so far: counts, and the drifts grouped by rule.
func (p *Proxy) Report() *DriftReport { return p.drift.report() }

// WriteFixtures writes the numbers seen (learnt or answered with 200), each as the
// upstream last rendered it, as a fixtures file the fake serves (serve --fixtures);
// every credential is replaced by a placeholder. It needs ProxyConfig.Record.
func (p *Proxy) WriteFixtures(w io.Writer) error { return p.drift.writeFixtures(w) }

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, proxyAdminPrefix) {
		// The real service has no /__admin routes: they are the proxy's own, as they
		// are the fake's. Nothing under them is forwarded.
		p.admin(w, r)
		return
	}
	start := time.Now()
	e := &ProxyEntry{Kind: "exchange", Time: start, Method: r.Method, Path: r.URL.EscapedPath(), Query: protocol.RedactQuery(r.URL.RawQuery),
		Header: boundedHeader(protocol.RedactHeader(r.Header))}
	if r.ContentLength > p.cfg.MaxQueueBytes-p.heldNow() && r.ContentLength <= p.cfg.MaxBodyBytes {
		p.busy(w, e, errQueueFull) // refused before a byte of it is read
		p.finish(e, start)
		return
	}
	body, ok := p.readBody(w, r, e, start)
	if !ok {
		return
	}
	if !p.hold(int64(len(body))) {
		p.busy(w, e, errQueueFull)
		p.finish(e, start)
		return
	}
	defer p.unhold(int64(len(body)))
	e.Body = p.shown(body)
	// The exchange runs to its end even if the client hangs up: the upstream may have
	// applied the request, and the oracle must follow it.
	ctx := context.WithoutCancel(r.Context())
	id, seg, inOperation := operationID(r.URL.EscapedPath())
	var n *number
	done := func() {
		if n != nil {
			p.release(ctx, n)
			n = nil
		}
	}
	defer done()
	if inOperation {
		var err error
		if n, err = p.waitTurn(ctx, r.Context().Done(), id); err != nil {
			p.busy(w, e, err)
			p.finish(e, start)
			return
		}
		p.prepare(ctx, n, id, seg, r.Header.Get("Authorization"))
	}
	up, upErr := p.forward(ctx, r, body)
	if upErr != nil {
		e.Verdict, e.Reason = VerdictUpstreamFailed, upErr.Error()
		if n != nil {
			p.lose(ctx, n, id, true) // it may or may not have applied the request
		}
		p.finish(e, start)
		p.log.Warn("upstream failed", "method", r.Method, "path", e.Path, "error", e.Reason)
		// Passed on as it happened: the client's connection drops, so the
		// application meets the network error it would have met without the proxy,
		// not an answer the service never sends.
		panic(http.ErrAbortHandler)
	}
	defer up.close()
	p.judgeExchange(ctx, e, n, id, sentRequest(r, body), up, inOperation)
	p.finish(e, start)
	// The oracle has followed: the next exchange with the number need not wait for
	// this client to read its answer.
	done()
	up.write(w, r.Method)
}

// readBody reads the request's body, bounded by MaxBodyBytes; past it the client is
// answered 413 and nothing is forwarded. ok is false when nothing is to be forwarded.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request, e *ProxyEntry, start time.Time) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, p.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		e.Verdict, e.Reason = VerdictNotForwarded, fmt.Sprintf("the body is larger than %d bytes (--max-body-bytes)", p.cfg.MaxBodyBytes)
		p.finish(e, start)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		fmt.Fprintf(w, `{"error":"request_too_large","message":"The request body is larger than %d bytes."}`, p.cfg.MaxBodyBytes)
		return nil, false
	case err != nil:
		return nil, false // the client went away while sending: nothing was forwarded
	}
	return body, true
}

// sentRequest is the request as the client sent it: the target as sent, not
// re-encoded, and the content type given first.
func sentRequest(r *http.Request, body []byte) judge.Request {
	wr := judge.Request{Method: r.Method, Path: r.URL.RequestURI(), Body: body}
	if ct, ok := r.Header["Content-Type"]; ok && len(ct) > 0 {
		wr.ContentType = &ct[0]
	}
	if r.RequestURI != "" && strings.HasPrefix(r.RequestURI, "/") {
		wr.Path = r.RequestURI
	}
	return wr
}

// judgeExchange sets the exchange's verdict from the upstream's answer: compared
// with the oracle's when it can be.
func (p *Proxy) judgeExchange(ctx context.Context, e *ProxyEntry, n *number, id string, wr judge.Request, up *upstreamAnswer, inOperation bool) {
	e.Upstream = &ProxyAnswer{Status: up.status, Header: boundedHeader(protocol.RedactHeader(up.header))}
	switch {
	case up.streamed:
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the answer is larger than %d bytes (--max-answer-bytes): passed on unchanged", p.cfg.MaxAnswerBytes)
		if n != nil {
			// Not learnt again: the next read would likely be as large.
			p.lose(ctx, n, id, false)
		}
	case !inOperation:
		e.Upstream.Body = p.shown(up.decoded)
		e.Verdict, e.Reason = VerdictNotCompared, "outside the oracleled operation (/v1/phone-numbers/{phone_number_id})"
	case up.encoding != "":
		e.Upstream.Body = p.shown(up.decoded)
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the answer is %s-encoded", up.encoding)
		p.lose(ctx, n, id, false)
	default:
		e.Upstream.Body = p.shown(up.decoded)
		h := up.header
		if h.Get("Content-Encoding") != "" {
			// The client asked for the coding and the body is compared decoded: so are
			// its headers (judge.Compare checks both against the body).
			h = h.Clone()
			h.Del("Content-Encoding")
			h.Del("Content-Length")
		}
		p.compare(ctx, e, n, id, wr, judge.Reply{Status: up.status, Header: h, Body: up.decoded})
	}
}

// compare asks the oracle the same request, compares the answers, and makes the
// oracle follow the upstream.
func (p *Proxy) compare(ctx context.Context, e *ProxyEntry, n *number, id string, wr judge.Request, up judge.Reply) {
	var before pyjson.Value
	if n.state == known {
		if b, err := p.oracle.Send(ctx, "", judge.EmptyPatch(id)); err == nil {
			before, _ = pyjson.Decode(b.Body)
		}
	}
	fake, err := p.oracle.Send(ctx, "", wr)
	if err != nil {
		e.Verdict, e.Reason = VerdictNotCompared, "the oracle failed: "+err.Error()
		p.lose(ctx, n, id, false)
		return
	}
	if wr.Method == http.MethodHead {
		fake.Body = nil // an answer to HEAD has no body on the wire (RFC 9110, 9.3.2)
	}
	e.Oracle = &ProxyAnswer{Status: fake.Status, Header: fake.Header, Body: p.shown(fake.Body)}
	fv, _ := pyjson.Decode(fake.Body)
	switch {
	case deploymentStatus(up.Status):
		// Authentication, rate limits and gateways belong to the deployment, not to
		// the framework's rules the fake models: the upstream did not serve the
		// request, and that is not drift.
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the upstream did not serve the request (%d)", up.Status)
	case n.state == unknown && fake.Status == http.StatusNotFound && judge.IsErrorResponse(fv):
		// The oracle answered from its lookup, and it does not know the number.
		e.Verdict, e.Reason = VerdictNotCompared, "the oracle does not know the number (learning is off, or the learning read failed or was off the document: see the journal)"
	default:
		diffs := judge.Compare(fake, up, p.cfg.Strict)
		if len(diffs) == 0 {
			e.Verdict = VerdictEqual
			break
		}
		e.Verdict = VerdictDrift
		e.Rule = p.judge.Diagnose(judge.Origin{Category: categoryOf(wr), Path: wr.Path}, wr, before, fake, up)
		if untouchedChanged(wr, before, fv, up) {
			e.Rule = judge.RuleStoredState
		}
		e.Mismatches = diffs[:min(len(diffs), maxMismatchesKept)]
		e.Reason = judge.DiffText(diffs)
		e.curl = p.curl(wr, e)
	}
	if e.Verdict == VerdictEqual && n.state == known {
		// The oracle answered what the upstream did from the same record: it already
		// holds what the upstream holds (and --record has it, if it changed).
		if fake.Status == http.StatusOK && p.cfg.Record {
			if rec, err := pyjson.Decode(up.Body); err == nil {
				p.drift.record(id, rec)
			}
		}
		return
	}
	p.follow(ctx, n, id, wr, before, fake, up)
}

// deploymentStatus: statuses a deployment sends in front of the service
// (authentication, rate limits, gateways), which the document and the fake do not
// oracle.
func deploymentStatus(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusProxyAuthRequired, http.StatusRequestTimeout,
		http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// untouchedChanged: both sides answered 200, and the upstream's record differs from
// its own previous word (the oracle's record before the exchange) in a field the
// request did not name, which the oracle kept. The request did not cause that: the
// upstream did not store what it answered last time. The contract runner sees this
// with a read after each case; the proxy, which adds no reads, sees it on the next
// exchange.
func untouchedChanged(w judge.Request, before, fake pyjson.Value, up judge.Reply) bool {
	if before.Kind != pyjson.Object || fake.Kind != pyjson.Object || up.Status != http.StatusOK {
		return false
	}
	body, err := pyjson.Decode(w.Body)
	if err != nil || body.Kind != pyjson.Object {
		return false
	}
	tv, err := pyjson.Decode(up.Body)
	if err != nil || tv.Kind != pyjson.Object {
		return false
	}
	for _, m := range before.Obj {
		if _, named := body.Get(m.Key); named {
			continue
		}
		f, fok := fake.Get(m.Key)
		t, tok := tv.Get(m.Key)
		if fok && tok && f.Equal(m.Value) && !t.Equal(m.Value) {
			return true
		}
	}
	return false
}

func isErrorResponseBody(b []byte) bool {
	v, err := pyjson.Decode(b)
	return err == nil && judge.IsErrorResponse(v)
}

// categoryOf names the generator's category a request falls in, for the few
// differences diagnose cannot read from the answers alone.
func categoryOf(w judge.Request) string {
	path, _, _ := strings.Cut(w.Path, "?")
	switch {
	case w.Method != http.MethodPatch:
		return "method"
	case !spec.IsOperation(w.Method, path):
		return "path"
	case w.ContentType == nil || *w.ContentType != judge.JSONType:
		return "content type"
	}
	return "update: set, clear, leave"
}

// shown is a body as the journal and reports keep it: credentials redacted (JSON
// keys named like secrets, the token) and cut to journalBodyBytes.
func (p *Proxy) shown(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	s := judge.RedactBody(b, p.cfg.Token)
	if len(s) > journalBodyBytes {
		s = s[:journalBodyBytes] + "…"
	}
	return s
}

// curl reproduces a drifted request against the upstream (judge.Curl: the body's
// bytes, its secrets and the query's as shell variables), its content type, and the
// token from $VERBEX_API_KEY (the application's own as $AUTHORIZATION) if the
// application sent one. Other headers are left out: they may carry secrets and
// the fake reads none of them.
func (p *Proxy) curl(w judge.Request, e *ProxyEntry) string {
	req, err := judge.Request{Method: w.Method, Path: w.Path}.HTTP(context.Background(), p.base)
	if err != nil {
		return ""
	}
	if w.ContentType != nil {
		req.Header.Set("Content-Type", *w.ContentType)
	}
	if p.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
	} else if _, ok := e.Header["Authorization"]; ok {
		req.Header.Set("Authorization", "Bearer application-token") // read from $AUTHORIZATION
	}
	// The forward adds no User-Agent or Accept-Encoding of its own.
	req.Header["User-Agent"], req.Header["Accept-Encoding"] = nil, nil
	return judge.Curl(req, w.Body, p.cfg.Token)
}

// boundedHeader keeps values of at most 1 KiB, as the fake's journal does, and
// 16 KiB in all, so that an entry stays small whatever the upstream sends.
func boundedHeader(h http.Header) http.Header {
	out := make(http.Header, min(len(h), 64))
	budget := 16 << 10
	for _, k := range slices.Sorted(maps.Keys(h)) {
		vs := make([]string, 0, len(h[k]))
		for _, s := range h[k] {
			if len(s) > 1<<10 {
				s = s[:1<<10] + "…"
			}
			if budget -= len(k) + len(s); budget < 0 {
				return out
			}
			vs = append(vs, s)
		}
		out[k] = vs
	}
	return out
}

// finish journals an exchange and counts it (and logs it if it drifted).
func (p *Proxy) finish(e *ProxyEntry, start time.Time) {
	e.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	e.redactText()
	p.journal.add(e)
	p.drift.add(e)
	if e.Verdict == VerdictDrift {
		paths := make([]string, 0, min(len(e.Mismatches), 5))
		for _, m := range e.Mismatches[:min(len(e.Mismatches), 5)] {
			paths = append(paths, m.Path)
		}
		// Paths only: values may be bodies, and logs never carry bodies.
		p.log.Warn("drift", "rule", e.Rule, "kind", e.Kind, "method", e.Method, "path", e.Path,
			"oracle_status", e.Oracle.status(), "upstream_status", e.Upstream.status(), "differences", strings.Join(paths, ", "))
	}
}
