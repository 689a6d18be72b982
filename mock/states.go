package mock

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
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

// ProviderStateName is the state that makes a number of the provider exist, named
// from the provider's name: "a SIP number exists", "a Pia number exists", "a Twilio
// number exists". The server names each provider's state from its response schema's
// title (spec.Provider.Label) and serves this name too where it differs.
func ProviderStateName(provider string) string { return protocol.ProviderStateName(provider) }

type state struct {
	StateInfo
	apply func(ss *sessionState, params map[string]any) (map[string]any, error)
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
func (s *Server) setState(ss *sessionState, name string, params map[string]any) (map[string]any, error) {
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
		for i := range p.Fields {
			if f := &p.Fields[i]; f.Name != spec.IDField && f.Name != spec.ProviderField {
				params[f.Name] = "value to set first (" + kindsText(f) + ")"
			}
		}
		apply := func(ss *sessionState, params map[string]any) (map[string]any, error) {
			return s.createNumber(ss, p, params)
		}
		name := protocol.StateName(p.Label)
		out = append(out, state{
			StateInfo: StateInfo{
				Name:        name,
				Description: fmt.Sprintf("creates a new %s phone number (a fresh id, realistic values) with the given field values set", p.Name),
				Params:      params,
				Returns:     []string{"phone_number_id", "phone_number", "provider"},
			},
			apply: apply,
		})
		// The name from the provider's name, which tools written before the title
		// named the state may use.
		if byName := ProviderStateName(p.Name); byName != name {
			out = append(out, state{
				StateInfo: StateInfo{Name: byName, Description: "the same as " + strconv.Quote(name), Params: params,
					Returns: []string{"phone_number_id", "phone_number", "provider"}},
				apply: apply,
			})
		}
	}
	return append(out, s.noPhoneNumberState(), s.storedState(), s.nextUpdateFailsState())
}

// noPhoneNumberState answers an id no number has.
func (s *Server) noPhoneNumberState() state {
	return state{
		StateInfo: StateInfo{
			Name:        StateNoPhoneNumber,
			Description: "answers an id no phone number has; a given id is deleted if it exists",
			Params:      map[string]string{"phone_number_id": "optional id to make free"},
			Returns:     []string{"phone_number_id"},
		},
		apply: func(ss *sessionState, params map[string]any) (map[string]any, error) {
			want, _ := params["phone_number_id"].(string)
			id := ss.freeID(want, func(attempt uint64, size int) string {
				h := fnv.New64a()
				fmt.Fprintf(h, "free/%d", size)
				seed := s.opts.Seed ^ h.Sum64()
				return fmt.Sprintf("%016x%08x", seed+attempt*0x9E3779B97F4A7C15, uint32(seed>>7)+uint32(attempt))
			})
			return map[string]any{"phone_number_id": id}, nil
		},
	}
}

// storedState stores a whole record as given.
func (s *Server) storedState() state {
	return state{
		StateInfo: StateInfo{
			Name:        StatePhoneNumberStored,
			Description: "stores the record given as params exactly as it is (every field of its provider's response schema, _id and provider included), replacing a number with the same _id",
			Params:      map[string]string{"_id": "the id", "provider": "the provider", "…": "the other fields of that provider's schema"},
			Returns:     []string{"phone_number_id", "phone_number", "provider"},
		},
		apply: s.storeNumber,
	}
}

// nextUpdateFailsState adds a one-off fault rule for the next PATCH.
func (s *Server) nextUpdateFailsState() state {
	return state{
		StateInfo: StateInfo{
			Name:        StateNextUpdateFails,
			Description: "the next PATCH (to the given id, or to any) answers the given status once",
			Params:      map[string]string{"status": "404, 422 or 500 (default 500)", "phone_number_id": "optional id the failure is limited to"},
			Returns:     []string{"fault_id", "status"},
		},
		apply: func(ss *sessionState, params map[string]any) (map[string]any, error) {
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
	}
}

// createNumber adds a fresh number of provider p to the session with params set.
func (s *Server) createNumber(ss *sessionState, p *spec.Provider, params map[string]any) (map[string]any, error) {
	values := map[int]pyjson.Value{}
	for name, v := range params {
		i := p.Index(name)
		if i < 0 || name == spec.IDField || name == spec.ProviderField {
			return nil, fmt.Errorf("%w: %q is not a field you can set on a %s number (fields: %s)", ErrStateParams, name, p.Name, strings.Join(p.FieldNames(), ", "))
		}
		val, err := paramValue(v, &p.Fields[i])
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
func (s *Server) storeNumber(ss *sessionState, params map[string]any) (map[string]any, error) {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	p := s.doc.Provider(fmt.Sprint(params[spec.ProviderField]))
	if p != nil {
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
		var f *spec.Field
		if p != nil {
			if i := p.Index(name); i >= 0 {
				f = &p.Fields[i]
			}
		}
		v, err := paramValue(params[name], f)
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

// paramValue turns a state parameter, as encoding/json decoded it, into a JSON value
// of field f (nil: no schema known): a whole number is an integer where f takes one
// and a float elsewhere (pydantic renders a float field's 10 as 10.0), and a nested
// object's members follow f's property order, as pydantic renders a model.
func paramValue(v any, f *spec.Field) (pyjson.Value, error) {
	switch v := v.(type) {
	case nil:
		return pyjson.NullValue(), nil
	case string:
		return pyjson.StringValue(v), nil
	case bool:
		return pyjson.BoolValue(v), nil
	case float64:
		if f != nil && f.Integer && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return pyjson.NumberValue(strconv.FormatInt(int64(v), 10)), nil
		}
		return pyjson.NumberValue(pyjson.FloatRepr(v)), nil
	case int:
		return pyjson.NumberValue(strconv.Itoa(v)), nil
	case []any:
		var items *spec.Field
		if f != nil {
			items = f.Items
		}
		out := make([]pyjson.Value, len(v))
		for i, e := range v {
			ev, err := paramValue(e, items)
			if err != nil {
				return pyjson.Value{}, fmt.Errorf("item %d: %w", i, err)
			}
			out[i] = ev
		}
		return pyjson.ArrayValue(out), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var props []spec.Field
		if f != nil {
			props = f.Props
		}
		rank := func(k string) int {
			if i := slices.IndexFunc(props, func(p spec.Field) bool { return p.Name == k }); i >= 0 {
				return i
			}
			return len(props)
		}
		slices.SortStableFunc(keys, func(a, b string) int { return rank(a) - rank(b) })
		obj := pyjson.ObjectValue(nil)
		for _, k := range keys {
			var pf *spec.Field
			if i := rank(k); i < len(props) {
				pf = &props[i]
			}
			ev, err := paramValue(v[k], pf)
			if err != nil {
				return pyjson.Value{}, fmt.Errorf("%q: %w", k, err)
			}
			obj.Set(k, ev)
		}
		return obj, nil
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

// kindsText describes what a field takes, for a state's params: its values, or its
// types with their bounds ("integer from 1 to 100 or null", "string of at most 32
// characters or null", "string matching ^[0-9a-f]{8}$ or null").
func kindsText(f *spec.Field) string {
	if len(f.Values) > 0 {
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			switch v.Kind {
			case pyjson.Null:
				vals[i] = "null"
			case pyjson.Bool:
				vals[i] = strconv.FormatBool(v.Bool)
			default:
				vals[i] = v.Str
			}
		}
		text := "one of " + strings.Join(vals, ", ")
		if slices.Contains(f.Kinds, pyjson.Null) && !slices.ContainsFunc(f.Values, func(v pyjson.Value) bool { return v.Kind == pyjson.Null }) {
			text += ", or null"
		}
		return text
	}
	if len(f.Kinds) == 0 {
		return "any value"
	}
	b := f.Bounds()
	kinds := slices.Clone(f.Kinds)
	if i := slices.Index(kinds, pyjson.Null); i >= 0 { // null last: "integer or null"
		kinds = append(slices.Delete(kinds, i, i+1), pyjson.Null)
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k.String()
		switch k {
		case pyjson.Number:
			if f.Integer {
				parts[i] = "integer"
			}
			parts[i] += numberText(b)
		case pyjson.String:
			parts[i] += lengthText(b.MinLength, b.MaxLength, "character")
			if b.PatternSource != "" {
				parts[i] += " matching " + b.PatternSource
			}
		case pyjson.Array:
			parts[i] += lengthText(b.MinItems, b.MaxItems, "item")
			if f.Items != nil && len(f.Items.Kinds) > 0 {
				parts[i] += ", each " + kindsText(f.Items)
			}
		case pyjson.Object:
			if len(f.Props) > 0 {
				names := make([]string, len(f.Props))
				for j, p := range f.Props {
					names[j] = p.Name
					if p.Required {
						names[j] += " (required)"
					}
				}
				parts[i] += " with " + strings.Join(names, ", ")
			}
		}
	}
	return strings.Join(parts, " or ")
}

func lengthText(lo, hi *int64, unit string) string {
	plural := func(n int64) string {
		if n == 1 {
			return unit
		}
		return unit + "s"
	}
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf(" of %d to %d %s", *lo, *hi, plural(*hi))
	case lo != nil:
		return fmt.Sprintf(" of at least %d %s", *lo, plural(*lo))
	case hi != nil:
		return fmt.Sprintf(" of at most %d %s", *hi, plural(*hi))
	}
	return ""
}

func numberText(b spec.Bounds) string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var parts []string
	if b.Minimum != nil {
		op := "≥ "
		if b.ExclusiveMinimum {
			op = "> "
		}
		parts = append(parts, op+num(*b.Minimum))
	}
	if b.Maximum != nil {
		op := "≤ "
		if b.ExclusiveMaximum {
			op = "< "
		}
		parts = append(parts, op+num(*b.Maximum))
	}
	if b.MultipleOf != nil {
		parts = append(parts, "a multiple of "+num(*b.MultipleOf))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
