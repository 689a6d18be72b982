package mocktest_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recT stands in for the *testing.T of a test whose failure is the point: it records
// errors and logs, and stops like t.FailNow (runtime.Goexit) on its own goroutine.
// What it does not record goes to the real test it embeds.
type recT struct {
	testing.TB
	name string

	mu       sync.Mutex
	failed   bool
	errors   []string
	logs     []string
	cleanups []func()
}

// runRec runs body as a test named name would run: on a goroutine of its own, then
// its cleanups, last registered first.
func runRec(t *testing.T, name string, body func(rt *recT)) *recT {
	t.Helper()
	rt := &recT{TB: t, name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(rt)
	}()
	<-done
	for i := len(rt.cleanups) - 1; i >= 0; i-- {
		rt.cleanups[i]()
	}
	return rt
}

func (r *recT) Name() string { return r.name }
func (r *recT) Helper()      {}

func (r *recT) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recT) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recT) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recT) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

func (r *recT) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recT) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func (r *recT) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintln(args...))
}

func (r *recT) Logf(format string, args ...any) { r.Log(fmt.Sprintf(format, args...)) }

// errorText is every error reported, one per line.
func (r *recT) errorText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errors, "\n")
}

func (r *recT) logText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.logs, "")
}
