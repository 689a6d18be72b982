package mock

import (
	"fmt"
	"strings"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// DefaultSeed is the gofakeit seed used when none is given (gofakeit treats 0 as
// "random", which would make generated numbers differ between runs).
const DefaultSeed = 20260226

// generate makes n phone numbers from seed, cycling through the providers, with ids
// that do not collide with taken. The same seed gives the same numbers on every run.
func generate(doc *spec.Document, n int, seed uint64, taken func(id string) bool) ([]*record, error) {
	if seed == 0 {
		seed = DefaultSeed
	}
	f := gofakeit.New(seed)
	hex := func(nBytes int) string {
		var b strings.Builder
		for b.Len() < 2*nBytes {
			fmt.Fprintf(&b, "%016x", f.Uint64())
		}
		return b.String()[:2*nBytes]
	}
	maybe := func(s string) pyjson.Value {
		if f.Bool() {
			return pyjson.StringValue(s)
		}
		return pyjson.NullValue()
	}
	countries := []string{"+1##########", "+44##########", "+49##########", "+61#########", "+880##########"}
	out := make([]*record, 0, n)
	made := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		p := doc.Providers[i%len(doc.Providers)]
		id := hex(12)
		for taken(id) || made[id] {
			id = hex(12)
		}
		made[id] = true
		number := f.Numerify(countries[f.IntRange(0, len(countries)-1)])
		number = "+" + strings.TrimLeft(number[1:], "0")
		obj := pyjson.ObjectValue(nil)
		for _, field := range p.Fields {
			var v pyjson.Value
			switch field.Name {
			case spec.IDField:
				v = pyjson.StringValue(id)
			case spec.ProviderField:
				v = pyjson.StringValue(p.Name)
			case spec.NumberField:
				v = pyjson.StringValue(number)
			case "friendly_name":
				v = maybe(f.Company() + " " + f.RandomString([]string{"support", "sales", "front desk", "after hours", "bookings"}))
			case "inbound_agent_id", "outbound_agent_id":
				v = maybe(hex(12))
			case "sip_termination_uri":
				v = maybe("sip:" + strings.ToLower(f.Username()) + "@" + f.DomainName())
			case "sip_trunk_username":
				v = maybe(strings.ToLower(f.Username()))
			case "sip_trunk_password", "twilio_auth_token":
				v = maybe(hex(16))
			case "twilio_account_sid":
				v = maybe("AC" + hex(16))
			default:
				if len(field.Enum) > 0 {
					v = pyjson.StringValue(field.Enum[f.IntRange(0, len(field.Enum)-1)])
				} else if field.Default != nil {
					v = *field.Default
				}
			}
			obj.Set(field.Name, v)
		}
		rec, err := newRecord(doc, obj)
		if err != nil {
			return nil, fmt.Errorf("mock: generated record %d: %w", i+1, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// generateOne makes one number of provider p. generate cycles through the providers,
// so generating up to one number per provider from the same seed and keeping p's
// reuses its realistic values.
func generateOne(doc *spec.Document, p *spec.Provider, seed uint64, taken func(string) bool) (*record, error) {
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
