package main

import (
	"context"
	"io"
)

func contractCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return &usageError{msg: "contract: not built yet"}
}
