package judge

import (
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/pyjson"
)

// TestOneRedactionPolicy: a report shows no secret the fake's journal would hide
// (protocol.RedactText), in JSON, in text, inside a string, in a 422's input and in
// a difference, whatever the secret's type.
func TestOneRedactionPolicy(t *testing.T) {
	t.Parallel()
	const secret = "hunter2"
	bodies := []string{
		`{"sip_trunk_password":"hunter2","friendly_name":"x"}`,
		`{"twilio_auth_token":{"nested":"hunter2"}}`,
		`{"api_key":["hunter2"]}`,
		`{"detail":[{"type":"string_type","loc":["body","Sip","sip_trunk_password"],"msg":"m","input":"hunter2"}]}`,
		`{"detail":[{"loc":["body"],"input":"{\"sip_trunk_password\": \"hunter2\"}"}]}`,
		`not JSON: "password": "hunter2", {"token": "hunter2"`,
	}
	for _, b := range bodies {
		if got := RedactBody([]byte(b), ""); strings.Contains(got, secret) {
			t.Errorf("RedactBody(%s) = %s", b, got)
		}
		if got := protocol.RedactText(b); strings.Contains(got, secret) && strings.HasPrefix(b, "{") && !strings.Contains(b, `"loc":["body","Sip"`) {
			t.Errorf("protocol.RedactText(%s) = %s", b, got)
		}
		v, err := pyjson.Decode([]byte(b))
		if err != nil {
			continue
		}
		other, _ := pyjson.Decode([]byte(strings.ReplaceAll(b, secret, "zzqq")))
		for _, m := range Compare(Reply{Status: 200, Body: []byte(b)}, Reply{Status: 200, Body: []byte(strings.ReplaceAll(b, secret, "zzqq"))}, false) {
			if strings.Contains(m.Expected+m.Got, secret) || strings.Contains(m.Expected+m.Got, "zzqq") {
				t.Errorf("a difference shows a secret: %+v", m)
			}
		}
		if v.Equal(other) {
			t.Errorf("%s: the secret was not in the value", b)
		}
	}
	if got := RedactBody([]byte(`{"password":null,"n":1}`), ""); strings.Contains(got, "null") {
		t.Errorf("a secret key's null is shown: %s", got)
	}
	if got := RedactBody([]byte(`{"n":"tok-123"}`), "tok-123"); strings.Contains(got, "tok-123") {
		t.Errorf("the token is shown: %s", got)
	}
}
