package mock

import (
	"io"
	"unicode/utf8"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec"
)

// An answer rendered from a value (a 422 echoing the body once per branch, a record
// grown by many writes) may be many times the request's bytes: a 1 MiB text body of
// control bytes is a 19 MB 422. An answer that could be larger than inlineAnswer is
// not held: its exact size is counted by encoding it once into nothing, and it is
// encoded again into the connection, a piece at a time, when it is written. The bytes
// are pyjson.Append's, byte for byte (TestStreamedAnswersAreAppendsBytes).
const (
	inlineAnswer = 16 << 10 // answers up to this are rendered in memory (a connection's cost)
	streamChunk  = 16 << 10 // the encoding buffer of a streamed answer
	// streamCost is what a streamed answer holds while it is written: its buffer and
	// the start kept for the journal. It is taken from the in-flight budget.
	streamCost = 2*streamChunk + maxJournalBody
)

// valueWriter encodes values as pyjson.Append does into w, through a buffer that
// never grows much past streamChunk: long strings are escaped a piece at a time.
type valueWriter struct {
	w   io.Writer
	buf []byte
	n   int64 // bytes written to w
	err error
}

// encodedSize is the length of pyjson.Append(nil, v), found without holding it;
// pyjson.ErrUnencodable when v cannot be sent.
func encodedSize(v pyjson.Value) (int64, error) {
	vw := valueWriter{w: io.Discard}
	return vw.n, vw.encode(v)
}

// encode writes v and flushes the buffer.
func (vw *valueWriter) encode(v pyjson.Value) error {
	if err := vw.value(v); err != nil {
		return err
	}
	vw.write()
	return vw.err
}

func (vw *valueWriter) value(v pyjson.Value) error {
	var err error
	switch v.Kind {
	case pyjson.String:
		err = vw.str(v.Str)
	case pyjson.Array:
		vw.buf = append(vw.buf, '[')
		for i, e := range v.Arr {
			if i > 0 {
				vw.buf = append(vw.buf, ',')
			}
			if err = vw.value(e); err != nil {
				return err
			}
		}
		vw.buf = append(vw.buf, ']')
	case pyjson.Object:
		vw.buf = append(vw.buf, '{')
		for i, m := range v.Obj {
			if i > 0 {
				vw.buf = append(vw.buf, ',')
			}
			if err = vw.str(m.Key); err != nil {
				return err
			}
			vw.buf = append(vw.buf, ':')
			if err = vw.value(m.Value); err != nil {
				return err
			}
		}
		vw.buf = append(vw.buf, '}')
	default:
		vw.buf, err = pyjson.Append(vw.buf, v)
	}
	if len(vw.buf) >= streamChunk {
		vw.write()
	}
	if err == nil {
		err = vw.err
	}
	return err
}

// str writes s as pyjson.AppendString does, escaping at most streamChunk/8 bytes at
// a time (an escape is at most 6 bytes), cut at character boundaries.
func (vw *valueWriter) str(s string) error {
	if !utf8.ValidString(s) {
		return pyjson.ErrUnencodable
	}
	vw.buf = append(vw.buf, '"')
	for len(s) > 0 {
		n := min(len(s), streamChunk/8)
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		mark := len(vw.buf)
		vw.buf, _ = pyjson.AppendString(vw.buf, s[:n])
		vw.buf = append(vw.buf[:mark], vw.buf[mark+1:len(vw.buf)-1]...) // its quotes are ours
		s = s[n:]
		if len(vw.buf) >= streamChunk {
			vw.write()
		}
	}
	vw.buf = append(vw.buf, '"')
	return vw.err
}

func (vw *valueWriter) write() {
	if vw.err == nil && len(vw.buf) > 0 {
		var n int
		n, vw.err = vw.w.Write(vw.buf)
		vw.n += int64(n)
	}
	vw.buf = vw.buf[:0]
}

// maxEncodedSize bounds the length of pyjson.Append(nil, v) from above, cheaply: every
// byte of a string escaped to six.
func maxEncodedSize(v pyjson.Value) int64 {
	switch v.Kind {
	case pyjson.String:
		return 6*int64(len(v.Str)) + 2
	case pyjson.Array:
		n := int64(len(v.Arr)) + 2
		for _, e := range v.Arr {
			n += maxEncodedSize(e)
		}
		return n
	case pyjson.Object:
		n := int64(len(v.Obj)) + 2
		for _, m := range v.Obj {
			n += 6*int64(len(m.Key)) + 3 + maxEncodedSize(m.Value)
		}
		return n
	}
	return int64(len(v.Str)) + 5 // null, true, false, a number's repr
}

// validationErrorValue is the HTTPValidationError body {"detail":[…]} as a value, as
// spec.AppendValidationError renders it.
func validationErrorValue(details []spec.Detail) pyjson.Value {
	arr := make([]pyjson.Value, len(details))
	for i := range details {
		arr[i] = details[i].Value()
	}
	return pyjson.ObjectValue([]pyjson.Member{{Key: "detail", Value: pyjson.ArrayValue(arr)}})
}

// validationErrorMaxSize is maxEncodedSize(validationErrorValue(details)), without
// building the value: most 422s are small and rendered at once.
func validationErrorMaxSize(details []spec.Detail) int64 {
	var room [5]pyjson.Member
	n := validationErrorShell + int64(len(details)) // and a comma's room per detail
	for i := range details {
		n += maxEncodedSize(pyjson.ObjectValue(details[i].Members(room[:0])))
	}
	return n
}

// validationErrorShell is what {"detail":[]} costs maxEncodedSize.
var validationErrorShell = maxEncodedSize(validationErrorValue(nil))

// recordValue is a record as spec.Provider.AppendRecord renders it.
func recordValue(p *spec.Provider, values []pyjson.Value) pyjson.Value {
	m := make([]pyjson.Member, len(p.Fields))
	for i := range p.Fields {
		m[i] = pyjson.Member{Key: p.Fields[i].Name, Value: values[i]}
	}
	return pyjson.ObjectValue(m)
}

// streamedAnswer is a JSON answer too large to hold, encoded when it is written; ok
// is false when the value cannot be encoded (the caller answers Starlette's 500).
func streamedAnswer(status int, v pyjson.Value) (answer, bool) {
	size, err := encodedSize(v)
	if err != nil {
		return answer{}, false
	}
	return answer{status: status, contentType: contentJSON, value: &v, size: size}, true
}

// writeValue writes a streamed answer's body to w, keeping its first maxJournalBody
// bytes in keep for the journal.
func writeValue(w io.Writer, v *pyjson.Value, keep []byte) ([]byte, error) {
	k := &keeper{w: w, keep: keep}
	vw := valueWriter{w: k, buf: make([]byte, 0, streamChunk+streamChunk/2)}
	err := vw.encode(*v)
	return k.keep, err
}

// keeper passes bytes on and keeps the first maxJournalBody of them.
type keeper struct {
	w    io.Writer
	keep []byte
}

func (k *keeper) Write(p []byte) (int, error) {
	if room := maxJournalBody - len(k.keep); room > 0 {
		k.keep = append(k.keep, p[:min(room, len(p))]...)
	}
	return k.w.Write(p)
}
