#!/usr/bin/env bash
# The TypeScript example (docs/examples/ts): install its pinned packages, start the
# fake, generate the types from its GET /openapi.json (they must equal the checked-in
# src/verbex.ts), compile with tsc --strict and run the example against the fake.
# Any mismatch fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=$(mktemp -d)/verbex-mock
go build -o "$bin" ./cmd/verbex-mock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do "$bin" healthcheck --addr "127.0.0.1:$port" 2>/dev/null && break; sleep 0.1; done
export VERBEX_MOCK_URL="http://127.0.0.1:$port"

cd "$root/docs/examples/ts"
npm ci --no-audit --no-fund --loglevel=error
# The checked-in types are what the served document generates today.
generated=$(mktemp -d)/verbex.ts
npx --no-install openapi-typescript "$VERBEX_MOCK_URL/openapi.json" -o "$generated" >/dev/null
if ! diff -u src/verbex.ts "$generated"; then
  echo "docs/examples/ts/src/verbex.ts differs from what the served document generates: run npm run generate there" >&2
  exit 1
fi
npx --no-install tsc -p . --strict
node dist/example.js
