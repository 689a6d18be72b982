package mock

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// Provider states: the protocol behind POST /__admin/states. Another implementation
// (a staging shim, a candidate rewrite) can serve the same protocol so that the
// contract runner can drive it:
//
//	POST {"state": NAME, "params": {…}}  → 200 {…variables…}
//	                                     → 400 {"error": "unknown_state" | "invalid_state_params", "message": …}
//	GET                                  → 200 {"states": [{"name", "description", "params", "returns"}…]}
//
// The request's X-Verbex-Mock-Session header (or ?session=) scopes the state.
var (
	ErrUnknownState = errors.New("mock: unknown provider state")
	ErrStateParams  = errors.New("mock: invalid provider state params")
)

// StateInfo describes a provider state for GET /__admin/states.
type StateInfo = protocol.StateInfo

type state struct {
	StateInfo
	apply func(s *Server, ss *session, params map[string]any) (map[string]any, error)
}

// Names of the built-in states beyond the per-provider "a … number exists".
const (
	StateNoPhoneNumber     = protocol.StateNoPhoneNumber
	StateNextUpdateFails   = protocol.StateNextUpdateFails
	StatePhoneNumberStored = protocol.StatePhoneNumberStored
)

// ProviderStateName is the state that makes a number of the provider exist:
// "a SIP number exists", "a Pia number exists", "a Twilio number exists".
func ProviderStateName(provider string) string { return protocol.ProviderStateName(provider) }

// buildStates derives the provider states from the document, once, in New.
func (s *Server) buildStates() []state {
	var out []state
	for _, p := range s.doc.Providers {
		p := p
		params := map[string]string{}
		for _, f := range p.Fields {
			if f.Name != spec.IDField && f.Name != spec.ProviderField {
				params[f.Name] = "value to set first (" + kindsText(f) + ")"
			}
		}
		out = append(out, state{
			StateInfo: StateInfo{
				Name:        ProviderStateName(p.Name),
				Description: fmt.Sprintf("creates a new %s phone number (a fresh id, realistic values) with the given field values set", p.Name),
				Params:      params,
				Returns:     []string{"phone_number_id", "phone_number", "provider"},
			},
			apply: func(s *Server, ss *session, params map[string]any) (map[string]any, error) {
				return s.createNumber(ss, p, params)
			},
		})
	}
	out = append(out,
		state{
			StateInfo: StateInfo{
				Name:        StateNoPhoneNumber,
				Description: "answers an id no phone number has; a given id is deleted if it exists",
				Params:      map[string]string{"phone_number_id": "optional id to make free"},
				Returns:     []string{"phone_number_id"},
			},
			apply: func(s *Server, ss *session, params map[string]any) (map[string]any, error) {
				id, _ := params["phone_number_id"].(string)
				ss.mu.Lock()
				defer ss.mu.Unlock()
				if id == "" {
					id = freeID(s, ss)
				} else if _, ok := ss.records[id]; ok {
					delete(ss.records, id)
					ss.order = removeString(ss.order, id)
				}
				return map[string]any{"phone_number_id": id}, nil
			},
		},
		state{
			StateInfo: StateInfo{
				Name:        StatePhoneNumberStored,
				Description: "stores the record given as params exactly as it is (every field of its provider's response schema, _id and provider included), replacing a number with the same _id",
				Params:      map[string]string{"_id": "the id", "provider": "the provider", "…": "the other fields of that provider's schema"},
				Returns:     []string{"phone_number_id", "phone_number", "provider"},
			},
			apply: func(s *Server, ss *session, params map[string]any) (map[string]any, error) {
				return s.storeNumber(ss, params)
			},
		},
		state{
			StateInfo: StateInfo{
				Name:        StateNextUpdateFails,
				Description: "the next PATCH (to the given id, or to any) answers the given status once",
				Params:      map[string]string{"status": "404, 422 or 500 (default 500)", "phone_number_id": "optional id the failure is limited to"},
				Returns:     []string{"fault_id", "status"},
			},
			apply: func(s *Server, ss *session, params map[string]any) (map[string]any, error) {
				status := http.StatusInternalServerError
				if v, ok := params["status"]; ok {
					n, ok := toInt(v)
					if !ok {
						return nil, fmt.Errorf("%w: status %v is not a number", ErrStateParams, v)
					}
					status = n
				}
				rule := FaultRule{Name: StateNextUpdateFails, Status: status, Times: 1, Priority: 1000,
					Match: FaultMatch{Method: http.MethodPatch}}
				if id, _ := params["phone_number_id"].(string); id != "" {
					rule.Match.PhoneNumberID = id
				}
				body, err := s.checkFault(rule)
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrStateParams, err)
				}
				ss.mu.Lock()
				added := ss.addFault(rule, body, s.opts.Seed)
				ss.mu.Unlock()
				return map[string]any{"fault_id": added.ID, "status": status}, nil
			},
		},
	)
	return out
}

func (s *Server) state(name string) *state {
	for i := range s.states {
		if s.states[i].Name == name {
			return &s.states[i]
		}
	}
	return nil
}

func (s *Server) stateNames() []string {
	var names []string
	for _, st := range s.states {
		names = append(names, st.Name)
	}
	return names
}

// createNumber adds a fresh number of provider p to the session with params set.
func (s *Server) createNumber(ss *session, p *spec.Provider, params map[string]any) (map[string]any, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	taken := make(map[string]bool, len(ss.records))
	for id := range ss.records {
		taken[id] = true
	}
	// A seed from the session and its size keeps each run's ids the same.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d/%d", ss.name, len(ss.records), ss.faultSeq)
	rec, err := generateOne(s.doc, p, s.opts.Seed^h.Sum64(), taken)
	if err != nil {
		return nil, err
	}
	for name, v := range params {
		i := p.Index(name)
		if i < 0 || name == spec.IDField || name == spec.ProviderField {
			return nil, fmt.Errorf("%w: %q is not a field you can set on a %s number (fields: %s)", ErrStateParams, name, p.Name, strings.Join(p.FieldNames(), ", "))
		}
		val, err := anyValue(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrStateParams, name, err)
		}
		if err := p.Fields[i].Check(val); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrStateParams, name, err)
		}
		if name == spec.NumberField && !e164.MatchString(val.Str) {
			return nil, fmt.Errorf("%w: %s: %q is not an E.164 number", ErrStateParams, name, val.Str)
		}
		rec.values[i] = val
	}
	id := rec.id()
	ss.records[id] = rec
	ss.order = append(ss.order, id)
	number := rec.values[p.Index(spec.NumberField)].Str
	return map[string]any{"phone_number_id": id, "phone_number": number, "provider": p.Name}, nil
}

// storeNumber puts a whole record, given as params, into the session as it is.
func (s *Server) storeNumber(ss *session, params map[string]any) (map[string]any, error) {
	obj := pyjson.ObjectValue(nil)
	for _, name := range sortedParamNames(s.doc, params) {
		v, err := anyValue(params[name])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrStateParams, name, err)
		}
		obj.Set(name, v)
	}
	rec, err := newRecord(s.doc, obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStateParams, err)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	id := rec.id()
	if _, exists := ss.records[id]; !exists {
		ss.order = append(ss.order, id)
	}
	ss.records[id] = rec
	number := rec.values[rec.provider.Index(spec.NumberField)].Str
	return map[string]any{"phone_number_id": id, "phone_number": number, "provider": rec.provider.Name}, nil
}

// sortedParamNames orders params by the provider's schema when it is known, so that a
// record's errors name fields in the order a reader sees them.
func sortedParamNames(doc *spec.Document, params map[string]any) []string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	if name, _ := params[spec.ProviderField].(string); doc.Provider(name) != nil {
		p := doc.Provider(name)
		slices.SortStableFunc(names, func(a, b string) int { return rankOf(p, a) - rankOf(p, b) })
	}
	return names
}

func rankOf(p *spec.Provider, name string) int {
	if i := p.Index(name); i >= 0 {
		return i
	}
	return len(p.Fields)
}

func generateOne(doc *spec.Document, p *spec.Provider, seed uint64, taken map[string]bool) (*record, error) {
	// generate cycles through providers; generating up to len(Providers) numbers from
	// the same seed and keeping the one of p reuses its realistic values.
	recs, err := generate(doc, len(doc.Providers), seed, taken)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.provider == p {
			return r, nil
		}
	}
	return nil, fmt.Errorf("mock: no generator for provider %q", p.Name)
}

func freeID(s *Server, ss *session) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "free/%s/%d", ss.name, len(ss.records))
	seed := s.opts.Seed ^ h.Sum64()
	for i := uint64(0); ; i++ {
		id := fmt.Sprintf("%016x%08x", seed+i*0x9E3779B97F4A7C15, uint32(seed>>7)+uint32(i))
		if _, taken := ss.records[id]; !taken {
			return id
		}
	}
}

func anyValue(v any) (pyjson.Value, error) {
	switch v := v.(type) {
	case nil:
		return pyjson.NullValue(), nil
	case string:
		return pyjson.StringValue(v), nil
	case bool:
		return pyjson.BoolValue(v), nil
	case float64:
		return pyjson.NumberValue(pyjson.FloatRepr(v)), nil
	case int:
		return pyjson.NumberValue(fmt.Sprint(v)), nil
	default:
		return pyjson.Value{}, fmt.Errorf("unsupported value %v", v)
	}
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case float64:
		return int(v), v == float64(int(v))
	case int:
		return v, true
	case string:
		var n int
		_, err := fmt.Sscan(v, &n)
		return n, err == nil
	}
	return 0, false
}

func kindsText(f spec.Field) string {
	var parts []string
	for _, k := range f.Kinds {
		parts = append(parts, k.String())
	}
	if len(f.Enum) > 0 {
		return "one of " + strings.Join(f.Enum, ", ")
	}
	return strings.Join(parts, " or ")
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}
