#!/usr/bin/env bash
# Prints the release notes of a tag: its section of CHANGELOG.md (Keep a Changelog:
# "## [1.2.3] - 2026-11-27"), without the heading. Fails when the section is missing or
# empty, so a tag cannot be released without its notes.
#
#   bash .github/release-notes.sh v1.2.3 [CHANGELOG.md] > notes.md
#   goreleaser release --clean --release-notes notes.md
set -euo pipefail
tag=${1:?usage: release-notes.sh TAG [CHANGELOG.md]}
changelog=${2:-CHANGELOG.md}
want=${tag#v}
awk -v want="$want" '
  /^## \[/ {
    if (found) exit
    name = $0; sub(/^## \[/, "", name); sub(/\].*$/, "", name)
    if (name == want) { found = 1; next }
  }
  found { lines[++n] = $0 }
  END {
    if (!found) { printf "no \"## [%s]\" section in the changelog\n", want > "/dev/stderr"; exit 1 }
    first = 1; last = n
    while (first <= n && lines[first] ~ /^[[:space:]]*$/) first++
    while (last >= first && (lines[last] ~ /^[[:space:]]*$/ || lines[last] ~ /^\[[^]]+\]: /)) last--
    if (first > last) { printf "the \"## [%s]\" section is empty\n", want > "/dev/stderr"; exit 1 }
    for (i = first; i <= last; i++) print lines[i]
  }' "$changelog"
