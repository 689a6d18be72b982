#!/usr/bin/env bash
# Bounded soak (about a minute, 127.0.0.1 only): idle connections, slow uploads and
# many sessions with large bodies and headers, while a probe keeps asking for health
# and sending a PATCH. Fails if a probe fails or the fake's RSS reaches 300 MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/verbex-mock" ./cmd/verbex-mock
go build -o "$work/soak" ./.ci/soak
"$work/soak" -bin "$work/verbex-mock" -duration 60s
