package mock

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// The streaming encoder writes pyjson.Append's bytes, piece boundaries anywhere: long
// strings of escapes and multi-byte characters, nesting, keys, and values that
// cannot be sent.
func TestStreamedAnswersAreAppendsBytes(t *testing.T) {
	t.Parallel()
	long := func(unit string) pyjson.Value {
		return pyjson.StringValue(strings.Repeat(unit, 3*streamChunk/len(unit)+7))
	}
	arr := make([]pyjson.Value, 5000)
	for i := range arr {
		arr[i] = pyjson.NumberValue(fmt.Sprint(i * 1000003))
	}
	cases := map[string]pyjson.Value{
		"control bytes": long("\x01"),
		"escapes":       long("a\"\\\n\t\x1f"),
		"multi-byte":    long("é€😀x"),
		"array":         pyjson.ArrayValue(arr),
		"nested": pyjson.ObjectValue([]pyjson.Member{{Key: strings.Repeat("k\x02", streamChunk), Value: pyjson.ArrayValue([]pyjson.Value{
			long("\x00é"), pyjson.NullValue(), pyjson.BoolValue(true), pyjson.ObjectValue([]pyjson.Member{})})}}),
		"NaN":            pyjson.ArrayValue([]pyjson.Value{long("x"), pyjson.NumberValue("NaN")}),
		"lone surrogate": pyjson.StringValue("a\xed\xa0\x80" + strings.Repeat("b", streamChunk)),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, wantErr := pyjson.Append(nil, v)
			size, err := encodedSize(v)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, Append's %v", err, wantErr)
			}
			if err != nil {
				return
			}
			var got bytes.Buffer
			keep, err := writeValue(&got, &v, nil)
			if err != nil || !bytes.Equal(got.Bytes(), want) || size != int64(len(want)) {
				t.Errorf("streamed %d bytes (size %d, err %v), Append %d; equal %v", got.Len(), size, err, len(want), bytes.Equal(got.Bytes(), want))
			}
			if !bytes.Equal(keep, want[:min(len(want), maxJournalBody)]) {
				t.Errorf("the journal keeps %d bytes, not the answer's start", len(keep))
			}
			if maxEncodedSize(v) < size {
				t.Errorf("the bound %d is under the size %d", maxEncodedSize(v), size)
			}
		})
	}
}

// The 422's size bound, computed without building the body's value, is the bound of
// the value the streamed answer encodes.
func TestValidationErrorMaxSize(t *testing.T) { // not parallel: AllocsPerRun
	s := newServer(t, Options{})
	for _, body := range []string{
		`{"friendly_name":123}`,
		`{"friendly_name":"x","sip_trunk_password":[1,{"é\u0001":null}],"outbound_agent_id":{}}`,
		`{"friendly_name":{"a":[1,2.5e300]}}`,
		`[1,"two"]`,
		`"text"`,
	} {
		v, err := pyjson.Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		details := s.doc.Union.Validate(v).Details
		if len(details) == 0 {
			t.Fatalf("%s: valid, want errors", body)
		}
		details = append(details, spec.Detail{Type: "literal_error", Loc: details[0].Loc, Msg: "Input should be 'sip'", Input: v,
			Ctx: []pyjson.Member{{Key: "expected", Value: pyjson.StringValue("'sip'")}}})
		if got, want := validationErrorMaxSize(details), maxEncodedSize(validationErrorValue(details)); got != want {
			t.Errorf("%s: bound %d, want %d", body, got, want)
		}
		if allocs := testing.AllocsPerRun(10, func() { validationErrorMaxSize(details) }); allocs != 0 {
			t.Errorf("%s: the bound allocates %v times, want 0 (it is on every 422's path)", body, allocs)
		}
	}
}

// heapAfterGC is the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// unreadPatch sends a PATCH on a connection of its own and reads only the status line;
// the connection stays open, unread, until the test ends.
func unreadPatch(t testing.TB, addr, contentType, session string, body []byte) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "PATCH /v1/phone-numbers/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n%s: %s\r\nContent-Length: %d\r\n\r\n", sipID, contentType, SessionHeader, session, len(body))
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, err := bufio.NewReaderSize(conn, 64).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

// A 1 MiB text body of control bytes is a 19 MB 422 (each byte echoed as \u0001,
// once per branch). Clients that read only its first line do not pin it: the answer
// is streamed, and its bytes are FastAPI's.
func TestAmplifiedAnswersAreStreamed(t *testing.T) { // not parallel: it reads the heap
	s := newServer(t, Options{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	addr := strings.TrimPrefix(ts.URL, "http://")
	body := bytes.Repeat([]byte{1}, 1<<20)
	want, err := spec.AppendValidationError(nil, s.doc.Union.Validate(pyjson.StringValue(string(body))).Details)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodPatch, ts.URL+"/v1/phone-numbers/"+sipID, bytes.NewReader(body))
	r.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 422 || !bytes.Equal(got, want) || resp.ContentLength != int64(len(want)) {
		t.Fatalf("422 of %d bytes (Content-Length %d), want the %d bytes FastAPI sends", len(got), resp.ContentLength, len(want))
	}
	before := heapAfterGC()
	const unread = 8
	for range unread {
		if line := unreadPatch(t, addr, "text/plain", "", body); line != "HTTP/1.1 422 Unprocessable Entity" {
			t.Fatalf("status line %q", line)
		}
	}
	grown := int64(heapAfterGC()) - int64(before)
	// Each holds its body and its text (2 MiB) and a streaming buffer, not 19 MB.
	if grown > unread*4<<20 {
		t.Errorf("%d unread answers of %d bytes hold %d MB", unread, len(want), grown>>20)
	}
}

// A record grown large by writes is streamed in its 200 too, byte for byte.
func TestLargeRecordAnswerIsStreamed(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	name := strings.Repeat("\\u0001", 20<<10)
	got := serve(t, s, patch(sipID, `{"friendly_name":"`+name+`"}`), false)
	if got.status != http.StatusOK || !strings.Contains(got.body, `"friendly_name":"`+name+`"`) {
		t.Fatalf("%d %.200s", got.status, got.body)
	}
	vals, _ := s.Session("").PhoneNumber(sipID)
	if !strings.HasPrefix(got.body, `{"_id":"`+sipID+`"`) || vals.ID != sipID {
		t.Errorf("the record: %.100s", got.body)
	}
}

// What a JSON body becomes is counted: a 1 MiB array of zeros (some 500,000 values,
// 80 MB of tree) is refused with an honest 413 before any tree is built, and a tree
// within the bound is decoded and answered as FastAPI answers it.
func TestTreeCostIsCounted(t *testing.T) { // not parallel: it reads the allocation counter
	s := newServer(t, Options{})
	arr := strings.TrimSuffix(strings.Repeat("0,", 500_000), ",")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := serve(t, s, patch(sipID, `{"friendly_name":[`+arr+`]}`), true)
	runtime.ReadMemStats(&after)
	if got.status != http.StatusRequestEntityTooLarge || !strings.Contains(got.body, "JSON values") || !strings.Contains(got.body, `"error":"request_too_large"`) {
		t.Errorf("a 1 MiB array: %d %.300s, want 413 counting its values", got.status, got.body)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("%d MB allocated for a 1 MiB array", alloc>>20)
	}
	small := strings.TrimSuffix(strings.Repeat("0,", 8000), ",")
	if got := serve(t, s, patch(sipID, `{"friendly_name":[`+small+`]}`), false); got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, `"input":[0,0,`) {
		t.Errorf("an 8,000-value array: %d %.200s, want FastAPI's 422", got.status, got.body)
	}
	// valueCost covers what decoding costs a value, in arrays and in objects.
	obj := make([]string, 3000)
	for i := range obj {
		obj[i] = fmt.Sprintf(`"k%d":[0]`, i)
	}
	for name, body := range map[string]string{"array": "[" + small + "]", "object": "{" + strings.Join(obj, ",") + "}"} {
		runtime.ReadMemStats(&before)
		if _, err := pyjson.Decode([]byte(body)); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if per := int64(after.TotalAlloc-before.TotalAlloc) / int64(valueCount([]byte(body))); per > valueCost {
			t.Errorf("%s: %d bytes a value, valueCost says %d", name, per, valueCost)
		}
	}
}

// A request sleeping in a delay rule holds its body apart from the in-flight budget:
// four sessions parking large bodies leave room for another session's, and one
// session parking past its share gets an honest 503 naming it, at once.
func TestParkedBodiesLeaveTheInflightBudget(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxBodyBytes: 60 << 10, InflightBytes: 256 << 10})
	s.bodyWait = 300 * time.Millisecond
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Drain)
	addr := strings.TrimPrefix(ts.URL, "http://")
	big := `{"friendly_name":"` + strings.Repeat("b", 56<<10) + `"}`
	var parks []*Session
	for i := range 4 {
		h := s.Session(fmt.Sprint("park", i))
		if _, err := h.AddFault(FaultRule{Delay: Duration(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		parks = append(parks, h)
		sendRaw(t, addr, fmt.Sprint("park", i), sipID, big, false)
	}
	for _, h := range parks {
		waitMatched(t, h, 1)
	}
	if got := <-sendRaw(t, addr, "other", piaID, big, false); got != "HTTP/1.1 200 OK" {
		t.Errorf("another session's large body beside four parked ones: %q, want 200", got)
	}
	done := sendAsync(t, ts.URL, inSession("park0", patch(sipID, big)))
	select {
	case got := <-done:
		if got.status != http.StatusServiceUnavailable || !strings.Contains(got.body, `session \"park0\"`) || got.header.Get("Retry-After") == "" {
			t.Errorf("a second parked body in one session: %d %s", got.status, got.body)
		}
	case <-time.After(10 * time.Second):
		t.Error("a body past its session's parking share sleeps instead of a 503")
	}
}

// A request waiting for room for its body, or sleeping in a delay rule, ends when its
// client leaves: abandoned uploads do not pile up behind a full budget.
func TestWaitersLeaveWithTheirClient(t *testing.T) {
	t.Parallel()
	if !seesClientLeave {
		t.Skip("a waiting request cannot see its client leave on this platform")
	}
	s := newServer(t, Options{MaxBodyBytes: 64 << 10, InflightBytes: 64 << 10})
	s.bodyWait = time.Minute
	var mu sync.Mutex
	active := map[net.Conn]bool{}
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ConnContext = ConnContext
	ts.Config.ConnState = func(c net.Conn, st http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		if st == http.StateActive {
			active[c] = true
		} else {
			delete(active, c)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(s.Drain)
	addr := strings.TrimPrefix(ts.URL, "http://")
	if err := s.inflight.Acquire(t.Context(), 64<<10); err != nil { // the budget is full
		t.Fatal(err)
	}
	t.Cleanup(func() { s.inflight.Release(64 << 10) })
	if _, err := s.Session("sleep").AddFault(FaultRule{Delay: Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	for i := range 21 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if i == 20 { // one sleeps in the delay rule with a small body
			fmt.Fprintf(c, "PATCH /v1/phone-numbers/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s: sleep\r\nContent-Length: 2\r\n\r\n{}", sipID, SessionHeader)
			continue
		}
		fmt.Fprintf(c, "PATCH /v1/phone-numbers/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", sipID, 40<<10)
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(active) }
	waitFor := func(want int) bool {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if count() == want {
				return true
			}
		}
		return false
	}
	if !waitFor(21) {
		t.Fatalf("%d of 21 requests are in flight", count())
	}
	for _, c := range conns {
		c.Close()
	}
	if !waitFor(0) {
		t.Errorf("5 s after their clients left, %d requests still wait", count())
	}
}
