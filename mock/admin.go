package mock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/verbex/verbex-mock/mock/protocol"
	"github.com/verbex/verbex-mock/mock/ui"
)

// adminRoutes live outside the Verbex API under /__admin. Their paths and shapes are
// stable: tools script them. Each takes ?session=NAME (or the session header).
func (s *Server) adminRoutes() {
	type byMethod = map[string]handler
	s.handle("/__admin/health", route{admin: true, serve: methods(byMethod{http.MethodGet: func(*exchange) answer {
		return valueAnswer(http.StatusOK, map[string]string{"status": "ok"})
	}})})
	s.handle(ui.Path, route{admin: true, serve: func(*exchange) answer { return answer{status: http.StatusOK, page: ui.Handler()} }})
	s.handle("/__admin/phone-numbers", route{admin: true, session: sessionAdmin, serve: methods(byMethod{http.MethodGet: s.adminPhoneNumbers})})
	s.handle("/__admin/reset", route{admin: true, session: sessionAdmin, serve: methods(byMethod{http.MethodPost: s.adminReset})})
	s.handle("/__admin/sessions", route{admin: true, serve: methods(byMethod{http.MethodGet: func(*exchange) answer {
		return valueAnswer(http.StatusOK, map[string][]SessionInfo{"sessions": s.sessionInfos()})
	}})})
	s.handle("/__admin/faults", route{admin: true, session: sessionAdmin, serve: methods(byMethod{
		http.MethodGet:  s.adminListFaults,
		http.MethodPost: s.adminAddFault,
		http.MethodDelete: func(x *exchange) answer {
			s.adminSession(x).clearFaults()
			return noContent()
		},
	})})
	s.handle("/__admin/faults/{id}", route{admin: true, session: sessionAdmin, serve: methods(byMethod{http.MethodDelete: func(x *exchange) answer {
		id := x.vars["id"]
		if !s.adminSession(x).removeFault(id) {
			return errorAnswer(http.StatusNotFound, codeUnknownFault, fmt.Sprintf("No fault rule has id %q.", id))
		}
		return noContent()
	}})})
	s.handle("/__admin/requests", route{admin: true, session: sessionAdmin, serve: methods(byMethod{
		http.MethodGet: func(x *exchange) answer {
			return s.adminRequests(x)
		},
		http.MethodDelete: func(x *exchange) answer {
			s.journal.clear(x.sess)
			return noContent()
		},
	})})
	s.handle(protocol.StatesPath, route{admin: true, session: sessionAdmin, serve: methods(byMethod{
		http.MethodGet: func(*exchange) answer {
			list := protocol.StateList{States: []protocol.StateInfo{}}
			for _, st := range s.states {
				list.States = append(list.States, st.StateInfo)
			}
			return valueAnswer(http.StatusOK, list)
		},
		http.MethodPost: s.adminSetState,
	})})
}

// adminReset resets the request's session, or with ?all=true every session: the
// default one is reset and the named ones are dropped, giving back all they held.
func (s *Server) adminReset(x *exchange) answer {
	q := x.r.URL.Query()
	switch all := q.Get("all"); {
	case all == "" && !q.Has("all"):
		s.resetSession(s.adminSession(x))
	case all != "true":
		return errorAnswer(http.StatusBadRequest, codeBadAdmin, "all: want true (or leave it out to reset one session)")
	case q.Has("session") || x.r.Header.Get(SessionHeader) != "":
		return errorAnswer(http.StatusBadRequest, codeBadAdmin, "all=true resets every session: leave out the session")
	default:
		s.Reset()
	}
	return noContent()
}

// adminSession is the session dispatch found for an admin route.
func (s *Server) adminSession(x *exchange) *sessionState { return x.sess }

func (s *Server) adminPhoneNumbers(x *exchange) answer {
	b := append(x.out[:0], `{"phone_numbers":[`...)
	for i, r := range s.adminSession(x).list() {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = r.appendJSON(b); err != nil {
			return errorAnswer(http.StatusInternalServerError, codeInternal, err.Error())
		}
	}
	x.out = append(b, "]}"...)
	return jsonAnswer(http.StatusOK, x.out)
}

func (s *Server) adminListFaults(x *exchange) answer {
	return valueAnswer(http.StatusOK, map[string]any{"faults": s.adminSession(x).faultStatuses()})
}

// maxAdminValues bounds the JSON values of an admin body, counted before any tree is
// built: a 1 MiB array of small values became some 300 MB of parse tree.
const maxAdminValues = 20_000

// jsonValues counts, roughly and without building anything, the values in a JSON
// text: one more than its commas, brackets and braces outside strings.
func jsonValues(b []byte) int {
	n, inString := 1, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == '[' || c == '{'):
			n++
		}
	}
	return n
}

func (s *Server) adminAddFault(x *exchange) answer {
	if n := jsonValues(x.body); n > maxAdminValues {
		return errorAnswer(http.StatusBadRequest, codeBadFault, fmt.Sprintf("fault rule: about %d JSON values; a rule has at most %d", n, maxAdminValues))
	}
	rule, err := parseFaultRule(x.body)
	if err != nil {
		return errorAnswer(http.StatusBadRequest, codeBadFault, "fault rule: "+err.Error())
	}
	c, err := s.checkFault(rule)
	if err != nil {
		return errorAnswer(http.StatusBadRequest, codeBadFault, err.Error())
	}
	added, err := s.adminSession(x).addFault(c, s.opts.Seed, s.opts.MaxFaultRules)
	if err != nil {
		return errorAnswer(http.StatusConflict, codeTooManyRules, err.Error())
	}
	return valueAnswer(http.StatusCreated, added)
}

func (s *Server) adminSetState(x *exchange) answer {
	var req protocol.StateRequest
	if n := jsonValues(x.body); n > maxAdminValues {
		return errorAnswer(http.StatusBadRequest, codeBadAdmin, fmt.Sprintf("state request: about %d JSON values; at most %d", n, maxAdminValues))
	}
	if err := decodeStrict(x.body, &req); err != nil {
		return errorAnswer(http.StatusBadRequest, codeBadAdmin, "state request: "+err.Error())
	}
	vars, err := s.setState(s.adminSession(x), req.State, req.Params)
	switch {
	case errors.Is(err, errStateFull):
		return stateFullAnswer(err)
	case errors.Is(err, ErrUnknownState):
		return errorAnswer(http.StatusBadRequest, protocol.CodeUnknownState, err.Error())
	case err != nil:
		return errorAnswer(http.StatusBadRequest, protocol.CodeInvalidStateParams, err.Error())
	}
	return valueAnswer(http.StatusOK, vars)
}

// decodeStrict reads one JSON value, refusing unknown fields and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// adminRequests lists the journal: ?since=SEQ (entries after it), ?limit=N and
// ?order=newest (newest first; oldest first by default). The listing is rendered
// entry by entry into the answer, never as one value in memory.
func (s *Server) adminRequests(x *exchange) answer {
	q := JournalQuery{}
	v := x.r.URL.Query()
	var err error
	if since := v.Get("since"); since != "" {
		if q.Since, err = strconv.ParseInt(since, 10, 64); err != nil || q.Since < 0 {
			return errorAnswer(http.StatusBadRequest, codeBadAdmin, "since: want a sequence number (0 or more)")
		}
	}
	if limit := v.Get("limit"); limit != "" {
		if q.Limit, err = strconv.Atoi(limit); err != nil || q.Limit < 0 {
			return errorAnswer(http.StatusBadRequest, codeBadAdmin, "limit: want a count (0 or more; 0 is all)")
		}
	}
	switch v.Get("order") {
	case "", "oldest":
	case "newest":
		q.NewestFirst = true
	default:
		return errorAnswer(http.StatusBadRequest, codeBadAdmin, "order: want oldest or newest")
	}
	entries := s.journal.list(x.sess, q)
	return answer{status: http.StatusOK, contentType: contentJSON, stream: func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 32<<10)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		bw.WriteString(`{"requests":[`)
		for i := range entries {
			if i > 0 {
				bw.WriteByte(',')
			}
			if err := enc.Encode(&entries[i]); err != nil {
				return err
			}
		}
		bw.WriteString("]}")
		return bw.Flush()
	}}
}
