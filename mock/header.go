package mock

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Header values shared by every answer, so that setting them allocates nothing:
// net/http only reads them, and appending to a slice of capacity one copies it.
var (
	jsonContentType  = []string{contentJSON}
	plainContentType = []string{contentPlain}
	contentLengths   [4 << 10]atomic.Pointer[[]string] // filled on first use
)

// headerValue is the Content-Type value v as a header's values.
func headerValue(v string) []string {
	switch v {
	case contentJSON:
		return jsonContentType
	case contentPlain:
		return plainContentType
	}
	return []string{v}
}

// date is a Date header value and the second it names.
type date struct {
	unix  int64
	value []string
}

var lastDate atomic.Pointer[date]

// dateHeader is the Date value for now, formatted once a second: net/http formats
// one for every answer that has none, a twentieth of a small request's time.
func dateHeader(now time.Time) []string {
	unix := now.Unix()
	if d := lastDate.Load(); d != nil && d.unix == unix {
		return d.value
	}
	d := &date{unix: unix, value: []string{now.UTC().Format(http.TimeFormat)}}
	lastDate.Store(d)
	return d.value
}

// contentLength is the Content-Length value for n bytes.
func contentLength(n int) []string {
	if n < 0 || n >= len(contentLengths) {
		return []string{strconv.Itoa(n)}
	}
	if v := contentLengths[n].Load(); v != nil {
		return *v
	}
	v := []string{strconv.Itoa(n)}
	contentLengths[n].Store(&v)
	return v
}

// get is h.Get(key) for a key in canonical form (a constant: TestHeaderKeysCanonical),
// without canonicalizing it again on every request.
func get(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Header names the request path reads with get.
const (
	hdrContentType = "Content-Type"
	hdrPrefer      = "Prefer"
)
