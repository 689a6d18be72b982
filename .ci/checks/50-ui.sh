#!/usr/bin/env bash
# The live page (/__admin/ui) in a real browser: install Debian's chromium when it is
# missing, then run the page's browser tests, which here fail instead of skipping when
# no browser can be started, and print the page's weight and its render time for
# 2,000 journal entries.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .ci/out
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null || true
VERBEX_MOCK_UI_REQUIRE_BROWSER=1 go test -count=1 -v -run 'Browser' ./mock/ui 2>&1 |
  tee .ci/out/ui-test.log | grep -E '^(--- |ok|FAIL|PASS)|page weight|first render|\.go:[0-9]+:'
