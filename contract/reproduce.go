package contract

import (
	"context"
	"errors"
	"net/http"

	"github.com/verbex/verbex-mock/contract/judge"
)

// sendError is a request to the target that got no answer: the report shows the
// request and its curl line with the error, as it does for one that was answered.
type sendError struct {
	req     judge.Request
	session string
	err     error
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// curl reproduces a request as r.do sends it: with the runner's User-Agent.
func (r *runner) curl(req *http.Request, body []byte) string {
	sent := req.Clone(context.Background())
	sent.Header.Set("User-Agent", r.cfg.UserAgent)
	return judge.Curl(sent, body, r.cfg.Token)
}

// unanswered is the step a case shows for a request that got no answer (none when
// err is not such a request's).
func (r *runner) unanswered(err error) []CaseStep {
	var se *sendError
	if !errors.As(err, &se) {
		return nil
	}
	return []CaseStep{r.requestStep(se.req, se.session, "no answer: "+judge.RedactText(se.err.Error(), r.cfg.Token))}
}

// requestStep is a step of a case whose target answer is told in words.
func (r *runner) requestStep(w judge.Request, session, target string) CaseStep {
	return CaseStep{Method: w.Method, Path: w.Path, ContentType: w.ContentType, Body: bodyShown(w.Body, r.cfg.Token),
		Target: target, Curl: r.curlFor(w, session)}
}
