package spec

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/verbex/verbex-mock/mock/pyjson"
	"github.com/verbex/verbex-mock/mock/spec/internal/seam"
)

// fallback validates a value against a schema the compiled validator does not fully
// implement, with libopenapi-validator (formats asserted, as pydantic validates the
// types that emit them), reached through seam.Full: a document with a fallback loads
// only when package fullcheck is linked in (Load checks). It runs only for values of
// such schemas, after the compiled checks passed: ~15–280 µs a call, so documents
// that need none pay nothing.
type fallback struct {
	schema   any // libopenapi's *base.Schema (seam.Schema.Lib)
	ptr      string
	keywords []string
}

// check validates the (coerced) value out; input is what was sent, echoed in the
// error. The error is pydantic's shape for a validator's ValueError, as FastAPI
// renders it (the exception in ctx encodes as {}): type value_error, msg
// "Value error, " and libopenapi-validator's reasons.
func (f *fallback) check(w *walker, input, out pyjson.Value) bool {
	ok, unreadable, reasons := seam.Full.Schema(f.schema, toAny(out))
	if ok || unreadable {
		// Unreadable: neither validator can read the schema (a look-around pattern,
		// which pydantic runs with Python's re): accept rather than refuse every value.
		return true
	}
	if w.collect {
		msg := "Value error, " + strings.Join(reasons, "; ")
		w.fail("value_error", msg, input, []pyjson.Member{{Key: "error", Value: pyjson.ObjectValue([]pyjson.Member{})}})
	}
	return false
}

// toAny converts a value to what the JSON Schema library validates: numbers as
// json.Number (exact), objects as maps.
func toAny(v pyjson.Value) any {
	switch v.Kind {
	case pyjson.Bool:
		return v.Bool
	case pyjson.Number:
		switch v.Str {
		case "NaN":
			return math.NaN()
		case "Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
		if _, err := strconv.ParseFloat(v.Str, 64); err != nil {
			return json.Number("0") // unreachable for decoded values
		}
		return json.Number(v.Str)
	case pyjson.String:
		return v.Str
	case pyjson.Array:
		out := make([]any, len(v.Arr))
		for i, e := range v.Arr {
			out[i] = toAny(e)
		}
		return out
	case pyjson.Object:
		out := make(map[string]any, len(v.Obj))
		for _, m := range v.Obj {
			out[m.Key] = toAny(m.Value)
		}
		return out
	default:
		return nil
	}
}
