package mock

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// waitMatched polls a session's rules until they matched n requests in all: the
// requests have reached their delay (a counter, not a sleep standing in for sync).
func waitMatched(t testing.TB, h *Session, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		matched := 0
		for _, f := range h.Faults() {
			matched += f.Matched
		}
		if matched >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests reached their fault rule", matched, n)
		}
	}
}

// sendAsync sends one request on a real connection and reports its status (0 and the
// error when it failed).
func sendAsync(t testing.TB, url string, r req) chan reply {
	t.Helper()
	c := make(chan reply, 1)
	hr, err := http.NewRequest(r.method, url+r.path, strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		hr.Header[k] = v
	}
	go func() {
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			c <- reply{body: err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c <- reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	}()
	return c
}

// A session dropped while one of its writes waits in a delay rule: the write ends on
// a session that is gone, and whatever it cost is not left charged to the budget.
func TestEvictionUnderAnInFlightWriteLeaksNothing(t *testing.T) {
	t.Parallel()
	const sessions = 4
	s := newServer(t, Options{MaxSessions: sessions, StateBytes: 64 << 10})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	victim := s.Session("victim")
	if _, err := victim.AddFault(FaultRule{Delay: Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	big := `{"friendly_name":"` + strings.Repeat("v", 7<<10) + `"}`
	done := sendAsync(t, ts.URL, inSession("victim", patch(sipID, big)))
	waitMatched(t, victim, 1)
	for i := range sessions + 1 { // victim is the least recently used: dropped first
		serve(t, s, inSession(fmt.Sprintf("new-%d", i), patch(sipID, `{}`)), false)
	}
	s.Drain() // the delay ends now: the write goes on, on the dropped session
	if got := <-done; got.status != http.StatusOK {
		t.Fatalf("the held write: %d %s", got.status, got.body)
	}
	s.Reset()
	if used := s.state.used.Load(); used != 0 {
		t.Errorf("after every session was reset the budget holds %d bytes", used)
	}
	for i := range 3 {
		if got := serve(t, s, inSession(fmt.Sprintf("after-%d", i), patch(sipID, big)), false); got.status != http.StatusOK {
			t.Errorf("a new session's write after the eviction: %d %s", got.status, got.body)
		}
	}
}

// One session cannot take the whole state budget: past its share it gets a 507 that
// names it, and another session still writes.
func TestStateShares(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxSessions: 10, StateBytes: 1 << 20})
	chunk := `{"friendly_name":"` + strings.Repeat("h", 60<<10) + `"}`
	hog := inSession("hog", patch(sipID, chunk))
	var got reply
	for i := range 40 { // 40 rules of about 60 KiB would be 2.4 MiB
		got = serve(t, s, adminPost("/__admin/faults?session=hog", bigRule(i)), false)
		if got.status != http.StatusCreated {
			break
		}
	}
	if got.status != http.StatusConflict || !strings.Contains(got.body, `Session \"hog\"`) || !strings.Contains(got.body, "share") {
		t.Errorf("the hog's last rule: %d %.300s, want 409 naming the session and its share", got.status, got.body)
	}
	if got := serve(t, s, hog, true); got.status != http.StatusInsufficientStorage || !strings.Contains(got.body, `Session \"hog\"`) {
		t.Errorf("the hog's write: %d %.300s, want 507 naming it", got.status, got.body)
	}
	if held := s.state.used.Load(); held > s.state.pool/2 {
		t.Errorf("one session holds %d bytes of the %d-byte pool", held, s.state.pool)
	}
	// Two more hogs spend the pool; a small session still has its floor.
	for _, name := range []string{"hog2", "hog3"} {
		for i := range 40 {
			if got := serve(t, s, adminPost("/__admin/faults?session="+name, bigRule(i)), false); got.status != http.StatusCreated {
				break
			}
		}
	}
	if got := serve(t, s, inSession("small", patch(piaID, `{"friendly_name":"mine"}`)), false); got.status != http.StatusOK {
		t.Errorf("a small write with the pool spent: %d %s", got.status, got.body)
	}
	var listed int64
	for _, si := range s.Sessions() {
		listed += si.StateBytes
	}
	if listed > s.state.limit {
		t.Errorf("sessions hold %d bytes, over --state-bytes %d", listed, s.state.limit)
	}
}

// bigRule is a fault rule of about 60 KiB that matches no request.
func bigRule(i int) string {
	return `{"status":500,"off_document":true,"raw_body":"` + strings.Repeat("r", 60<<10) + `","name":"r` + fmt.Sprint(i) + `","match":{"phone_number_id":"none"}}`
}

// A session flooding the journal eats its own entries: another session's last entries
// survive it.
func TestJournalShares(t *testing.T) {
	t.Parallel()
	const budget = 1 << 20
	s := newServer(t, Options{JournalBytes: budget})
	for i := range 3 {
		serve(t, s, inSession("quiet", patch(sipID, fmt.Sprintf(`{"friendly_name":"q%d"}`, i))), false)
	}
	flood := patch(sipID, `{"friendly_name":"`+strings.Repeat("f", 64<<10)+`"}`)
	for range 100 {
		serve(t, s, inSession("flood", flood), false)
	}
	if got := len(s.Session("quiet").Requests()); got != 3 {
		t.Errorf("the quiet session kept %d of its 3 entries through another session's flood", got)
	}
	if used := s.journal.usage(); used > budget {
		t.Errorf("the journal holds %d bytes, over its %d budget", used, budget)
	}
}

// Redacting an entry can lengthen it; what is kept is what is counted against the
// budget.
func TestRedactedJournalStaysInBudget(t *testing.T) {
	t.Parallel()
	const budget = 256 << 10
	s := newServer(t, Options{JournalBytes: budget})
	body := strings.Repeat(`"token":1,`, 6000) // 60 KB that redaction makes 126 KB
	for range 8 {
		serve(t, s, req{method: http.MethodPatch, path: "/v1/phone-numbers/" + sipID, contentType: "application/json", body: []byte(body)}, false)
	}
	var held int64
	for _, e := range s.Session("").Requests() {
		if strings.Contains(e.Body, `"token":1`) {
			t.Fatal("a token is kept in clear")
		}
		held += entrySize(&e)
	}
	if held > budget || s.journal.usage() > budget {
		t.Errorf("the journal holds %d bytes of text (it counts %d), over its %d budget", held, s.journal.usage(), budget)
	}
}

// A dropped session's 410 is remembered for ten times --max-sessions names, and a
// crowd of drops logs a line a second, not one each.
func TestEvictedNamesAreRememberedAndLogsRateLimited(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	s := newServer(t, Options{MaxSessions: 2, Logger: debugLogger(&logs)})
	for i := range 2 + 10*2 { // 20 drops: s0 is the oldest name still remembered
		serve(t, s, inSession(fmt.Sprintf("s%d", i), patch(sipID, `{}`)), false)
	}
	if got := serve(t, s, inSession("s0", patch(sipID, `{}`)), true); got.status != http.StatusGone {
		t.Errorf("s0, dropped 20 drops ago: %d %s, want 410", got.status, got.body)
	}
	if n := strings.Count(logs.String(), "session dropped"); n > 2 {
		t.Errorf("%d log lines for 21 drops in a moment, want at most 2", n)
	}
	for i := range 10 * 2 * 3 { // the memory of names is bounded
		serve(t, s, inSession(fmt.Sprintf("more%d", i), patch(sipID, `{}`)), false)
	}
	s.mu.Lock()
	remembered, order := len(s.evicted), len(s.evictedOrder)
	s.mu.Unlock()
	if remembered > 20 || order > 20 {
		t.Errorf("%d names remembered (%d in order), want at most 20", remembered, order)
	}
}

// Rules are matched outside the session's lock, and the work of matching them against
// one request is bounded: 30 rules of 1 KiB globs against a 30,000-byte id took
// about 20 s a request.
func TestRuleMatchingIsBoundedAndOutsideTheLock(t *testing.T) { // not parallel: it sets matchHook
	s := newServer(t, Options{})
	h := s.Session("cpu")
	glob := strings.Repeat("*a", 511) + "b"
	for range 30 {
		if _, err := h.AddFault(FaultRule{Status: 500, Match: FaultMatch{PhoneNumberID: glob}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.AddFault(FaultRule{Status: 422, Priority: -1, Match: FaultMatch{PhoneNumberID: "a*"}}); err != nil {
		t.Fatal(err)
	}
	locked := 0
	matchHook = func(ss *sessionState) {
		if !ss.mu.TryLock() {
			locked++
			return
		}
		ss.mu.Unlock()
	}
	t.Cleanup(func() { matchHook = nil })
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	id := strings.Repeat("a", 30000)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a hang guard: it took 20 s
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, http.MethodPatch, ts.URL+"/v1/phone-numbers/"+id, strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SessionHeader, "cpu")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("the request did not end: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want the cheap rule's 422 (the costly ones are not tried)", resp.StatusCode)
	}
	if locked > 0 {
		t.Error("rules were matched under the session's lock")
	}
}

// sendRaw sends one request on a connection of its own, chunked when chunked is set,
// and returns the first line of the answer.
func sendRaw(t testing.TB, addr, session, id, body string, chunked bool) chan string {
	t.Helper()
	c := make(chan string, 1)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	framing := fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	if chunked {
		framing = fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	}
	go func() {
		fmt.Fprintf(conn, "PATCH /v1/phone-numbers/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s: %s\r\n%s", id, SessionHeader, session, framing)
		conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a hang guard
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			line = err.Error()
		}
		c <- strings.TrimSpace(line)
	}()
	return c
}

// Small bodies never wait for the in-flight budget, whatever their framing, and a body
// that found no room in time gets an honest 503 with Retry-After.
func TestInflightFairness(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{MaxBodyBytes: 64 << 10, InflightBytes: 64 << 10})
	s.bodyWait = 200 * time.Millisecond
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	addr := strings.TrimPrefix(ts.URL, "http://")
	park := s.Session("park")
	if _, err := park.AddFault(FaultRule{Delay: Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Drain)
	for range 4 { // chunked {} parked in a delay rule held a whole --max-body-bytes each
		sendRaw(t, addr, "park", sipID, `{}`, true)
	}
	big := `{"friendly_name":"` + strings.Repeat("b", 40<<10) + `"}`
	sendRaw(t, addr, "park", sipID, big, false) // holds 40 KiB of the 64 while it sleeps
	waitMatched(t, park, 5)
	for _, chunked := range []bool{true, false} {
		if got := <-sendRaw(t, addr, "other", piaID, `{"friendly_name":"small"}`, chunked); got != "HTTP/1.1 200 OK" {
			t.Errorf("a small body (chunked %v) beside the parked ones: %q, want 200", chunked, got)
		}
	}
	if got := <-sendRaw(t, addr, "other", piaID, big, false); got != "HTTP/1.1 503 Service Unavailable" {
		t.Errorf("a large body with no room: %q, want 503", got)
	}
	r, _ := http.NewRequest(http.MethodPatch, ts.URL+"/v1/phone-numbers/"+piaID, strings.NewReader(big))
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), `"error":"server_busy"`) {
		t.Errorf("the busy answer: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}

// An admin body's size in values is checked before any tree is built: a 1 MiB array
// of zeros in a fault rule cost some 300 MB before its size was checked.
func TestAdminBodiesAreCountedBeforeParsing(t *testing.T) { // not parallel: it reads the allocation counter
	s := newServer(t, Options{})
	arr := strings.TrimSuffix(strings.Repeat("0,", 500_000), ",")
	for _, r := range []req{
		adminPost("/__admin/faults", `{"status":500,"body":[`+arr+`]}`),
		adminPost("/__admin/states", `{"state":"x","params":{"a":[`+arr+`]}}`),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got := serve(t, s, r, false)
		runtime.ReadMemStats(&after)
		if got.status != http.StatusBadRequest || !strings.Contains(got.body, "JSON values") {
			t.Errorf("%s: %d %.200s, want 400 counting its values", r.path, got.status, got.body)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("%s: %d MB allocated for a 1 MB body", r.path, alloc>>20)
		}
	}
	if got := serve(t, s, adminPost("/__admin/faults", `{"status":500,"off_document":true,"body":{"a":"x,[{\",\""},"match":{"phone_number_id":"q"}}`), false); got.status != http.StatusCreated {
		t.Errorf("punctuation inside strings counted: %d %s", got.status, got.body)
	}
}

// A request sleeping in a fault rule's delay reports it through the context that
// OnFaultWait made, so that the connection limiter can spare it.
func TestOnFaultWait(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{})
	if _, err := s.Session("w").AddFault(FaultRule{Delay: Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	reports := make(chan bool, 2)
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return OnFaultWait(ctx, func(waiting bool) { reports <- waiting })
	}
	ts.Start()
	t.Cleanup(ts.Close)
	done := sendAsync(t, ts.URL, inSession("w", patch(sipID, `{}`)))
	if w := <-reports; !w {
		t.Fatal("the first report is not the start of the wait")
	}
	s.Drain()
	if w := <-reports; w {
		t.Error("the second report is not the end of the wait")
	}
	if got := <-done; got.status != http.StatusOK {
		t.Errorf("the delayed request: %d %s", got.status, got.body)
	}
}
