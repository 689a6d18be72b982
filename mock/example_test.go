package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/verbex/verbex-mock/mock"
)

func patch(url, id, body string, header ...string) (int, string) {
	req, _ := http.NewRequest(http.MethodPatch, url+"/v1/phone-numbers/"+id, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The fake embedded in a program or test: a plain http.Handler.
func Example() {
	srv, err := mock.New(mock.Options{}) // the embedded document and seeded numbers
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	status, body := patch(ts.URL, "6650a1f2c3d4e5f6a7b8c904", `{"friendly_name":"Sales"}`)
	fmt.Println(status, body)
	status, body = patch(ts.URL, "6650a1f2c3d4e5f6a7b8c904", `{"friendly_name":5}`)
	fmt.Println(status, body[:60])
	pn, _ := srv.PhoneNumber("6650a1f2c3d4e5f6a7b8c904")
	fmt.Println(pn.Fields["friendly_name"])
	// Output:
	// 200 {"_id":"6650a1f2c3d4e5f6a7b8c904","provider":"pia","phone_number":"+442071838750","friendly_name":"Sales","inbound_agent_id":"6650a0e1b2c3d4e5f6a7b804","outbound_agent_id":"6650a0e1b2c3d4e5f6a7b804"}
	// 422 {"detail":[{"type":"string_type","loc":["body","UpdateSIPPho
	// Sales
}

// A fault rule: the next PATCH to one number fails with a realistic 500.
func ExampleSession_AddFault() {
	srv, _ := mock.New(mock.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	rule, err := srv.Session("").AddFault(mock.FaultRule{
		Match:  mock.FaultMatch{Method: "PATCH", PhoneNumberID: "6650a1f2c3d4e5f6a7b8c901"},
		Status: 500,
		Times:  1,
	})
	fmt.Println(rule.ID, err)
	fmt.Println(patch(ts.URL, "6650a1f2c3d4e5f6a7b8c901", `{}`))
	status, _ := patch(ts.URL, "6650a1f2c3d4e5f6a7b8c901", `{}`)
	fmt.Println(status)
	// Output:
	// f1 <nil>
	// 500 {"error":"internal_error","message":"An unexpected error occurred while updating the phone number. Please try again later."}
	// 200
}

// Sessions isolate tests that share one fake; provider states set them up.
func ExampleSession_SetState() {
	srv, _ := mock.New(mock.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	vars, _ := srv.Session("test-42").SetState("a SIP number exists", map[string]any{"friendly_name": "Night line"})
	id := vars["phone_number_id"].(string)
	status, body := patch(ts.URL, id, `{}`, mock.SessionHeader, "test-42")
	fmt.Println(status, strings.Contains(body, `"friendly_name":"Night line"`))
	status, _ = patch(ts.URL, id, `{}`) // the default session has no such number
	fmt.Println(status)
	// Output:
	// 200 true
	// 404
}
