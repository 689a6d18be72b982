#!/usr/bin/env bash
# Contract verification as users run it in CI: start the built binary, run the
# scenario suite and the generated cases (compared with the in-process fake) against
# it over HTTP, and keep the JUnit XML report. Nothing may be skipped against the fake.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .ci/out
bin=$(mktemp -d)/verbex-mock
go build -o "$bin" ./cmd/verbex-mock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" --self-check 2> .ci/out/serve.log &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do "$bin" healthcheck --addr "127.0.0.1:$port" 2>/dev/null && break; sleep 0.1; done
start=$(date +%s.%N)
"$bin" contract run --target "http://127.0.0.1:$port" --states /__admin/states --fail-on-skip \
  ${CONTRACT_SEED:+--seed "$CONTRACT_SEED"} --junit .ci/out/contract-junit.xml --json .ci/out/contract.json
echo "default contract run: $(python3 -c "import time; print(round(time.time() - $start, 1))") s"
# The fake checked itself against the document while it answered: nothing may be off.
if grep -q "off the document" .ci/out/serve.log; then
  echo "the fake sent answers off the document:"; grep "off the document" .ci/out/serve.log; exit 1
fi
echo "JUnit report: .ci/out/contract-junit.xml"
