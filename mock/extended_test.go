package mock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// extendedDoc is testdata/extended.yaml: the seed's document plus a fourth provider
// (Vonage) with a boolean, integers with bounds, a float with multipleOf, enums, a
// pattern, length bounds, an array and a nested model.
func extendedDoc(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/extended.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// member is one key of a JSON object with its value as sent.
type member struct {
	key string
	raw string
}

// members reads a JSON object's members in the order they were written.
func members(t testing.TB, body string) []member {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", body)
	}
	var out []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, member{k.(string), string(raw)})
	}
	return out
}

func keysOf(ms []member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.key
	}
	return out
}

func valueOf(ms []member, key string) (string, bool) {
	for _, m := range ms {
		if m.key == key {
			return m.raw, true
		}
	}
	return "", false
}

// TestExtendedDocumentFourthProvider serves the extended document with the seed's
// fixtures, which have no Vonage number: the fake starts, generates one, names its
// state from the schema title, creates numbers of it with typed values, applies
// updates of every type and renders records in schema order. Every answer is checked
// against the document (serve).
func TestExtendedDocumentFourthProvider(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{Spec: extendedDoc(t), JournalSize: -1})
	vonage := s.Document().Provider("vonage")
	if vonage == nil || vonage.Label != "Vonage" {
		t.Fatalf("provider vonage: %+v", vonage)
	}
	schemaOrder := vonage.FieldNames()
	ids := s.SeededIDs()["vonage"]
	if len(ids) != 1 || len(s.SeededIDs()["sip"]) != 3 {
		t.Fatalf("seeded ids %v: want the fixtures' and one generated Vonage number", s.SeededIDs())
	}
	filled := ids[0]

	t.Run("the generated number is on the document", func(t *testing.T) {
		t.Parallel()
		got := serve(t, s, patch(filled, `{}`), false)
		if got.status != 200 || !slices.Equal(keysOf(members(t, got.body)), schemaOrder) {
			t.Errorf("got %d %s, want 200 in schema order %v", got.status, got.body, schemaOrder)
		}
	})

	t.Run("states name the provider from the schema title and describe its fields", func(t *testing.T) {
		t.Parallel()
		var list struct{ States []StateInfo }
		if err := json.Unmarshal([]byte(serve(t, s, req{method: http.MethodGet, path: "/__admin/states"}, false).body), &list); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(list.States, func(st StateInfo) bool { return st.Name == "a Vonage number exists" })
		if i < 0 {
			t.Fatalf("no Vonage state in %+v", list.States)
		}
		for _, name := range []string{"a SIP number exists", "a Pia number exists", "a Twilio number exists"} {
			if !slices.ContainsFunc(list.States, func(st StateInfo) bool { return st.Name == name }) {
				t.Errorf("state %q is gone", name)
			}
		}
		for field, want := range map[string]string{
			"sms_enabled":           "value to set first (boolean or null)",
			"max_concurrent_calls":  "value to set first (integer (≥ 1, ≤ 100) or null)",
			"call_weight":           "value to set first (number (> 0, ≤ 10, a multiple of 0.5) or null)",
			"friendly_name":         "value to set first (string of at most 32 characters or null)",
			"vonage_application_id": "value to set first (string of 3 to 12 characters or null)",
			"vonage_api_key":        "value to set first (string matching ^[0-9a-f]{8}$ or null)",
			"region":                "value to set first (one of eu, us, apac, or null)",
			"priority":              "value to set first (one of 1, 2, 3, or null)",
			"tags":                  "value to set first (array of 1 to 3 items, each string of at most 10 characters or null)",
			"forwarding":            "value to set first (object with number (required), timeout_seconds, enabled or null)",
		} {
			if got := list.States[i].Params[field]; got != want {
				t.Errorf("param %s: %q, want %q", field, got, want)
			}
		}
	})

	t.Run("a state creates a number with typed values, rendered in schema order", func(t *testing.T) {
		t.Parallel()
		body := `{"state":"a Vonage number exists","params":{"sms_enabled":true,"max_concurrent_calls":7,"call_weight":2,"priority":3,"tags":["a"],"forwarding":{"enabled":false,"timeout_seconds":30,"number":"+4930555"}}}`
		got := serve(t, s, req{method: http.MethodPost, path: "/__admin/states?session=typed", contentType: "application/json", body: []byte(body)}, false)
		var vars struct {
			PhoneNumberID string `json:"phone_number_id"`
		}
		if err := json.Unmarshal([]byte(got.body), &vars); err != nil || got.status != 200 {
			t.Fatalf("state: %d %s", got.status, got.body)
		}
		r := req{method: http.MethodPatch, path: "/v1/phone-numbers/" + vars.PhoneNumberID, contentType: "application/json", body: []byte(`{}`),
			header: http.Header{SessionHeader: {"typed"}}}
		rec := members(t, serve(t, s, r, false).body)
		if !slices.Equal(keysOf(rec), schemaOrder) {
			t.Errorf("keys %v, want %v", keysOf(rec), schemaOrder)
		}
		for k, want := range map[string]string{"sms_enabled": "true", "max_concurrent_calls": "7", "call_weight": "2.0", "priority": "3",
			"tags": `["a"]`, "forwarding": `{"number":"+4930555","timeout_seconds":30,"enabled":false}`, "provider": `"vonage"`} {
			if got, _ := valueOf(rec, k); got != want {
				t.Errorf("%s = %s, want %s", k, got, want)
			}
		}
		bad := `{"state":"a Vonage number exists","params":{"max_concurrent_calls":101}}`
		if got := serve(t, s, req{method: http.MethodPost, path: "/__admin/states?session=typed", contentType: "application/json", body: []byte(bad)}, false); got.status != 400 || !strings.Contains(got.body, "less than or equal to 100") {
			t.Errorf("out of bounds param: %d %s", got.status, got.body)
		}
	})

	t.Run("updates of every type apply to the generated number as pydantic reads them", func(t *testing.T) {
		t.Parallel()
		// The corpus's "every field valid at once" case: pydantic's answer for the
		// fixtures' Vonage number gives each updated field's stored value.
		var want []member
		var sent []byte
		for _, c := range loadCorpus(t, "testdata/reference/extended.json") {
			b, _ := base64.StdEncoding.DecodeString(c.BodyB64)
			if c.Status == 200 && bytes.Contains(b, []byte(`"sms_enabled":"on"`)) {
				want, sent = members(t, c.Body), b
			}
		}
		if sent == nil {
			t.Fatal("the corpus lacks the every-field case")
		}
		var body map[string]any
		if err := json.Unmarshal(sent, &body); err != nil {
			t.Fatal(err)
		}
		hdr := http.Header{SessionHeader: {"updates"}}
		before := members(t, serve(t, s, req{method: http.MethodPatch, path: "/v1/phone-numbers/" + filled, contentType: "application/json", body: []byte(`{}`), header: hdr}, false).body)
		got := serve(t, s, req{method: http.MethodPatch, path: "/v1/phone-numbers/" + filled, contentType: "application/json", body: sent, header: hdr}, false)
		after := members(t, got.body)
		if !slices.Equal(keysOf(after), schemaOrder) {
			t.Fatalf("keys %v, want %v", keysOf(after), schemaOrder)
		}
		for _, m := range after {
			w, _ := valueOf(before, m.key)
			if _, set := body[m.key]; set {
				w, _ = valueOf(want, m.key)
			}
			if m.raw != w {
				t.Errorf("%s = %s, want %s", m.key, m.raw, w)
			}
		}
		if v, _ := valueOf(after, "max_concurrent_calls"); v != "42" {
			t.Errorf(`"42" stored as %s, want the integer 42`, v)
		}
	})
}

// TestGenerateFromSchemas: numbers generated for the extended document fit every
// keyword of their schema (New refuses a record that does not), and their values
// cover each field's types rather than only null.
func TestGenerateFromSchemas(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{Spec: extendedDoc(t), Fixtures: []byte("phone_numbers: []\n"), Generate: 200, JournalSize: -1})
	seen := map[string]map[string]bool{}
	key := regexp.MustCompile(`^[0-9a-f]{8}$`)
	e164Number := regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	n := 0
	for _, pn := range s.PhoneNumbers() {
		if pn.Provider != "vonage" {
			continue
		}
		n++
		var rec map[string]any
		if err := json.Unmarshal(pn.JSON, &rec); err != nil {
			t.Fatal(err)
		}
		for k, v := range rec {
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			kind := "null"
			switch v := v.(type) {
			case bool:
				kind = "bool"
			case float64:
				kind = "number"
				switch k {
				case "max_concurrent_calls":
					if v < 1 || v > 100 || v != math.Trunc(v) {
						t.Errorf("max_concurrent_calls %v", v)
					}
				case "call_weight":
					if v <= 0 || v > 10 || math.Mod(v, 0.5) != 0 {
						t.Errorf("call_weight %v", v)
					}
				}
			case string:
				kind = "string"
				if k == "vonage_api_key" && !key.MatchString(v) {
					t.Errorf("vonage_api_key %q", v)
				}
			case []any:
				kind = "array"
			case map[string]any:
				kind = "object"
				if num, _ := v["number"].(string); !e164Number.MatchString(num) {
					t.Errorf("forwarding.number %q", num)
				}
			}
			seen[k][kind] = true
		}
	}
	if n < 40 {
		t.Fatalf("%d Vonage numbers of 200", n)
	}
	for field, kinds := range map[string][]string{
		"sms_enabled": {"bool", "null"}, "max_concurrent_calls": {"number", "null"}, "call_weight": {"number", "null"},
		"vonage_api_key": {"string", "null"}, "vonage_application_id": {"string", "null"}, "region": {"string", "null"},
		"priority": {"number", "null"}, "tags": {"array", "null"}, "forwarding": {"object", "null"}, "friendly_name": {"string", "null"},
	} {
		for _, k := range kinds {
			if !seen[field][k] {
				t.Errorf("%s: never %s in %d numbers (saw %v)", field, k, n, seen[field])
			}
		}
	}
}
