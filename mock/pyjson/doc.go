// Package pyjson reads and writes JSON the way CPython's json module does, because
// the real Verbex service is a FastAPI app and its answers are determined by it:
//
//   - Decode accepts exactly what json.loads(bytes) accepts (including NaN and
//     Infinity), detects UTF-8/16/32 like json.detect_encoding and decodes with
//     surrogatepass (lone surrogates are kept, as WTF-8: see Value.Str), keeps object keys in
//     insertion order with the last duplicate winning (dict semantics), and reports a
//     failure with the same message and character offset as json.JSONDecodeError.
//   - Append writes a value as json.dumps(ensure_ascii=False, allow_nan=False,
//     separators=(",", ":")) does, which is what Starlette's JSONResponse sends,
//     and numbers as Python's repr prints them.
//
// The package knows nothing of HTTP or of the OpenAPI document.
package pyjson
