// Package match compares JSON values with expectations written in a small dialect of
// $-matchers: {"$any": true}, {"$present": true|false}, {"$absent": true},
// {"$type": "string"}, {"$regex": "^ab"} and {"$exact": …}. Contract scenarios and
// fault rules share it, so a matcher means the same in both and a new one is added in
// one place: the table in match.go.
package match
