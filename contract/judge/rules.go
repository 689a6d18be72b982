package judge

// Rules are the layers of docs/fidelity.md, the real service's behaviour in the order it
// works. Every failure, of a scenario or a generated case, is reported under one.
const (
	RuleRouting     = "routing"
	RuleDecoding    = "decoding"
	RuleValidation  = "validation"
	RuleUnionPick   = "union pick"
	RuleLookup      = "lookup"
	RuleUpdate      = "update semantics"
	RuleStoredState = "stored state"
	RuleRendering   = "rendering"
	RuleErrors      = "error shape"
	RuleConcurrency = "concurrency"
)

// Rules lists every rule with what it says, in docs/fidelity.md's order.
var Rules = []struct{ Name, Text string }{
	{RuleRouting, "Starlette routes PATCH /v1/phone-numbers/{id} only: another method is 405 with Allow: PATCH, an unrouted path 404 {\"detail\":\"Not Found\"}, a trailing slash 307 to the path without it; a query string changes nothing"},
	{RuleDecoding, "application/json and application/*+json (any parameters) are JSON, in UTF-8/16/32 with or without a BOM; anything else is a string; an empty body or null is missing; invalid JSON is json_invalid at Python's offset; undecodable bytes are 400; the last duplicate key wins"},
	{RuleValidation, "pydantic's smart union: a body is valid if one branch passes; undeclared keys are ignored; otherwise 422 with every branch's errors in document and schema order, loc naming the branch title, input echoing the value"},
	{RuleUnionPick, "of the passing branches the one with the most of its own fields present is picked, the earlier on a tie; only its fields survive"},
	{RuleLookup, "the id is looked up only after validation, as an exact string (the path segment decoded once: nothing trimmed, cut off or matched by prefix): an unknown id is 404, every time"},
	{RuleUpdate, "of the picked fields those the number's provider declares apply: a string sets, null clears, absent leaves; others are dropped"},
	{RuleStoredState, "what the answer says was stored is what a later read returns"},
	{RuleRendering, "200 is the whole record in its provider's Get…Response shape; a value Python cannot encode (NaN, Infinity, a lone surrogate) makes Starlette's plain-text 500; content types as FastAPI sends them, no content coding the client did not ask for, a Content-Length that is the body's"},
	{RuleErrors, "an unknown id is 404 and a server error 500 in the ErrorResponse shape {error, message}"},
	{RuleConcurrency, "concurrent updates of different fields of one number all persist"},
}

// KnownRule reports whether name is one of Rules.
func KnownRule(name string) bool {
	for _, r := range Rules {
		if r.Name == name {
			return true
		}
	}
	return false
}
