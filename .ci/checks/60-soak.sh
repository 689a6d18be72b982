#!/usr/bin/env bash
# Bounded soak (about a minute, 127.0.0.1 only): idle connections, slow uploads, many
# sessions with large bodies and headers, chunked bodies parked in a delay rule, a
# state hog, a journal flood and abandoned uploads, while a probe in its own session
# keeps asking for health and sending a PATCH. Fails if a probe fails, if its 99th
# percentile reaches 100 ms, or if the fake's RSS reaches the README's 256 MiB (its
# 224 MiB memory limit is a soft one).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/verbex-mock" ./cmd/verbex-mock
go build -o "$work/soak" ./.ci/soak
"$work/soak" -bin "$work/verbex-mock" -duration 60s
