#!/usr/bin/env bash
# The load benchmark, short rounds, for the record: its figures and verdicts go to the
# CI log. Informational: shared CI machines are noisy, so it never fails the build.
cd "$(dirname "$0")/../.."
bash .ci/loadbench 3 2>&1 | tail -14 || echo "load benchmark could not run (see above); not a failure"
exit 0
