#!/usr/bin/env bash
# The README's curl examples are run against the built binary on its embedded defaults
# and must print exactly what the README shows.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib/fake.sh
PORT=$port python3 - <<'PY'
import os, subprocess, sys
readme = open("README.md").read()
block = readme.split("Then, in another terminal:")[1].split("```sh")[1].split("```")[0]
lines = block.strip("\n").split("\n")
checked = failed = 0
i = 0
while i < len(lines):
    if lines[i].startswith("curl"):
        cmd = lines[i].rstrip("\\").strip()
        while lines[i].endswith("\\"):
            i += 1
            cmd += " " + lines[i].strip().rstrip("\\")
        cmd = cmd.replace("localhost:8080", "localhost:" + os.environ["PORT"])
        want = lines[i + 1]
        got = subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
        checked += 1
        if got != want:
            failed += 1
            print(f"README example differs:\n  {cmd}\n  got  {got}\n  want {want}")
    i += 1
# The admin table: each row's curl, run in order; the status must be the answer's, and
# a body shown whole (no …) must be the body.
table = readme.split("## Admin routes")[1].split("\n## ")[0]
rows = [l for l in table.split("\n") if l.startswith("| `") and "`curl " in l]
for row in rows:
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    cmd = cells[1].strip("`").replace("localhost:8080", "localhost:" + os.environ["PORT"])
    answer = cells[2].split("`")[1]
    want_status, _, want_body = answer.partition(" ")
    out = subprocess.run(cmd + " -w '\n%{http_code}'", shell=True, capture_output=True, text=True).stdout
    body, _, status = out.rpartition("\n")
    checked += 1
    if status != want_status or (want_body and "…" not in want_body and body != want_body):
        failed += 1
        print(f"README admin route differs:\n  {cmd}\n  got  {status} {body[:200]}\n  want {answer}")
print(f"README examples: {checked - failed} passed, {failed} failed")
sys.exit(1 if failed or not checked else 0)
PY
