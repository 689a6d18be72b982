#!/usr/bin/env bash
# Bounded soak (about a minute, 127.0.0.1 only): idle connections, slow uploads, many
# sessions with large bodies and headers, small and large chunked bodies parked in
# delay rules, a state hog, a journal flood, abandoned uploads, unread amplified 422s
# and 1 MiB JSON arrays in PATCHes and admin bodies, while a probe in its own session
# keeps asking for health and sending a PATCH. Fails if a probe fails, if its 99th
# percentile reaches 100 ms, or if the fake's RSS reaches the README's 304 MiB (its
# 272 MiB memory limit is a soft one).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/verbex-mock" ./cmd/verbex-mock
go build -o "$work/soak" ./.ci/soak
"$work/soak" -bin "$work/verbex-mock" -duration 60s
