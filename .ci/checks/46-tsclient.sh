#!/usr/bin/env bash
# The TypeScript example (docs/examples/ts): install its pinned packages, start the
# fake, generate the types from its GET /openapi.json (they must equal the checked-in
# src/verbex.ts), compile with tsc --strict and run the example against the fake.
# Any mismatch fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
source .ci/lib/fake.sh
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
