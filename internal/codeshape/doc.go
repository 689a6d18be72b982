// Package codeshape holds only a test: no function outside tests longer than
// MaxFuncLines lines and no file longer than MaxFileLines, across the module, so that
// a reader can hold each one. Generated files are left out.
package codeshape

// Bounds the test holds every non-test, non-generated Go file of the module to.
const (
	MaxFuncLines = 80
	MaxFileLines = 800
)
