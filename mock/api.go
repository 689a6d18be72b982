package mock

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// servePhoneNumber answers every method on /v1/phone-numbers/{phone_number_id}: faults
// first (they may match any method), then 405 for anything but PATCH, then the update.
func (s *Server) servePhoneNumber(x *exchange) answer {
	id := x.id
	f, answered := s.serveFault(x, id)
	if answered {
		return f
	}
	var a answer
	if x.r.Method != http.MethodPatch {
		a = methodNotAllowed(http.MethodPatch)
	} else {
		a = s.update(x, id)
	}
	a.fault, a.delaySkipped = f.fault, f.delaySkipped // a rule that only added latency
	return a
}

// update is FastAPI's order of work: decode the body by content type, validate it
// against the union, and only then look the number up and apply the picked fields.
func (s *Server) update(x *exchange, id string) answer {
	body, details, early := x.decode()
	if early != nil {
		return *early
	}
	var res spec.Result
	if details == nil {
		res = s.doc.Union.ValidateIn(&x.scratch, body)
		details = res.Details
	}
	if details != nil {
		return validationAnswer(x.out[:0], details)
	}
	var bad []bool
	bad, x.out = unencodable(res.Fields, x.out[:0])
	values, p, found, err := x.sess.update(id, res.Fields, bad, x.values[:0])
	x.values = values
	var a answer
	switch {
	case !found:
		a = jsonAnswer(http.StatusNotFound, notFoundBody(id))
	case errors.Is(err, errStateFull):
		a = stateFullAnswer(err)
	case err != nil:
		a = serverErrorAnswer()
	default:
		a = recordAnswer(x, p, values)
		if a.status == http.StatusOK {
			a.offSchema = offSchema(p, values)
			a.deliberate = a.offSchema
		}
	}
	a.validation = ValidationValid
	return a
}

// recordAnswer is the 200 with the record, or Starlette's 500 when it cannot be
// encoded. A record grown large by many writes is streamed (stream.go).
func recordAnswer(x *exchange, p *spec.Provider, values []pyjson.Value) answer {
	size := int64(2)
	for i := range values {
		size += int64(len(p.Fields[i].Name)) + 4 + maxEncodedSize(values[i])
	}
	if size > inlineAnswer {
		if a, ok := streamedAnswer(http.StatusOK, recordValue(p, values)); ok {
			return a
		}
		return serverErrorAnswer()
	}
	out, ends, err := p.AppendRecordEnds(x.out[:0], values, x.ends[:0])
	x.out, x.ends = out, ends
	if err != nil {
		return serverErrorAnswer()
	}
	a := jsonAnswer(http.StatusOK, out)
	a.record = recordLayout{x.s.shapes[p], ends}
	return a
}

// offSchema reports a stored null its response schema does not allow: the service
// stores what the update allowed and answers the record as stored.
func offSchema(p *spec.Provider, values []pyjson.Value) bool {
	for i, v := range values {
		if v.Kind == pyjson.Null && p.Fields[i].Check(v) != nil {
			return true
		}
	}
	return false
}

// nullsOffSchema names the fields an update may set to null that their provider's
// response schema does not allow, for the start-up warning.
func nullsOffSchema(doc *spec.Document) []string {
	var out []string
	for _, p := range doc.Providers {
		for i := range p.Fields {
			f := &p.Fields[i]
			if f.Check(pyjson.NullValue()) == nil {
				continue
			}
			for _, b := range doc.Union.Branches {
				for _, prop := range b.Props {
					if prop.Name == f.Name && prop.Nullable {
						out = append(out, b.Title+"."+f.Name+" (null allowed) / "+p.Title+"."+f.Name+" (not)")
					}
				}
			}
		}
	}
	return out
}

// unencodable marks the fields whose values no answer could carry (Python's encoder
// would fail on them); nil when every field is fine, which is the usual case. It
// renders into scratch and returns it, grown.
func unencodable(fields []pyjson.Member, scratch []byte) ([]bool, []byte) {
	var bad []bool
	for i, f := range fields {
		var err error
		if scratch, err = pyjson.Append(scratch[:0], f.Value); err != nil {
			if bad == nil {
				bad = make([]bool, len(fields))
			}
			bad[i] = true
		}
	}
	return bad, scratch
}

// decode turns the body into what FastAPI validates: JSON for application/json and
// application/*+json, the raw text for any other content type (or none), and the
// "missing" error for an empty body or null. Answers the framework gives before
// validation (a 400, a plain 500) come back as early.
func (x *exchange) decode() (v pyjson.Value, details []spec.Detail, early *answer) {
	if len(x.body) == 0 {
		return pyjson.Value{}, spec.MissingBody(), nil
	}
	if !isJSONContentType(get(x.r.Header, hdrContentType)) {
		if !utf8.Valid(x.body) { // jsonable_encoder cannot decode the bytes it echoes
			a := serverErrorAnswer()
			a.validation = ValidationInvalid
			return v, nil, &a
		}
		return pyjson.StringValue(string(x.body)), nil, nil
	}
	v, err := x.json()
	if err != nil {
		if se, ok := err.(*pyjson.SyntaxError); ok {
			return v, spec.InvalidJSON(se), nil
		}
		if a, ok := holdErrorAnswer(err); ok { // the fake's own limits, not FastAPI's
			return v, nil, &a
		}
		a := detailAnswer(http.StatusBadRequest, "There was an error parsing the body")
		a.validation, a.deliberate = ValidationUnparseable, true
		return v, nil, &a
	}
	if v.Kind == pyjson.Null {
		return v, spec.MissingBody(), nil
	}
	return v, nil, nil
}

// isJSONContentType is FastAPI's test through email.message.Message: maintype
// "application" and subtype "json" or "*+json", parameters ignored, and a value that
// is not exactly one type/subtype counts as text/plain.
func isJSONContentType(v string) bool {
	switch v {
	case "":
		return false
	case contentJSON: // what nearly every client sends
		return true
	}
	ctype, _, _ := strings.Cut(v, ";")
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	if strings.Count(ctype, "/") != 1 {
		return false
	}
	main, sub, _ := strings.Cut(ctype, "/")
	return main == "application" && (sub == "json" || strings.HasSuffix(sub, "+json"))
}
