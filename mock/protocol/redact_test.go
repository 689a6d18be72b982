package protocol

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// secret is the value every case hides; none of its encodings may be left.
const secret = "Zq7-hunter2"

func TestSecretKeyRule(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"sip_trunk_password": true, "twilio_auth_token": true, "api_key": true, "apiKey": true, "APIKey": true,
		"key": true, "auth": true, "token": true, "access_token": true, "accessToken": true, "client_secret": true,
		"pwd": true, "passwd": true, "Cookie": true, "private_key_pem": true, "X-Api-Key": true, "jwt": true,
		"phone_number_id": false, "phone_number": false, "friendly_name": false, "sip_trunk_username": false,
		"twilio_account_sid": false, "inbound_agent_id": false, "sip_termination_uri": false, "provider": false,
		"_id": false, "input": false, "loc": false, "msg": false, "author": false, "monkey": false, "keyboard": false,
		"passage": false, "X-Verbex-Mock-Session": false, "Content-Disposition": false, "name": false,
		"Content-Type": false, "User-Agent": false, "outbound_agent_id": false, "type": false,
		// Over-redacted on purpose (docs/redaction.md says so).
		"X-Token-Count": true, "token_count": true, "key_id": true, "Idempotency-Key": true,
	} {
		if got := SecretKey(name); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", name, got, want)
		}
		if want && !MayHoldSecret(name) {
			t.Errorf("MayHoldSecret(%q) = false for a secret's name", name)
		}
	}
}

// TestRedactTextPlacements: a secret written in any of the ways a client, a target
// or the fake writes it is hidden, and what stands beside it stays readable.
func TestRedactTextPlacements(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, keep string }{
		{"json", `{"sip_trunk_password":"Zq7-hunter2","friendly_name":"kept"}`, "kept"},
		{"json number", `{"twilio_auth_token":12345,"friendly_name":"kept"}`, "kept"},
		{"json nested", `{"a":{"b":[{"api_key":{"x":"Zq7-hunter2"}}]},"friendly_name":"kept"}`, "kept"},
		{"json escaped key", `{"sip_trunk_\u0070assword":"Zq7-hunter2","friendly_name":"kept"}`, "kept"},
		{"json escaped key, escaped value", `{"sip_trunk_p\u0061ssword":"Zq7-hunter2\u0021"}`, ""},
		{"form", `friendly_name=kept&sip_trunk_password=Zq7-hunter2&x=1`, "kept"},
		{"form percent-encoded key", `sip%5Ftrunk%5Fpassword=Zq7-hunter2&friendly_name=kept`, "kept"},
		{"form percent-encoded letters", `sip_trunk_%70assword=Zq7%2Dhunter2&friendly_name=kept`, "kept"},
		{"form plus", `sip_trunk_password=Zq7-hunter2+and+more&friendly_name=kept`, "kept"},
		{"python dict", `{'sip_trunk_password': 'Zq7-hunter2', 'friendly_name': 'kept'}`, "kept"},
		{"python dict escaped quote", `{'sip_trunk_password': 'x\'Zq7-hunter2', 'friendly_name': 'kept'}`, "kept"},
		{"yaml", "friendly_name: kept\nsip_trunk_password: Zq7-hunter2\n", "kept"},
		{"header dump", "Authorization: Bearer Zq7-hunter2\r\nAccept: kept\r\n", "kept"},
		{"url", "see https://example.com/cb?token=Zq7-hunter2&page=kept", "kept"},
		{"xml", "<r><friendly_name>kept</friendly_name><password>Zq7-hunter2</password></r>", "kept"},
		{"multipart", "--b\r\nContent-Disposition: form-data; name=\"friendly_name\"\r\n\r\nkept\r\n--b\r\nContent-Disposition: form-data; name=\"sip_trunk_password\"\r\nContent-Type: text/plain\r\n\r\nZq7-hunter2\r\n--b--\r\n", "kept"},
		{"422 echo of json text", `{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"m","input":"{\"sip_trunk_password\": \"Zq7-hunter2\", \"friendly_name\": \"kept\"}"}]}`, "kept"},
		{"422 echo of form text", `{"detail":[{"loc":["body"],"input":"friendly_name=kept&sip_trunk_password=Zq7-hunter2"}]}`, "kept"},
		{"422 echo of python text", `{"detail":[{"loc":["body"],"input":"{'sip_trunk_password': 'Zq7-hunter2', 'friendly_name': 'kept'}"}]}`, "kept"},
		{"422 echo of multipart", `{"detail":[{"loc":["body"],"input":"--b\r\nContent-Disposition: form-data; name=\"sip_trunk_password\"\r\n\r\nZq7-hunter2\r\n--b--"}]}`, ""},
		{"422 echo of escaped key", `{"detail":[{"loc":["body"],"input":"{\"sip_trunk_\\u0070assword\": \"Zq7-hunter2\"}"}]}`, ""},
		{"422 input of a secret field", `{"detail":[{"type":"string_type","loc":["body","Sip","sip_trunk_password"],"msg":"Input should be a valid string","input":"Zq7-hunter2"},{"loc":["body","friendly_name"],"input":"kept"}]}`, "kept"},
		{"422 input before its loc", `{"detail":[{"input":"Zq7-hunter2","loc":["body","twilio_auth_token"]}]}`, ""},
		{"json in a string in a string", `{"s":"{\"t\":\"{\\\"api_key\\\": \\\"Zq7-hunter2\\\"}\"}"}`, ""},
		{"cut body", `{"friendly_name":"kept","sip_trunk_password":"Zq7-hun`, "kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !MayHoldSecret(tt.in) {
				t.Fatalf("MayHoldSecret = false")
			}
			got := RedactText(tt.in)
			for _, leak := range []string{secret, "hunter2", "Zq7%2Dhunter2", "Zq7-hun"} {
				if strings.Contains(got, leak) {
					t.Errorf("RedactText(%q) = %q: %q kept", tt.in, got, leak)
				}
			}
			if !strings.Contains(got, Redacted) {
				t.Errorf("RedactText(%q) = %q: no %s", tt.in, got, Redacted)
			}
			if tt.keep != "" && !strings.Contains(got, tt.keep) {
				t.Errorf("RedactText(%q) = %q: %q lost", tt.in, got, tt.keep)
			}
		})
	}
}

// TestRedactTextKeepsOrdinaryText: what names no secret is left as it was, byte for
// byte (over-redaction would hide what a user needs to read).
func TestRedactTextKeepsOrdinaryText(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"friendly_name":"password","phone_number_id":"pn_1","sip_trunk_username":"u","twilio_account_sid":"AC1"}`,
		`{"error":"not_found","message":"Phone number pn_%41 not found."}`,
		"friendly_name=a%20b&phone_number=%2B1555",
		`{"x":"\u00e9\n"}`,
		"\xff\xfe\x00\x01binary",
		`{"author":"monkey","keyboard":"x"}`,
	} {
		if got := RedactText(in); got != in {
			t.Errorf("RedactText(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestRedactTextWide(t *testing.T) {
	t.Parallel()
	const doc = `{"sip_trunk_password": "Zq7-hunter2", "friendly_name": "kept"}`
	for _, enc := range []struct {
		name      string
		unit      int
		bigEndian bool
		bom       string
	}{
		{"utf-16le", 2, false, ""}, {"utf-16le bom", 2, false, "\xff\xfe"},
		{"utf-16be", 2, true, ""}, {"utf-16be bom", 2, true, "\xfe\xff"},
		{"utf-32le", 4, false, ""}, {"utf-32le bom", 4, false, "\xff\xfe\x00\x00"},
		{"utf-32be", 4, true, ""}, {"utf-32be bom", 4, true, "\x00\x00\xfe\xff"},
	} {
		wide := func(s string) string { return enc.bom + encodeWide(s, enc.unit, enc.bigEndian) }
		got := RedactText(wide(doc))
		if strings.Contains(got, encodeWide(secret, enc.unit, enc.bigEndian)) {
			t.Errorf("%s: the secret is kept", enc.name)
		}
		if want := wide(`{"sip_trunk_password": "[REDACTED]", "friendly_name": "kept"}`); got != want {
			t.Errorf("%s: RedactText = %q, want %q", enc.name, got, want)
		}
		cut := wide(doc)
		cut = cut[:len(cut)-enc.unit-1]
		if got := RedactText(cut); strings.Contains(got, encodeWide(secret, enc.unit, enc.bigEndian)) {
			t.Errorf("%s, cut: the secret is kept", enc.name)
		}
	}
}

// encodeWide encodes s as UTF-16 (unit 2) or UTF-32 (unit 4) without a BOM.
func encodeWide(s string, unit int, bigEndian bool) string {
	var out []byte
	put := func(u uint32) {
		for k := range unit {
			shift := 8 * k
			if bigEndian {
				shift = 8 * (unit - 1 - k)
			}
			out = append(out, byte(u>>shift))
		}
	}
	for _, r := range s {
		if unit == 4 {
			put(uint32(r))
			continue
		}
		for _, u := range utf16.AppendRune(nil, r) {
			put(uint32(u))
		}
	}
	return string(out)
}

func TestRedactQueryKeys(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"key=Zq7-hunter2", "auth=Zq7-hunter2", "token=Zq7-hunter2", "api_key=Zq7-hunter2", "apikey=Zq7-hunter2",
		"access_token=Zq7-hunter2", "%6Bey=Zq7-hunter2", "redirect=https%3A%2F%2Fx%2F%3Ftoken%3DZq7-hunter2"} {
		if got := RedactQuery(q + "&page=2"); strings.Contains(got, "hunter2") || !strings.HasSuffix(got, "&page=2") {
			t.Errorf("RedactQuery(%q) = %q", q, got)
		}
	}
}

// FuzzRedactText: no input panics, and a redacted text has nothing left to redact.
func FuzzRedactText(f *testing.F) {
	for _, s := range []string{`{"token":"a"}`, "a=1&key=2", `{'pwd': 'x'}`, "\xff\xfe\x00\x00", `"\"`, `{"loc":["x","key"],"input":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := RedactText(s)
		if twice := RedactText(once); twice != once {
			t.Errorf("RedactText is not stable: %q -> %q -> %q", s, once, twice)
		}
		if got := string(AppendRedacted([]byte("pre"), s)); got != "pre"+once {
			t.Errorf("AppendRedacted(%q) = %q, want %q after its prefix", s, got, once)
		}
		// Each span SecretSpans names is one RedactText replaces: the text between
		// them is kept as it is.
		last := 0
		for _, sp := range SecretSpans(s) {
			if sp[0] < last || sp[1] < sp[0] || !strings.Contains(once, s[last:sp[0]]) {
				t.Errorf("SecretSpans(%q): span %v after %d, or text outside it changed", s, sp, last)
			}
			last = sp[1]
		}
	})
}

// TestMayHoldSecretAllocatesNothing: the test every journal entry pays for is a scan,
// with no copy of the text (docs/redaction.md).
func TestMayHoldSecretAllocatesNothing(t *testing.T) {
	body := strings.Repeat(`{"Friendly_Name":"Desk","Inbound_Agent_Id":"AG-1"}`, 100)
	if allocs := testing.AllocsPerRun(100, func() {
		if MayHoldSecret(body) {
			t.Fatal("MayHoldSecret: true for a body without a secret's name")
		}
	}); allocs != 0 {
		t.Errorf("MayHoldSecret allocates %.0f times", allocs)
	}
	if got := RedactText(body); got != body {
		t.Errorf("RedactText changed a body without a secret")
	}
}

func BenchmarkRedactText(b *testing.B) {
	for _, c := range []struct{ name, body string }{
		{"no secret", `{"friendly_name":"bench","inbound_agent_id":"agent-1"}`},
		{"record", `{"_id":"6650a1f2c3d4e5f6a7b8c901","provider":"sip","phone_number":"+14155550100","friendly_name":"bench","sip_termination_uri":"sip:trunk.example.com","sip_trunk_username":"trunk-user","sip_trunk_password":"s3cret-pw","inbound_agent_id":"agent-in","outbound_agent_id":"agent-out"}`},
		{"json secret", `{"sip_trunk_password":"bench-secret","friendly_name":"bench"}`},
		{"422 echo of a form", `{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"sip_trunk_password=x&friendly_name=y"}]}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				_ = RedactText(c.body)
			}
		})
	}
}

// TestSecretNamesHoldAStem: MayHoldSecret looks only for stems, so every marker and
// word must hold one, or SecretKey would pass a secret's name as readable.
func TestSecretNamesHoldAStem(t *testing.T) {
	t.Parallel()
	for _, name := range slices.Concat(SecretFields, secretMarkers, secretWords) {
		if !slices.ContainsFunc(stems, func(s string) bool { return strings.Contains(name, s) }) {
			t.Errorf("%q holds none of the stems %q", name, stems)
		}
	}
}

// TestMayHoldSecretAgreesWithItsDefinition compares the pair-table scan with the
// rule written plainly, on every short text over the bytes that matter and on
// random ones: a wrong bit in the table, a stem missed at the end of a text or a
// case mishandled shows up as a difference.
func TestMayHoldSecretAgreesWithItsDefinition(t *testing.T) {
	t.Parallel()
	plain := func(text string) bool {
		lower := []byte(text)
		for i, c := range lower {
			if c >= 'A' && c <= 'Z' {
				lower[i] = c + 'a' - 'A'
			}
		}
		for _, s := range stems {
			if bytes.Contains(lower, []byte(s)) {
				return true
			}
		}
		return strings.ContainsAny(text, "\x00%") || strings.Contains(text, `\u`)
	}
	alphabet := []byte("pPaAsSwWdDtTkKeEyYcCoOrRjJuUhH\\%\x00x-_\xe2\x80")
	check := func(text string) {
		if got, want := MayHoldSecret(text), plain(text); got != want {
			t.Fatalf("MayHoldSecret(%q) = %v, want %v", text, got, want)
		}
	}
	var walk func(prefix []byte, depth int)
	walk = func(prefix []byte, depth int) {
		check(string(prefix))
		if depth == 0 {
			return
		}
		for _, c := range alphabet {
			walk(append(prefix, c), depth-1)
		}
	}
	walk(nil, 3)
	for _, s := range stems {
		for _, text := range []string{s, strings.ToUpper(s), "x" + s, s[:len(s)-1], "x" + s[:len(s)-1] + "x"} {
			check(text)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 40)
	for range 200_000 {
		n := rng.IntN(len(buf))
		for i := range n {
			buf[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(buf[:n]))
	}
}
