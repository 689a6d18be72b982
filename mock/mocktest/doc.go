// Package mocktest starts the Verbex fake for a Go test, as net/http/httptest does for
// a handler: NewServer serves it on a loopback port, closes it when the test ends, and
// hands over the URL, a client, the seeded ids by provider and helpers for faults,
// provider states and the request journal that fail the test instead of returning
// errors.
//
//	func TestRename(t *testing.T) {
//		fake := mocktest.NewServer(t, mock.Options{})
//		id := fake.IDs["sip"][0]
//		status, body := fake.Patch(id, `{"friendly_name":"Front desk"}`)
//		// … or point the code under test at fake.URL
//	}
package mocktest
