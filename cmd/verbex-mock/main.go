// Command verbex-mock runs the Verbex phone-number API fake and its contract-test
// runner. See "verbex-mock help".
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
