package spec

import "testing"

func TestLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ title, name, want string }{
		{"GetSIPPhoneNumberResponse", "sip", "SIP"},
		{"GetPiaPhoneNumberResponse", "pia", "Pia"},
		{"GetVonagePhoneNumberResponse", "vonage", "Vonage"},
		{"TelnyxPhoneNumber", "telnyx", "Telnyx"},
		{"Get Vonage Phone Number Response", "vonage", "Vonage"},
		{"", "plivo", "Plivo"},
		{"PhoneNumberResponse", "x", "X"},
	} {
		if got := label(tt.title, tt.name); got != tt.want {
			t.Errorf("label(%q, %q) = %q, want %q", tt.title, tt.name, got, tt.want)
		}
	}
}

// TestBounds: the extended document's constraint keywords, as a generator reads them.
func TestBounds(t *testing.T) {
	t.Parallel()
	p := loadExtended(t).Provider("vonage")
	b := func(name string) Bounds { return p.Fields[p.Index(name)].Bounds() }
	if x := b("max_concurrent_calls"); x.Minimum == nil || *x.Minimum != 1 || x.Maximum == nil || *x.Maximum != 100 || x.ExclusiveMinimum {
		t.Errorf("max_concurrent_calls: %+v", x)
	}
	if x := b("call_weight"); x.Minimum == nil || *x.Minimum != 0 || !x.ExclusiveMinimum || x.MultipleOf == nil || *x.MultipleOf != 0.5 {
		t.Errorf("call_weight: %+v", x)
	}
	if x := b("vonage_application_id"); x.MinLength == nil || *x.MinLength != 3 || x.MaxLength == nil || *x.MaxLength != 12 {
		t.Errorf("vonage_application_id: %+v", x)
	}
	if x := b("vonage_api_key"); x.PatternSource != "^[0-9a-f]{8}$" {
		t.Errorf("vonage_api_key: %+v", x)
	}
	if x := b("tags"); x.MinItems == nil || *x.MinItems != 1 || x.MaxItems == nil || *x.MaxItems != 3 {
		t.Errorf("tags: %+v", x)
	}
}
