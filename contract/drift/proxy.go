package drift

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
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
	// Oracle is the model: a handler speaking the fake's protocol (provider states at
	// protocol.StatesPath), such as mock.New with the same document and no fixtures.
	// Required.
	Oracle http.Handler
	// Spec is the OpenAPI document (nil: the embedded one).
	Spec []byte
	// Token authenticates the learning reads ("Authorization: Bearer …"). It is never
	// added to the application's requests, journaled or logged. Without it a learning
	// read carries the Authorization header of the request that needed it.
	Token string
	// NoLearn forbids learning reads: the model knows a number only from the
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
	// MaxNumbers bounds the numbers the model follows (0: 10,000); past it the least
	// recently used is forgotten (and learnt again when it comes back).
	MaxNumbers int
	// MaxKinds bounds the kinds of drift kept with an example (0: 200); past it a
	// drift is still counted under its rule.
	MaxKinds int
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
	operationPrefix         = "/v1/phone-numbers/"
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
// upstream's answer unchanged, while the model (the fake, in-process) answers the
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

	drift   *driftStore
	journal *proxyJournal
}

// number is what the model knows of one phone number id. Its lock makes the
// exchanges with one number go one at a time, so that the model sees them in the
// order the upstream answered them (exchanges with different numbers run in
// parallel).
type number struct {
	mu      sync.Mutex
	state   modelState
	learned bool // a learning read was tried since the model last lost track
	used    uint64
	busy    int // exchanges holding or waiting for mu; guarded by Proxy.mu
}

type modelState int

const (
	modelUnknown modelState = iota // not learnt: only record-independent answers compare
	modelKnown                     // the upstream's record is stored in the model
	modelAbsent                    // the upstream says no number has the id
)

// NewProxy checks the configuration and builds the proxy.
func NewProxy(cfg ProxyConfig) (*Proxy, error) {
	if cfg.Oracle == nil {
		return nil, errors.New("contract: " + "proxy: no model (ProxyConfig.Oracle)")
	}
	u, err := url.Parse(cfg.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("contract: "+"proxy: upstream %q is not an http or https base URL", cfg.Upstream)
	}
	if u.User != nil {
		// A credential in the URL would be in every log line that names the upstream.
		return nil, errors.New("contract: " + "proxy: the upstream URL carries credentials; give the token with --token (VERBEX_API_KEY)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("contract: "+"proxy: upstream %q: want a base URL without query or fragment", cfg.Upstream)
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
		return
	case err != nil:
		return // the client went away while sending: nothing was forwarded
	}
	e.Body = p.shown(body)
	wr := judge.Request{Method: r.Method, Path: r.URL.RequestURI(), Body: body}
	if ct, ok := r.Header["Content-Type"]; ok && len(ct) > 0 {
		wr.ContentType = &ct[0]
	}
	if r.RequestURI != "" && strings.HasPrefix(r.RequestURI, "/") {
		wr.Path = r.RequestURI // as sent, not re-encoded
	}
	// The exchange runs to its end even if the client hangs up: the upstream may have
	// applied the request, and the model must follow it.
	ctx := context.WithoutCancel(r.Context())
	id, seg, inModel := operationID(r.URL.EscapedPath())
	var n *number
	done := func() {
		if n != nil {
			p.release(ctx, n)
			n = nil
		}
	}
	defer done()
	if inModel {
		n = p.acquire(ctx, id)
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
	e.Upstream = &ProxyAnswer{Status: up.status, Header: boundedHeader(protocol.RedactHeader(up.header))}
	switch {
	case up.streamed:
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the answer is larger than %d bytes (--max-answer-bytes): passed on unchanged", p.cfg.MaxAnswerBytes)
		if n != nil {
			// Not learnt again: the next read would likely be as large.
			p.lose(ctx, n, id, false)
		}
	case !inModel:
		e.Upstream.Body = p.shown(up.decoded)
		e.Verdict, e.Reason = VerdictNotCompared, "outside the modelled operation (/v1/phone-numbers/{phone_number_id})"
	case up.encoding != "":
		e.Upstream.Body = p.shown(up.decoded)
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the answer is %s-encoded", up.encoding)
		p.lose(ctx, n, id, false)
	default:
		e.Upstream.Body = p.shown(up.decoded)
		p.compare(ctx, e, n, id, wr, judge.Reply{Status: up.status, Header: up.header, Body: up.decoded})
	}
	p.finish(e, start)
	// The model has followed: the next exchange with the number need not wait for
	// this client to read its answer.
	done()
	up.write(w, r.Method)
}

// compare asks the model the same request, compares the answers, and makes the
// model follow the upstream.
func (p *Proxy) compare(ctx context.Context, e *ProxyEntry, n *number, id string, wr judge.Request, up judge.Reply) {
	var before pyjson.Value
	if n.state == modelKnown {
		if b, err := p.oracle.Send(ctx, "", judge.EmptyPatch(id)); err == nil {
			before, _ = pyjson.Decode(b.Body)
		}
	}
	fake, err := p.oracle.Send(ctx, "", wr)
	if err != nil {
		e.Verdict, e.Reason = VerdictNotCompared, "the model failed: "+err.Error()
		p.lose(ctx, n, id, false)
		return
	}
	if wr.Method == http.MethodHead {
		fake.Body = nil // an answer to HEAD has no body on the wire (RFC 9110, 9.3.2)
	}
	e.Fake = &ProxyAnswer{Status: fake.Status, Header: fake.Header, Body: p.shown(fake.Body)}
	fv, _ := pyjson.Decode(fake.Body)
	switch {
	case deploymentStatus(up.Status):
		// Authentication, rate limits and gateways belong to the deployment, not to
		// the framework's rules the fake models: the upstream did not serve the
		// request, and that is not drift.
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the upstream did not serve the request (%d)", up.Status)
	case n.state == modelUnknown && fake.Status == http.StatusNotFound && judge.IsErrorResponse(fv):
		// The model answered from its lookup, and it does not know the number.
		e.Verdict, e.Reason = VerdictNotCompared, "the model does not know the number (learning is off, or the learning read failed or was off the document: see the journal)"
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
	if e.Verdict == VerdictEqual && n.state == modelKnown {
		// The model answered what the upstream did from the same record: it already
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
// model.
func deploymentStatus(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusProxyAuthRequired, http.StatusRequestTimeout,
		http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// untouchedChanged: both sides answered 200, and the upstream's record differs from
// its own previous word (the model's record before the exchange) in a field the
// request did not name, which the model kept. The request did not cause that: the
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

// follow makes the model take the upstream's word after an exchange: a 200 record
// replaces the model's, a 404 ErrorResponse removes the number. When the model
// applied an update the upstream refused (a 4xx: nothing was stored), the model gets
// its record back; after any other answer it cannot know, so it learns the number
// again before the next exchange.
func (p *Proxy) follow(ctx context.Context, n *number, id string, wr judge.Request, before pyjson.Value, fake, up judge.Reply) {
	path, _, _ := strings.Cut(wr.Path, "?")
	op := spec.IsOperation(wr.Method, path)
	switch {
	case up.Status == http.StatusOK:
		// Any 200 that is the number's record is the upstream's word on it, also one
		// to a request the model answered otherwise (a trailing slash served, another
		// method): taking it keeps one routing drift from showing again as stored state.
		rec, problem := p.recordOf(up, id)
		switch {
		case problem == "":
			p.store(ctx, n, id, rec)
		case op:
			// A learning read would likely answer off the document as well; the drift
			// is reported on this exchange.
			p.lose(ctx, n, id, false)
		}
	case up.Status == http.StatusNotFound && op && isErrorResponseBody(up.Body):
		p.absent(ctx, n, id)
	case fake.Status == http.StatusOK && op && up.Status >= 400 && up.Status < 500 && before.Kind == pyjson.Object:
		p.store(ctx, n, id, before)
	case fake.Status == http.StatusOK && op:
		p.lose(ctx, n, id, true)
	}
}

// recordOf is the number's record in a 200, for the model to take: the answer as it
// is when it is on the document, or else its JSON object without the keys the
// provider does not declare, if that is a whole record of the number. A service
// that adds a field to its records (or sends them as another content type) is
// reported as drift on every exchange that shows it, and the model still follows
// it; problem says why even that was not possible.
func (p *Proxy) recordOf(a judge.Reply, id string) (rec pyjson.Value, problem string) {
	rec, problem = p.judge.CheckRecord(a, id)
	if problem == "" {
		return rec, ""
	}
	v, err := pyjson.Decode(a.Body)
	if err != nil || v.Kind != pyjson.Object {
		return rec, problem
	}
	prov, _ := v.Get(spec.ProviderField)
	pr := p.judge.Doc.Provider(prov.Str)
	if pr == nil {
		return rec, problem
	}
	kept := pyjson.ObjectValue(nil)
	for _, m := range v.Obj {
		if pr.Index(m.Key) >= 0 {
			kept.Obj = append(kept.Obj, m)
		}
	}
	if got, _ := kept.Get(spec.IDField); got.Str != id {
		return rec, problem
	}
	if _, err := pr.Record(kept); err != nil {
		return rec, problem
	}
	return kept, ""
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

// operationID is the phone number id of a path to the modelled operation (any
// method, with or without a trailing slash), as the model's key and as sent.
func operationID(escaped string) (id, seg string, ok bool) {
	rest, ok := strings.CutPrefix(escaped, operationPrefix)
	if !ok {
		return "", "", false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || strings.Contains(rest, "/") {
		return "", "", false
	}
	id, err := url.PathUnescape(rest)
	if err != nil || strings.Contains(id, "/") {
		return "", "", false
	}
	return id, rest, true
}

// acquire takes the number's lock, creating its entry (and forgetting the least
// recently used one past MaxNumbers).
func (p *Proxy) acquire(ctx context.Context, id string) *number {
	p.mu.Lock()
	p.clock++
	n := p.numbers[id]
	if n == nil {
		p.evictLocked(ctx, 1)
		n = &number{}
		p.numbers[id] = n
	}
	n.busy++
	n.used = p.clock
	p.mu.Unlock()
	n.mu.Lock()
	return n
}

func (p *Proxy) release(ctx context.Context, n *number) {
	n.mu.Unlock()
	p.mu.Lock()
	n.busy--
	// Numbers all busy at once may have taken the map past its bound; back to it.
	p.evictLocked(ctx, 0)
	p.mu.Unlock()
}

// evictLocked forgets the least recently used idle numbers until room more fit in
// MaxNumbers (or none is idle). The model must not answer for a forgotten number
// from an old record, so it is freed there, under p.mu, so that nobody meets the
// number again before.
func (p *Proxy) evictLocked(ctx context.Context, room int) {
	for len(p.numbers) > p.cfg.MaxNumbers-room {
		var oldest *number
		var evicted string
		for k, m := range p.numbers {
			if m.busy == 0 && (oldest == nil || m.used < oldest.used) {
				oldest, evicted = m, k
			}
		}
		if oldest == nil {
			return
		}
		delete(p.numbers, evicted)
		_ = p.free(ctx, evicted)
	}
}

// prepare learns the number before its first exchange (and after the model lost
// track of it), unless learning is off.
func (p *Proxy) prepare(ctx context.Context, n *number, id, seg, auth string) {
	if n.state != modelUnknown || n.learned {
		return
	}
	n.learned = true
	_ = p.free(ctx, id) // the model answers "not found" for what it has not learnt
	if p.cfg.NoLearn {
		return
	}
	start := time.Now()
	e := &ProxyEntry{Kind: "learn", Time: start, Method: http.MethodPatch, Path: operationPrefix + seg, Body: "{}"}
	a, err := p.learn(ctx, seg, auth)
	p.drift.learnt()
	switch {
	case err != nil:
		e.Verdict, e.Reason = VerdictUpstreamFailed, err.Error()
		p.log.Warn("learning read failed", "path", e.Path, "error", e.Reason)
	case a.Status == http.StatusOK:
		e.Upstream = &ProxyAnswer{Status: a.Status, Header: boundedHeader(protocol.RedactHeader(a.Header)), Body: p.shown(a.Body)}
		rec, problem := p.recordOf(a, id)
		if problem != "" {
			// The model cannot take it, and the fake would never answer so: drift, under
			// rendering as the contract runner reports a read off the document. (What
			// recordOf could take shows as drift on the application's exchanges.)
			e.Verdict, e.Rule, e.Reason = VerdictDrift, judge.RuleRendering, "the answer to a learning read is off the document: "+problem
			e.Mismatches = []judge.Mismatch{{Path: "learning read", Expected: "a record of the document", Got: problem}}
			e.curl = p.curl(judge.JSONRequest(http.MethodPatch, e.Path, []byte("{}")), e)
			break
		}
		p.store(ctx, n, id, rec)
		e.Verdict, e.Reason = VerdictEqual, "learnt"
	case a.Status == http.StatusNotFound:
		// Not found, in whatever shape: the shape is compared on the application's
		// own requests.
		e.Upstream = &ProxyAnswer{Status: a.Status, Header: boundedHeader(protocol.RedactHeader(a.Header)), Body: p.shown(a.Body)}
		n.state = modelAbsent
		e.Verdict, e.Reason = VerdictEqual, "no number has the id"
	default:
		e.Upstream = &ProxyAnswer{Status: a.Status, Header: boundedHeader(protocol.RedactHeader(a.Header)), Body: p.shown(a.Body)}
		e.Verdict, e.Reason = VerdictNotCompared, fmt.Sprintf("the learning read answered %d: the model does not know the number", a.Status)
		p.log.Warn("learning read refused", "path", e.Path, "status", a.Status)
	}
	p.finish(e, start)
}

// learn reads a number with PATCH {}, which changes nothing (README: "PATCH {}
// changes nothing and answers the current record").
func (p *Proxy) learn(ctx context.Context, seg, auth string) (judge.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, p.base+operationPrefix+seg, strings.NewReader("{}"))
	if err != nil {
		return judge.Reply{}, fmt.Errorf("learning read: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	switch {
	case p.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
	case auth != "":
		req.Header.Set("Authorization", auth)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return judge.Reply{}, errors.New(p.transportError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxAnswerBytes))
	if err != nil {
		return judge.Reply{}, errors.New(p.transportError(err))
	}
	return judge.Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (p *Proxy) store(ctx context.Context, n *number, id string, rec pyjson.Value) {
	if err := p.oracle.Store(ctx, "", rec); err != nil {
		p.log.Warn("the model refused a record", "id", id, "error", err)
		p.lose(ctx, n, id, false)
		return
	}
	n.state = modelKnown
	p.drift.record(id, rec)
}

func (p *Proxy) absent(ctx context.Context, n *number, id string) {
	_ = p.free(ctx, id)
	n.state = modelAbsent
}

// lose forgets what the model knows of a number; with relearn the next exchange
// learns it again (a learning read), otherwise the model waits for a 200.
func (p *Proxy) lose(ctx context.Context, n *number, id string, relearn bool) {
	_ = p.free(ctx, id)
	n.state, n.learned = modelUnknown, !relearn
}

// free makes the oracle answer that no number has the id.
func (p *Proxy) free(ctx context.Context, id string) error { return p.oracle.Forget(ctx, "", id) }

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
	req, err := http.NewRequestWithContext(ctx, r.Method, p.base+target, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("the request cannot be forwarded: %w", err)
	}
	req.Header = withoutHop(r.Header)
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // the transport then sends none
	}
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	resp, err := p.client.Do(req)
	if err != nil {
		cancel()
		return nil, errors.New(p.transportError(err))
	}
	u := &upstreamAnswer{status: resp.StatusCode, header: withoutHop(resp.Header), resp: resp, length: resp.ContentLength}
	// The body's reading is bounded by the context's timeout; the cancel runs when the
	// body is closed.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
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

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
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

// curl reproduces a drifted request against the upstream: the body (credentials
// redacted), its content type, and the token from $VERBEX_API_KEY if the
// application sent one. Other headers are left out: they may carry secrets and
// the fake reads none of them.
func (p *Proxy) curl(w judge.Request, e *ProxyEntry) string {
	req, err := http.NewRequest(w.Method, p.base+w.Path, nil)
	if err != nil {
		return ""
	}
	req.URL.RawQuery = protocol.RedactQuery(req.URL.RawQuery)
	if w.ContentType != nil {
		req.Header.Set("Content-Type", *w.ContentType)
	}
	if _, ok := e.Header["Authorization"]; ok || p.cfg.Token != "" {
		req.Header.Set("Authorization", "set")
	}
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
	p.journal.add(e)
	p.drift.add(e)
	if e.Verdict == VerdictDrift {
		paths := make([]string, 0, min(len(e.Mismatches), 5))
		for _, m := range e.Mismatches[:min(len(e.Mismatches), 5)] {
			paths = append(paths, m.Path)
		}
		// Paths only: values may be bodies, and logs never carry bodies.
		p.log.Warn("drift", "rule", e.Rule, "kind", e.Kind, "method", e.Method, "path", e.Path,
			"fake_status", e.Fake.status(), "upstream_status", e.Upstream.status(), "differences", strings.Join(paths, ", "))
	}
}
