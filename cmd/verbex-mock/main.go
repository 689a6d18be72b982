package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	// A misspelt VERBEX_MOCK_ variable would be ignored silently; say so first.
	for _, w := range unknownEnv(os.Environ(), knownEnv()) {
		fmt.Fprintln(os.Stderr, "verbex-mock:", w)
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
