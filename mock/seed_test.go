package mock

import (
	"bytes"
	"errors"
	"os"
)

// readSeed extracts the YAML block of ../shared/seed/verbex-update-phone-number.md,
// which sits beside the repository on the team's machines and in CI.
func readSeed() ([]byte, error) {
	md, err := os.ReadFile("../../shared/seed/verbex-update-phone-number.md")
	if err != nil {
		return nil, err
	}
	_, rest, ok := bytes.Cut(md, []byte("````yaml"))
	if !ok {
		return nil, errors.New("no yaml block")
	}
	_, rest, _ = bytes.Cut(rest, []byte("\n"))
	block, _, ok := bytes.Cut(rest, []byte("````"))
	if !ok {
		return nil, errors.New("unterminated yaml block")
	}
	return block, nil
}
