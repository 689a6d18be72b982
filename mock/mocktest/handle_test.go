package mocktest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/verbex/verbex-mock/mock"
	"github.com/verbex/verbex-mock/mock/mocktest"
	"github.com/verbex/verbex-mock/mock/protocol"
)

// TestForIsolatesParallelSubtests: parallel subtests of one shared fake change the
// same number, each in its own session, and see only their own state and journal.
func TestForIsolatesParallelSubtests(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	id := fake.IDs["sip"][0]
	for i := range 4 {
		t.Run(fmt.Sprint("sub", i), func(t *testing.T) {
			t.Parallel()
			h := fake.For(t)
			if !strings.HasPrefix(h.SessionName, t.Name()+"#") {
				t.Errorf("session %q is not named after the test", h.SessionName)
			}
			mine := fmt.Sprint("mine-", i)
			if status, body := h.Patch(id, `{"friendly_name":"`+mine+`"}`); status != 200 {
				t.Fatalf("PATCH: %d %s", status, body)
			}
			// Through the client, as code under test would send it.
			req, _ := http.NewRequest(http.MethodPatch, h.URL+"/v1/phone-numbers/"+id, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := h.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), `"friendly_name":"`+mine+`"`) {
				t.Errorf("the client's request saw another session: %s", body)
			}
			if req.Header.Get(protocol.SessionHeader) != "" {
				t.Error("the client changed the caller's request")
			}
			if got := h.Field(id, "friendly_name"); got != mine {
				t.Errorf("friendly_name = %v, want %q", got, mine)
			}
			if n := len(h.Requests()); n != 2 {
				t.Errorf("the session's journal has %d requests, want its own 2", n)
			}
		})
	}
	t.Cleanup(func() {
		// After the subtests: the default session was never touched.
		if got := fake.Field(id, "friendly_name"); strings.HasPrefix(fmt.Sprint(got), "mine-") {
			t.Errorf("the default session changed: %v", got)
		}
		if n := len(fake.Requests()); n != 0 {
			t.Errorf("the default session's journal has %d requests", n)
		}
	})
}

// TestClientKeepsAnExplicitSession: a request that names its session keeps it.
func TestClientKeepsAnExplicitSession(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	h := fake.For(t)
	req, _ := http.NewRequest(http.MethodPatch, h.URL+"/v1/phone-numbers/"+fake.IDs["pia"][0], strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(protocol.SessionHeader, "other")
	resp, err := h.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n, m := len(h.Requests()), len(fake.Session("other").Requests()); n != 0 || m != 1 {
		t.Errorf("journals: handle %d, other %d; want 0 and 1", n, m)
	}
}

// TestStrictHelpers: each helper's mistake fails the handle's test with a message
// that says what is valid.
func TestStrictHelpers(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	sip, twilio := fake.IDs["sip"][0], fake.IDs["twilio"][0]
	tests := []struct {
		name string
		call func(h *mocktest.Handle)
		want []string
	}{
		{"field typo", func(h *mocktest.Handle) { h.Field(sip, "inbound_agent") },
			[]string{`Field("` + sip + `", "inbound_agent"): a sip number has no field "inbound_agent"; did you mean "inbound_agent_id"?`, "(its fields: _id, provider, phone_number, friendly_name"}},
		{"another provider's field", func(h *mocktest.Handle) { h.Field(twilio, "sip_trunk_password") },
			[]string{`a twilio number has no field "sip_trunk_password"`, "twilio_auth_token"}},
		{"no such number", func(h *mocktest.Handle) { h.Field("000000000000000000000000", "friendly_name") },
			[]string{`no phone number "000000000000000000000000"`}},
		{"state typo", func(h *mocktest.Handle) { h.SetState("a Sip number exists", nil) },
			[]string{`unknown provider state "a Sip number exists"; did you mean "a SIP number exists"?`, `"the next update fails"`}},
		{"state params", func(h *mocktest.Handle) { h.SetState("the next update fails", map[string]any{"status": 418}) },
			[]string{"SetState:", "418"}},
		{"fault off the document", func(h *mocktest.Handle) { h.AddFault(mock.FaultRule{Status: 503}) },
			[]string{"AddFault:", "503"}},
		{"phone number", func(h *mocktest.Handle) { h.PhoneNumber("nope") }, []string{`no phone number "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reached := false
			rt := runRec(t, t.Name(), func(rt *recT) {
				tt.call(fake.For(rt))
				reached = true
			})
			if reached {
				t.Error("the helper did not stop the test")
			}
			for _, w := range tt.want {
				if !strings.Contains(rt.errorText(), w) {
					t.Errorf("error lacks %q:\n%s", w, rt.errorText())
				}
			}
		})
	}
}

// TestFieldOfAClearedField: a declared field that is null is nil, not a failure.
func TestFieldOfAClearedField(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	h := fake.For(t)
	id := fake.IDs["sip"][0]
	h.Patch(id, `{"outbound_agent_id":null}`)
	if got := h.Field(id, "outbound_agent_id"); got != nil {
		t.Errorf("outbound_agent_id = %v, want nil", got)
	}
}

// TestServerHelperFromAnotherGoroutine: a Server helper called off the goroutine of
// the test that made the server reports with Errorf and returns, instead of ending
// the wrong goroutine.
func TestServerHelperFromAnotherGoroutine(t *testing.T) {
	t.Parallel()
	rt := runRec(t, "TestParent", func(rt *recT) {
		fake := mocktest.NewServer(rt, mock.Options{})
		done := make(chan mocktest.State)
		go func() { done <- fake.SetState("a Sip number exists", nil) }()
		if st := <-done; st.Vars != nil {
			rt.Errorf("vars %v", st.Vars)
		}
	})
	if got := rt.errorText(); !strings.Contains(got, `did you mean "a SIP number exists"?`) || !strings.Contains(got, "use fake.For(t)") {
		t.Errorf("errors: %s", got)
	}
}

// TestJournalLoggedOnFailure: a failed test's log shows its session's requests with
// the secrets redacted; a passing test's log shows nothing.
func TestJournalLoggedOnFailure(t *testing.T) {
	t.Parallel()
	fake := mocktest.NewServer(t, mock.Options{})
	id := fake.IDs["sip"][0]
	send := func(h *mocktest.Handle) {
		req, _ := http.NewRequest(http.MethodPatch, h.URL+"/v1/phone-numbers/"+id+"?api_key=k3y&x=1",
			strings.NewReader(`{"sip_trunk_password":"hunter2","friendly_name":"Desk","nested":{"token":"t0k"}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := h.Client().Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}
	failed := runRec(t, "TestFails", func(rt *recT) {
		h := fake.For(rt)
		send(h)
		h.Patch(id, `not json with a password`)
		rt.Errorf("the code under test did something wrong")
	})
	log := failed.logText()
	if testing.Verbose() {
		t.Log(log)
	}
	for _, w := range []string{
		`mocktest: the fake's last 2 of 2 requests in session "TestFails#`,
		"#1 PATCH /v1/phone-numbers/" + id + "?api_key=%5BREDACTED%5D&x=1 → 200, body valid",
		"Authorization: [REDACTED]",
		"X-Verbex-Mock-Session: TestFails#",
		`body: {"sip_trunk_password":"[REDACTED]","friendly_name":"Desk","nested":{"token":"[REDACTED]"}}`,
		"#2 PATCH",
		"body: (24 bytes that are not JSON and may hold a secret: not shown)",
	} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
	for _, secret := range []string{"hunter2", "t0k", "s3cret", "k3y"} {
		if strings.Contains(log, secret) {
			t.Errorf("log shows the secret %q:\n%s", secret, log)
		}
	}
	passed := runRec(t, "TestPasses", func(rt *recT) { send(fake.For(rt)) })
	if got := passed.logText(); got != "" {
		t.Errorf("a passing test logged: %s", got)
	}
	quiet := mocktest.NewServer(t, mock.Options{}, mocktest.JournalOnFailure(0))
	off := runRec(t, "TestQuiet", func(rt *recT) {
		send(quiet.For(rt))
		rt.Errorf("fails")
	})
	if got := off.logText(); got != "" {
		t.Errorf("JournalOnFailure(0) logged: %s", got)
	}
}
