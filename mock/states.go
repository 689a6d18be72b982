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

// Provider states: the protocol behind POST /__admin/states (package protocol has its
// names and shapes). Another implementation (a staging shim, a candidate rewrite) can
// serve the same protocol so that the contract runner can drive it:
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

// Names of the built-in states beyond the per-provider "a … number exists".
const (
	StateNoPhoneNumber     = protocol.StateNoPhoneNumber
	StateNextUpdateFails   = protocol.StateNextUpdateFails
	StatePhoneNumberStored = protocol.StatePhoneNumberStored
)

// ProviderStateName is the state that makes a number of the provider exist:
// "a SIP number exists", "a Pia number exists", "a Twilio number exists".
func ProviderStateName(provider string) string { return protocol.ProviderStateName(provider) }

type state struct {
	StateInfo
	apply func(ss *session, params map[string]any) (map[string]any, error)
}

// States lists the provider states the server provides.
func (s *Server) States() []StateInfo {
	out := make([]StateInfo, len(s.states))
	for i, st := range s.states {
		out[i] = st.StateInfo
	}
	return out
}

// setState puts a session into a named state.
func (s *Server) setState(ss *session, name string, params map[string]any) (map[string]any, error) {
	i := slices.IndexFunc(s.states, func(st state) bool { return st.Name == name })
	if i < 0 {
		names := make([]string, len(s.states))
		for j, st := range s.states {
			names[j] = st.Name
		}
		return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownState, name, strings.Join(names, "; "))
	}
	return s.states[i].apply(ss, params)
}

// buildStates derives the provider states from the document, once, in New.
func (s *Server) buildStates() []state {
	var out []state
	for _, p := range s.doc.Providers {
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
			apply: func(ss *session, params map[string]any) (map[string]any, error) {
				return s.createNumber(ss, p, params)
			},
		})
	}
	return append(out,
		state{
			StateInfo: StateInfo{
				Name:        StateNoPhoneNumber,
				Description: "answers an id no phone number has; a given id is deleted if it exists",
				Params:      map[string]string{"phone_number_id": "optional id to make free"},
				Returns:     []string{"phone_number_id"},
			},
			apply: func(ss *session, params map[string]any) (map[string]any, error) {
				want, _ := params["phone_number_id"].(string)
				id := ss.freeID(want, func(attempt uint64, size int) string {
					h := fnv.New64a()
					fmt.Fprintf(h, "free/%d", size)
					seed := s.opts.Seed ^ h.Sum64()
					return fmt.Sprintf("%016x%08x", seed+attempt*0x9E3779B97F4A7C15, uint32(seed>>7)+uint32(attempt))
				})
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
			apply: s.storeNumber,
		},
		state{
			StateInfo: StateInfo{
				Name:        StateNextUpdateFails,
				Description: "the next PATCH (to the given id, or to any) answers the given status once",
				Params:      map[string]string{"status": "404, 422 or 500 (default 500)", "phone_number_id": "optional id the failure is limited to"},
				Returns:     []string{"fault_id", "status"},
			},
			apply: func(ss *session, params map[string]any) (map[string]any, error) {
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
				c, err := s.checkFault(rule)
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrStateParams, err)
				}
				added, err := ss.addFault(c, s.opts.Seed, s.opts.MaxFaultRules)
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrStateParams, err)
				}
				return map[string]any{"fault_id": added.ID, "status": status}, nil
			},
		},
	)
}

// createNumber adds a fresh number of provider p to the session with params set.
func (s *Server) createNumber(ss *session, p *spec.Provider, params map[string]any) (map[string]any, error) {
	values := map[int]pyjson.Value{}
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
		values[i] = val
	}
	rec, err := ss.create(func(taken func(string) bool, records, faultSeq int) (*record, error) {
		// A seed from the session's size alone: the same state gets the same number in any session, so a run (and a replay) repeats itself.
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d", records, faultSeq)
		rec, err := generateOne(s.doc, p, s.opts.Seed^h.Sum64(), taken)
		if err != nil {
			return nil, err
		}
		for i, v := range values {
			rec.values[i] = v
		}
		return rec, nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"phone_number_id": rec.id(), "phone_number": rec.number(), "provider": p.Name}, nil
}

// storeNumber puts a whole record, given as params, into the session as it is.
func (s *Server) storeNumber(ss *session, params map[string]any) (map[string]any, error) {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	if p := s.doc.Provider(fmt.Sprint(params[spec.ProviderField])); p != nil {
		// In schema order, so that an error names the first field a reader sees.
		rank := func(name string) int {
			if i := p.Index(name); i >= 0 {
				return i
			}
			return len(p.Fields)
		}
		slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	}
	obj := pyjson.ObjectValue(nil)
	for _, name := range names {
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
	if err := ss.put(rec); err != nil {
		return nil, err
	}
	return map[string]any{"phone_number_id": rec.id(), "phone_number": rec.number(), "provider": rec.provider.Name}, nil
}

// anyValue turns a state parameter, as encoding/json decoded it, into a JSON value.
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

// kindsText describes what a field takes, for a state's params.
func kindsText(f spec.Field) string {
	if len(f.Enum) > 0 {
		return "one of " + strings.Join(f.Enum, ", ")
	}
	parts := make([]string, len(f.Kinds))
	for i, k := range f.Kinds {
		parts[i] = k.String()
	}
	return strings.Join(parts, " or ")
}
