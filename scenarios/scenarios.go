package scenarios

import "embed"

// FS holds the embedded scenario files (*.yaml).
//
//go:embed *.yaml
var FS embed.FS
