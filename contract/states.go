package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/verbex/verbex-mock/contract/judge"
	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// stateProvider puts the target into a scenario's named state.
type stateProvider interface {
	// provide returns the state's variables, or a reason to skip the scenario.
	provide(ctx context.Context, session string, g Given) (vals map[string]pyjson.Value, skip string, err error)
}

// httpStates speaks the provider-state protocol (POST {"state", "params"}).
type httpStates struct {
	r   *runner
	url string
}

func (h *httpStates) provide(ctx context.Context, session string, g Given) (map[string]pyjson.Value, string, error) {
	params := map[string]any{}
	for k, v := range g.Params {
		params[k] = v.Interface()
	}
	payload, _ := json.Marshal(map[string]any{"state": g.State, "params": params})
	req, err := judge.JSONRequest(http.MethodPost, h.url, payload).HTTP(ctx, "")
	if err != nil {
		return nil, "", err
	}
	req.Header.Set(SessionHeader, session)
	h.r.authorize(req)
	resp, err := h.r.do(req)
	if err != nil {
		return nil, "", fmt.Errorf("provider-state route %s: %s", h.url, judge.RedactText(err.Error(), h.r.cfg.Token))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var answer protocol.ErrorResponse
	if resp.StatusCode == http.StatusBadRequest && json.Unmarshal(b, &answer) == nil && answer.Error == protocol.CodeUnknownState {
		return nil, fmt.Sprintf("the target cannot provide state %q", g.State), nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", &stateRouteError{status: resp.StatusCode, body: b}
	}
	v, err := pyjson.Decode(b)
	if err != nil || v.Kind != pyjson.Object {
		return nil, "", fmt.Errorf("provider-state route answered %s, want a JSON object", judge.Truncate(b))
	}
	out := map[string]pyjson.Value{}
	for _, m := range v.Obj {
		out[m.Key] = m.Value
	}
	return out, "", nil
}

// check asks the states route for a harmless state (an id nobody has, which creates
// nothing) before anything runs: a route that is not there (404, 405) is a usage
// error, not a run of skipped scenarios that looks green.
func (h *httpStates) check(ctx context.Context) error {
	_, skip, err := h.provide(ctx, fmt.Sprintf("contract-%s-check", h.r.runID), Given{State: protocol.StateNoPhoneNumber})
	var se *stateRouteError
	switch {
	case errors.As(err, &se) && (se.status == http.StatusNotFound || se.status == http.StatusMethodNotAllowed):
		ce := &ConfigError{Msg: fmt.Sprintf("--states %s: the target has no provider-state route there (it answered %d)", h.r.cfg.States, se.status)}
		if h.r.cfg.States != protocol.StatesPath && h.r.looksLikeTheFake(ctx) {
			ce.Hint = "--states " + protocol.StatesPath
		}
		return ce
	case err != nil:
		return &ConfigError{Msg: fmt.Sprintf("--states %s: %v", h.r.cfg.States, err)}
	case skip != "":
		// A route that cannot even say an id is free is still a route; scenarios that
		// need that state are skipped and say so.
		return nil
	}
	return nil
}

// looksLikeTheFake reports whether the target serves this fake's states route.
func (r *runner) looksLikeTheFake(ctx context.Context) bool {
	req, err := judge.Request{Method: http.MethodGet, Path: protocol.StatesPath}.HTTP(ctx, r.cfg.Target)
	if err != nil {
		return false
	}
	resp, err := r.do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var list protocol.StateList
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&list) == nil && len(list.States) > 0
}

// stateRouteError is an answer of the states route that is neither a state nor a
// refusal of one.
type stateRouteError struct {
	status int
	body   []byte
}

func (e *stateRouteError) Error() string {
	return fmt.Sprintf("provider-state route answered %d: %s", e.status, judge.Truncate(e.body))
}

// idStates provides states on a target without a states route from the numbers the
// user named: it snapshots them first and restores them at the end.
type idStates struct {
	r         *runner
	ids       map[string]string // provider → id
	snapshots map[string]pyjson.Value
	mu        sync.Mutex
	used      map[string]map[string]bool // session → providers already handed out
}

func (s *idStates) patch(ctx context.Context, id string, body pyjson.Value) (int, pyjson.Value, error) {
	b, err := pyjson.Append(nil, body)
	if err != nil {
		return 0, pyjson.Value{}, err
	}
	a, err := s.r.send(ctx, "", judge.JSONRequest(http.MethodPatch, judge.NumberPath(id), b))
	if err != nil {
		return 0, pyjson.Value{}, err
	}
	v, _ := pyjson.Decode(a.Body)
	return a.Status, v, nil
}

// snapshot reads each given number with an empty PATCH, which changes nothing. A
// number the target cannot read (a wrong id) is a usage error; a read answered off
// the document (no or the wrong provider, a body off its schema) is a contract
// failure, returned as a failed result.
func (s *idStates) snapshot(ctx context.Context) ([]ScenarioResult, error) {
	s.snapshots = map[string]pyjson.Value{}
	var failures []ScenarioResult
	for _, p := range sortedKeys(s.ids) {
		id := s.ids[p]
		if id == "" {
			continue
		}
		a, err := s.r.send(ctx, "", judge.EmptyPatch(id))
		if err != nil {
			return nil, fmt.Errorf("%w: reading %s number %s: %v", ErrUnreachable, p, id, err)
		}
		if a.Status != http.StatusOK {
			return nil, &ConfigError{Msg: fmt.Sprintf("--id %s=%s: the target answered %d to an empty PATCH; want 200", p, id, a.Status)}
		}
		rec, problem := s.r.judge.CheckRecord(a, id)
		if got, _ := rec.Get(spec.ProviderField); problem == "" && got.Str != p {
			problem = fmt.Sprintf("its provider is %s, not %q as given", text(got), p)
		}
		if problem != "" {
			failures = append(failures, ScenarioResult{
				Name: fmt.Sprintf("preflight read of the %s number %s", p, id), File: "(preflight)", Rule: judge.RuleRendering,
				Status: StatusFailed, Reason: "the answer to an empty PATCH is off the document: " + problem,
				Steps: []StepResult{{Name: "read", Method: http.MethodPatch, URL: s.r.cfg.Target + spec.Path, Status: a.Status,
					ResponseBody: judge.RedactBody(a.Body, s.r.cfg.Token), Failures: []Failure{{Kind: "preflight", Message: problem}}}},
			})
			continue
		}
		s.snapshots[id] = rec
	}
	return failures, nil
}

// restorable are the fields of a record that an update can set.
func (s *idStates) restorable(p *spec.Provider) []string { return s.r.restorable(p) }

func (r *runner) restorable(p *spec.Provider) []string {
	var out []string
	for _, f := range p.Fields {
		for _, b := range r.doc.Union.Branches {
			if b.Has(f.Name) {
				out = append(out, f.Name)
				break
			}
		}
	}
	return out
}

// restore puts every given number back as it was; it returns what it did.
func (s *idStates) restore(ctx context.Context) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var done []string
	for _, id := range sortedKeys(s.snapshots) {
		snap := s.snapshots[id]
		prov, _ := snap.Get(spec.ProviderField)
		p := s.r.doc.Provider(prov.Str)
		body := pyjson.ObjectValue(nil)
		for _, f := range s.restorable(p) {
			val, _ := snap.Get(f)
			body.Set(f, val)
		}
		status, got, err := s.patch(ctx, id, body)
		switch {
		case err != nil:
			done = append(done, fmt.Sprintf("%s: NOT restored: %v", id, err))
		case status != http.StatusOK || !got.Equal(snap):
			done = append(done, fmt.Sprintf("%s: NOT restored: the target answered %d %s", id, status, judge.RedactValue(got)))
		default:
			done = append(done, id+": restored")
		}
	}
	return done
}

// providerState is the state that makes a number of the provider exist, named from
// its response schema's title as the fake names it ("a Vonage number exists").
func (r *runner) providerState(provider string) string {
	if p := r.doc.Provider(provider); p != nil && p.Label != "" {
		return protocol.StateName(p.Label)
	}
	return protocol.ProviderStateName(provider)
}

func (s *idStates) provide(ctx context.Context, session string, g Given) (map[string]pyjson.Value, string, error) {
	if p := s.r.providerOf(g.State); p != nil {
		id := s.ids[p.Name]
		if id == "" {
			return nil, skipNoNumber(g.State, p.Name), nil
		}
		s.mu.Lock()
		if s.used == nil {
			s.used = map[string]map[string]bool{}
		}
		if s.used[session] == nil {
			s.used[session] = map[string]bool{}
		}
		twice := s.used[session][p.Name]
		s.used[session][p.Name] = true
		s.mu.Unlock()
		if twice {
			return nil, skipTwoNumbers(p.Name), nil
		}
		body := pyjson.ObjectValue(nil)
		for _, k := range sortedKeys(g.Params) {
			body.Set(k, g.Params[k])
		}
		status, rec, err := s.patch(ctx, id, body)
		if err != nil {
			return nil, "", err
		}
		if status != http.StatusOK {
			return nil, "", fmt.Errorf("setting %v on %s answered %d", sortedKeys(g.Params), id, status)
		}
		number, _ := rec.Get(spec.NumberField)
		return map[string]pyjson.Value{
			"phone_number_id": pyjson.StringValue(id),
			"phone_number":    number,
			"provider":        pyjson.StringValue(p.Name),
		}, "", nil
	}
	if g.State == protocol.StateNoPhoneNumber {
		id := randomID()
		if v, ok := g.Params["phone_number_id"]; ok {
			id = v.Str
		}
		return map[string]pyjson.Value{"phone_number_id": pyjson.StringValue(id)}, "", nil
	}
	return nil, skipNoStatesRoute(g.State), nil
}
