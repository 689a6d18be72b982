#!/usr/bin/env bash
# The runner against a real ASGI stack: .ci/uvicorn/app.py (this endpoint written with
# FastAPI) served by Debian's uvicorn, which closes a kept-alive connection after an
# unhandled error without saying so.
#  (a) pydantic-2 errors (the document's): a generated run at full speed on 8 connections
#      passes with nothing skipped, and what the transport did is counted in the report.
#  (b) pydantic-1 errors (FastAPI's own with Debian's pydantic): the same run fails, under
#      the validation rule, and still without a transport failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=/usr/bin/python3
if ! "$py" -c 'import uvicorn, fastapi' 2>/dev/null; then
  apt-get install -y python3-uvicorn python3-fastapi >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y python3-uvicorn python3-fastapi >/dev/null; }
fi
mkdir -p .ci/out
bin=$(mktemp -d)/verbex-mock
go build -o "$bin" ./cmd/verbex-mock
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# check MODE: serves the app in MODE on a free port, runs the contract against it and
# sets code to the run's exit code; the text and JSON reports stay in .ci/out.
check() {
  local port
  port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  VERBEX_APP_ERRORS=$1 "$py" -m uvicorn --app-dir .ci/uvicorn app:app --host 127.0.0.1 --port "$port" \
    --log-level warning > ".ci/out/uvicorn-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break
    sleep 0.1
  done
  code=0
  "$bin" contract run --target "http://127.0.0.1:$port" --states /__admin/states --rate 0 --parallel 8 --quiet \
    --fail-on-skip ${CONTRACT_SEED:+--seed "$CONTRACT_SEED"} --json ".ci/out/uvicorn-$1.json" \
    > ".ci/out/uvicorn-$1.txt" || code=$?
}

# transport_failures MODE: requests that got no answer, in scenarios and generated cases.
transport_failures() {
  "$py" - ".ci/out/uvicorn-$1.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
n = sum(f["kind"] == "transport" for s in rep["scenarios"] for st in s.get("steps") or [] for f in st.get("failures") or [])
n += sum(c["status"] == "failed" and not c.get("rule") for c in (rep.get("generated") or {}).get("cases") or [])
print(n)
PY
}

check pydantic2
tail -n 2 .ci/out/uvicorn-pydantic2.txt
if [ "$code" != 0 ]; then echo "pydantic2: exit $code, want 0"; cat .ci/out/uvicorn-pydantic2.txt; exit 1; fi
if ! grep -q '^transport (not failures): ' .ci/out/uvicorn-pydantic2.txt; then
  echo "pydantic2: the report does not count what the transport did"; exit 1
fi

check pydantic1
tail -n 1 .ci/out/uvicorn-pydantic1.txt
if [ "$code" != 1 ]; then echo "pydantic1: exit $code, want 1 (a contract failure)"; exit 1; fi
if ! grep -q '^=== VALIDATION:' .ci/out/uvicorn-pydantic1.txt; then
  echo "pydantic1: no failure under the validation rule"; exit 1
fi
n=$(transport_failures pydantic1)
if [ "$n" != 0 ]; then echo "pydantic1: $n transport failures against uvicorn"; exit 1; fi
echo "uvicorn: the faithful app passes; its pydantic-1 errors fail under the validation rule; no transport failure"
