package contract

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/verbex/verbex-mock/mock/pyjson"
)

// shrinkCase reduces a failing case to a minimal one that fails the same way:
// fewer steps, the plainest method, path, content type and encoding, fewer object
// members, simpler values, shorter raw bodies. Each candidate is run again from a
// fresh state on both sides and kept only if its failure has the same signature.
func (r *runner) shrinkCase(ctx context.Context, seed uint64, res CaseResult) CaseResult {
	start := time.Now()
	orig := r.gen.caseAt(seed, res.Index)
	sh := &shrinker{r: r, ctx: ctx, seed: seed, c: orig, from: startedFrom(res), limit: maxShrinkTry}
	sh.run = r.runCase(ctx, seed, orig, "-s0", sh.from)
	if !sh.run.failing() {
		return res // not reproducible (a flaky target): report the first run as it was
	}
	sh.sig = sh.run.signature()
	if r.cfg.States == "" {
		sh.limit = 40 // a real service, at a polite rate
	}
	for changed := true; changed && sh.tries < sh.limit; {
		changed = sh.removeSteps()
		for i := range sh.c.Steps {
			changed = sh.simplifyStep(i) || changed
			changed = sh.shrinkBody(i) || changed
		}
	}
	out := res
	out.Steps = nil
	r.fill(&out, sh.c, sh.run)
	origBody := ""
	if len(orig.Steps) > 0 {
		origBody = bodyShown(orig.Steps[0].body(), r.cfg.Token)
	}
	out.Shrunk = &Shrink{OriginalBody: origBody, OriginalSteps: len(orig.Steps), Tries: sh.tries, DurationMS: ms(time.Since(start))}
	return out
}

// startedFrom is the record a case's first run started from, for its reruns.
func startedFrom(res CaseResult) *pyjson.Value {
	if res.before.Kind != pyjson.Object {
		return nil
	}
	return &res.before
}

// shrinker holds a failing case while it is made smaller: each pass proposes
// candidates, and try keeps one that fails the same way.
type shrinker struct {
	r            *runner
	ctx          context.Context
	seed         uint64
	c            genCase
	run          *caseRun
	sig          string
	from         *pyjson.Value
	tries, limit int
}

// try runs a candidate and keeps it if it fails with the same signature.
func (sh *shrinker) try(cand genCase) bool {
	if sh.tries >= sh.limit || sh.ctx.Err() != nil {
		return false
	}
	sh.tries++
	got := sh.r.runCase(sh.ctx, sh.seed, cand, fmt.Sprintf("-s%d", sh.tries+1), sh.from)
	if got.failing() && got.signature() == sh.sig {
		sh.c, sh.run = cand, got
		return true
	}
	return false
}

// withStep is the case with step i replaced.
func (sh *shrinker) withStep(i int, s genStep) genCase {
	cand := sh.c
	cand.Steps = slices.Clone(sh.c.Steps)
	cand.Steps[i] = s
	return cand
}

// removeSteps drops steps one at a time.
func (sh *shrinker) removeSteps() bool {
	changed := false
	for i := 0; len(sh.c.Steps) > 1 && i < len(sh.c.Steps); i++ {
		cand := sh.c
		cand.Steps = slices.Delete(slices.Clone(sh.c.Steps), i, i+1)
		if sh.try(cand) {
			changed = true
			i--
		}
	}
	return changed
}

// simplifyStep makes one attribute of step i plainer at a time.
func (sh *shrinker) simplifyStep(i int) bool {
	changed := false
	for _, simplify := range stepSimplifiers {
		if s, ok := simplify(sh.c.Steps[i]); ok && sh.try(sh.withStep(i, s)) {
			changed = true
		}
	}
	return changed
}

// plainest retries a failing case with every step made plain at once (PATCH to the
// number, application/json, UTF-8) and keeps it if it fails the same way.
func (r *runner) plainest(ctx context.Context, seed uint64, res CaseResult) CaseResult {
	c := r.gen.caseAt(seed, res.Index)
	cand := c
	cand.Steps = slices.Clone(c.Steps)
	changed := false
	for i := range cand.Steps {
		for _, simplify := range stepSimplifiers {
			if s, ok := simplify(cand.Steps[i]); ok {
				cand.Steps[i], changed = s, true
			}
		}
	}
	if !changed {
		return res
	}
	run := r.runCase(ctx, seed, cand, "-p", startedFrom(res))
	if !run.failing() || run.signature() != res.sig {
		return res
	}
	out := res
	r.fill(&out, cand, run)
	return out
}

// stepSimplifiers make one request attribute plainer.
var stepSimplifiers = []func(genStep) (genStep, bool){
	func(s genStep) (genStep, bool) {
		ok := s.Method != http.MethodPatch
		s.Method = http.MethodPatch
		return s, ok
	},
	func(s genStep) (genStep, bool) {
		p := "/v1/phone-numbers/{id}"
		ok := s.Path != p
		s.Path = p
		return s, ok
	},
	func(s genStep) (genStep, bool) {
		ok := s.ContentType == nil || *s.ContentType != jsonCT
		s.ContentType = &jsonCT
		return s, ok
	},
	func(s genStep) (genStep, bool) { ok := s.Encoding != ""; s.Encoding = ""; return s, ok },
	func(s genStep) (genStep, bool) { ok := s.Space; s.Space = false; return s, ok },
}

// shrinkBody makes step i's body smaller: an object loses members, then its values
// get plainer; a raw body loses chunks.
func (sh *shrinker) shrinkBody(i int) bool {
	if sh.c.Steps[i].Object {
		removed := sh.removeMembers(i)
		return sh.plainerValues(i) || removed
	}
	return sh.cutRaw(i)
}

// removeMembers drops the body's members one at a time.
func (sh *shrinker) removeMembers(i int) bool {
	changed := false
	for m := 0; m < len(sh.c.Steps[i].Members); m++ {
		s := sh.c.Steps[i]
		s.Members = slices.Delete(slices.Clone(s.Members), m, m+1)
		if sh.try(sh.withStep(i, s)) {
			changed = true
			m--
		}
	}
	return changed
}

// plainerValues replaces each member's value with a shorter plain one.
func (sh *shrinker) plainerValues(i int) bool {
	changed := false
	for m := range sh.c.Steps[i].Members {
		for _, v := range []string{`"x"`, "null", "1"} {
			s := sh.c.Steps[i]
			if s.Members[m].Value == v || len(s.Members[m].Value) <= len(v) {
				continue
			}
			s.Members = slices.Clone(s.Members)
			s.Members[m].Value = v
			if sh.try(sh.withStep(i, s)) {
				changed = true
				break
			}
		}
	}
	return changed
}

// cutRaw removes ever smaller chunks of a raw body's text.
func (sh *shrinker) cutRaw(i int) bool {
	changed := false
	text := []rune(sh.c.Steps[i].Raw)
	for size := len(text) / 2; size >= 1; size /= 2 {
		for at := 0; at+size <= len(text); {
			s := sh.c.Steps[i]
			s.Raw = string(slices.Delete(slices.Clone(text), at, at+size))
			if sh.try(sh.withStep(i, s)) {
				changed = true
				text = []rune(sh.c.Steps[i].Raw)
				continue
			}
			at += size
		}
	}
	return changed
}
