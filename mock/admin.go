package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/verbex/verbex-mock/mock/protocol"
)

// Admin routes live outside the Verbex API under /__admin. Their paths and shapes are
// stable: tools script them. Each takes ?session=NAME (or the session header).
func (s *Server) adminRoutes(r *mux.Router) {
	type byMethod = map[string]func(*exchange)
	r.Handle("/__admin/health", s.methods(byMethod{http.MethodGet: func(x *exchange) {
		x.sendJSON(http.StatusOK, map[string]string{"status": "ok"})
	}}))
	r.Handle("/__admin/phone-numbers", s.methods(byMethod{http.MethodGet: s.adminPhoneNumbers}))
	r.Handle("/__admin/reset", s.methods(byMethod{http.MethodPost: func(x *exchange) {
		s.resetSession(s.adminSession(x))
		x.send(http.StatusNoContent, "", nil)
	}}))
	r.Handle("/__admin/faults", s.methods(byMethod{
		http.MethodGet:    s.adminListFaults,
		http.MethodPost:   s.adminAddFault,
		http.MethodDelete: func(x *exchange) { s.adminHandle(x).ClearFaults(); x.send(http.StatusNoContent, "", nil) },
	}))
	r.Handle("/__admin/faults/{id}", s.methods(byMethod{http.MethodDelete: func(x *exchange) {
		id := mux.Vars(x.r)["id"]
		if !s.adminHandle(x).RemoveFault(id) {
			x.sendError(http.StatusNotFound, codeUnknownFault, fmt.Sprintf("No fault rule has id %q.", id))
			return
		}
		x.send(http.StatusNoContent, "", nil)
	}}))
	r.Handle("/__admin/requests", s.methods(byMethod{
		http.MethodGet: func(x *exchange) {
			x.sendJSON(http.StatusOK, map[string]any{"requests": s.adminHandle(x).Requests()})
		},
		http.MethodDelete: func(x *exchange) { s.adminHandle(x).ClearRequests(); x.send(http.StatusNoContent, "", nil) },
	}))
	r.Handle("/__admin/states", s.methods(byMethod{
		http.MethodGet: func(x *exchange) {
			infos := []StateInfo{}
			for _, st := range s.states {
				infos = append(infos, st.StateInfo)
			}
			x.sendJSON(http.StatusOK, map[string]any{"states": infos})
		},
		http.MethodPost: s.adminSetState,
	}))
}

func (s *Server) adminSession(x *exchange) *session {
	name := x.r.URL.Query().Get("session")
	if name == "" {
		name = x.r.Header.Get(SessionHeader)
	}
	return s.session(name)
}

func (s *Server) adminHandle(x *exchange) *Session { return &Session{s: s, ss: s.adminSession(x)} }

func (s *Server) adminPhoneNumbers(x *exchange) {
	recs := s.adminSession(x).list()
	b := []byte(`{"phone_numbers":[`)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = r.appendJSON(b); err != nil {
			x.sendError(http.StatusInternalServerError, codeInternal, err.Error())
			return
		}
	}
	x.send(http.StatusOK, contentJSON, append(b, "]}"...))
}

func (s *Server) adminListFaults(x *exchange) {
	x.sendJSON(http.StatusOK, map[string]any{"faults": s.adminHandle(x).Faults()})
}

func (s *Server) adminAddFault(x *exchange) {
	var rule FaultRule
	if err := decodeStrict(x.r.Body, &rule); err != nil {
		x.sendError(http.StatusBadRequest, codeBadAdmin, "fault rule: "+err.Error())
		return
	}
	added, err := s.adminHandle(x).AddFault(rule)
	if err != nil {
		x.sendError(http.StatusBadRequest, codeBadFault, err.Error())
		return
	}
	x.sendJSON(http.StatusCreated, added)
}

func (s *Server) adminSetState(x *exchange) {
	var req struct {
		State  string         `json:"state"`
		Params map[string]any `json:"params"`
	}
	if err := decodeStrict(x.r.Body, &req); err != nil {
		x.sendError(http.StatusBadRequest, codeBadAdmin, "state request: "+err.Error())
		return
	}
	vars, err := s.adminHandle(x).SetState(req.State, req.Params)
	switch {
	case errors.Is(err, ErrUnknownState):
		x.sendError(http.StatusBadRequest, protocol.CodeUnknownState, err.Error())
	case err != nil:
		x.sendError(http.StatusBadRequest, protocol.CodeInvalidStateParams, err.Error())
	default:
		x.sendJSON(http.StatusOK, vars)
	}
}

// decodeStrict reads one JSON value, refusing unknown fields and trailing data.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(r, DefaultMaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
