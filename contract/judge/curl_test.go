package judge

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/verbex/verbex-mock/internal/capture"
)

// TestCurlSendsTheSameBytes: each request, sent by Go's default transport and then
// by its Curl line through sh, reaches the server the same: request line, every
// header, the body's bytes. Secrets never appear in the line; with the variables it
// names set to the values sent, the bytes match.
func TestCurlSendsTheSameBytes(t *testing.T) {
	t.Parallel()
	const token = "tok-3f9%s'x"
	const password = `pa%ss 'w\"d`                                                             // as written between the quotes (an escape kept)
	big := bytes.Repeat([]byte(`{"friendly_name":"`+strings.Repeat("é%\\'x", 40)+`"},`), 1200) // ≈ 230 KiB: past one argument's 128 KiB
	utf16 := func(s string, bom bool) []byte {
		var out []byte
		if bom {
			out = append(out, 0xFF, 0xFE)
		}
		for _, r := range s {
			out = append(out, byte(r), 0)
		}
		return out
	}
	ct := func(s string) *string { return &s }
	cases := []struct {
		name    string
		method  string
		path    string
		ct      *string
		body    []byte
		header  http.Header
		env     map[string]string
		secrets []string // must not appear in the line
	}{
		{name: "NaN, Infinity", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte(`{"friendly_name":NaN,"x":-Infinity}`)},
		{name: "lone surrogate", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte("{\"friendly_name\":\"\xed\xa0\x80\",\"e\":\"\\ud800\"}")},
		{name: "invalid UTF-8, NUL, controls", method: "PATCH", path: "/v1/phone-numbers/n1", ct: ct("text/plain"), body: []byte("\xff\xfe\x00a\x00\x01\x7f\x80\r\n\t%\\'\"")},
		{name: "printf directives", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte(`{"a":"%s %d %b %% %n \c \0 \x41 %"}`)},
		{name: "trailing newlines", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte("{}\n\n")},
		{name: "only a newline", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte("\n")},
		{name: "no content type", method: "PATCH", path: "/v1/phone-numbers/n1", ct: nil, body: []byte(`{"a":"b"}`)},
		{name: "charset", method: "PATCH", path: "/v1/phone-numbers/n1", ct: ct("application/json; charset=latin-1"), body: []byte("{\"a\":\"\xe9\"}")},
		{name: "empty PATCH", method: "PATCH", path: "/v1/phone-numbers/n1"},
		{name: "GET", method: "GET", path: "/v1/phone-numbers/n1"},
		{name: "HEAD", method: "HEAD", path: "/v1/phone-numbers/n1"},
		{name: "OPTIONS", method: "OPTIONS", path: "/v1/phone-numbers/n1"},
		{name: "DELETE", method: "DELETE", path: "/v1/phone-numbers/n1"},
		{name: "GET with a body", method: "GET", path: "/v1/phone-numbers/n1", body: []byte(`{}`)},
		{name: "path oddities", method: "PATCH", path: "/v1/phone-numbers/a%2Fb;p=1.json%20/./../%252F[x]{y}", body: []byte(`{}`)},
		{name: "query with a secret", method: "PATCH", path: "/v1/phone-numbers/n1?friendly_name=x&api_key=k%26ey&token=" + token + "&&a", body: []byte(`{}`),
			env: map[string]string{"API_KEY": "k%26ey", TokenVariable: token}, secrets: []string{"k%26ey", token}},
		{name: "secrets in the body", method: "PATCH", path: "/v1/phone-numbers/n1",
			body:    []byte(`{"sip_trunk_password" : "` + password + `","twilio_auth_token":null,"n":{"sip_trunk_password":"other"},"x":"` + token + `", "api_key": {"a":["s1"]}}`),
			env:     map[string]string{"SIP_TRUNK_PASSWORD": password, "TWILIO_AUTH_TOKEN": "null", "SIP_TRUNK_PASSWORD_2": "other", TokenVariable: token, "API_KEY": `{"a":["s1"]}`},
			secrets: []string{password, "other", token, "s1"}},
		{name: "secret key escaped", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte(`{"sip_trunk_passwor\u0064":"h2x"}`),
			env: map[string]string{"SIP_TRUNK_PASSWORD": "h2x"}, secrets: []string{"h2x"}},
		{name: "secret in UTF-16", method: "PATCH", path: "/v1/phone-numbers/n1", body: utf16(`{"sip_trunk_password":"h3ç"}`, true),
			env: map[string]string{"SIP_TRUNK_PASSWORD": "h3ç"}, secrets: []string{"h\x003"}},
		{name: "secret in a form body", method: "PATCH", path: "/v1/phone-numbers/n1", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			body: []byte("friendly_name=a&sip_trunk_password=f0rm%26x&x=1"),
			env:  map[string]string{"SIP_TRUNK_PASSWORD": "f0rm%26x"}, secrets: []string{"f0rm"}},
		{name: "secret in Python-dict text", method: "PATCH", path: "/v1/phone-numbers/n1", header: http.Header{"Content-Type": {"text/plain"}},
			body: []byte("{'twilio_auth_token': 'py7ok', 'x': 1}"),
			env:  map[string]string{"TWILIO_AUTH_TOKEN": "'py7ok'"}, secrets: []string{"py7ok"}},
		{name: "secret in multipart", method: "PATCH", path: "/v1/phone-numbers/n1", header: http.Header{"Content-Type": {"multipart/form-data; boundary=b"}},
			body: []byte("--b\r\nContent-Disposition: form-data; name=\"sip_trunk_password\"\r\n\r\nmp4rt\r\n--b--\r\n"),
			env:  map[string]string{"SECRET": "mp4rt"}, secrets: []string{"mp4rt"}},
		{name: "secret in an unclosed string", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte(`{"password":"h4x`),
			env: map[string]string{"PASSWORD": "h4x"}, secrets: []string{"h4x"}},
		{name: "headers: token, secret, duplicates, empty", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte(`{}`),
			header: http.Header{"Authorization": {"Bearer " + token}, "X-Api-Key": {"k3y"}, "X-Dup": {"a", "b"}, "X-Empty": {""}, "Accept": {"text/html"}},
			env:    map[string]string{TokenVariable: token, "X_API_KEY": "k3y"}, secrets: []string{token, "k3y"}},
		{name: "no User-Agent", method: "PATCH", path: "/v1/phone-numbers/n1", body: []byte(`{}`), header: http.Header{"User-Agent": {""}, "Accept-Encoding": {"identity"}}},
		{name: "a body past the argument limit", method: "PATCH", path: "/v1/phone-numbers/n1", body: big},
		{name: "a body of 2 MiB (curl's Expect threshold)", method: "PATCH", path: "/v1/phone-numbers/n1", body: bytes.Repeat([]byte("a"), 2<<20)},
	}
	srv, rec := capture.NewServer(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := Request{Method: tc.method, Path: tc.path, ContentType: tc.ct, Body: tc.body}
			if tc.ct == nil && len(tc.body) > 0 && tc.name != "no content type" && tc.name != "GET with a body" {
				w.ContentType = ct(JSONType)
			}
			req, err := w.HTTP(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range tc.header {
				req.Header[k] = vs
			}
			line := Curl(req, tc.body, token)
			for _, s := range tc.secrets {
				if strings.Contains(line, s) {
					t.Fatalf("the line holds the secret %q: %.500s", s, line)
				}
			}
			if strings.Contains(line, "REDACTED") {
				t.Fatalf("the line says REDACTED: %.500s", line)
			}
			// One client per case: the captures are taken in turn.
			client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			t.Cleanup(client.CloseIdleConnections)
			sent := sendAndTake(t, rec, func() {
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			})
			replayed := sendAndTake(t, rec, func() { capture.RunLine(t, line, tc.env) })
			if d := capture.Diff(sent, replayed); d != "" {
				t.Errorf("%s\nline: %.600s", d, line)
			}
		})
	}
}

var captureTurn sync.Mutex

// sendAndTake runs send alone against the server and returns the one request it read.
func sendAndTake(t testing.TB, rec *capture.Recorder, send func()) capture.Request {
	t.Helper()
	captureTurn.Lock()
	defer captureTurn.Unlock()
	rec.Take()
	send()
	got := rec.Take()
	if len(got) != 1 {
		t.Fatalf("the server read %d requests, want 1", len(got))
	}
	return got[0]
}

// TestCurlLineNeedsItsVariables: with a variable unset, the line stops before
// sending anything and names the variable.
func TestCurlLineNeedsItsVariables(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	srv, rec := capture.NewServer(t, nil)
	req, _ := JSONRequest("PATCH", "/v1/phone-numbers/n1", []byte(`{"sip_trunk_password":"s"}`)).HTTP(context.Background(), srv.URL)
	line := Curl(req, []byte(`{"sip_trunk_password":"s"}`), "")
	out, err := exec.Command("sh", "-c", line).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "SIP_TRUNK_PASSWORD") {
		t.Errorf("unset variable: err %v, output %s", err, out)
	}
	if got := rec.Take(); len(got) != 0 {
		t.Errorf("a request was sent without its secret: %+v", got)
	}
}
