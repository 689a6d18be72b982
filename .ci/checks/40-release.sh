#!/usr/bin/env bash
# The release, rehearsed: lint the workflows (actionlint), check that every action and
# tool is pinned and that the Go versions agree, extract release notes from the
# changelog, and have goreleaser check its configuration and build this machine's
# target as a snapshot, then run that binary. Tools are built from source with
# `go install` at pinned versions, and only when the pinned one is not on PATH already.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$(go env GOPATH)/bin:$PATH"
fail() { echo "release check failed: $*"; exit 1; }
actionlint_version=v1.7.12
goreleaser_version=v2.15.1

# 1. The workflows.
if ! actionlint -version 2>/dev/null | head -1 | grep -qxF "$actionlint_version"; then
  go install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"
fi
actionlint -color=false
echo "actionlint $actionlint_version: .github/workflows/*.yml clean"

# Every action at an exact version, never a moving major tag or branch.
unpinned=$(grep -hnE '^\s*(- )?uses:' .github/workflows/*.yml | grep -vE 'uses: [A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@v[0-9]+\.[0-9]+\.[0-9]+\s*$' || true)
[ -z "$unpinned" ] || fail "actions not pinned to an exact version:"$'\n'"$unpinned"
# One Go version: the Dockerfile's, the workflows', and no older than go.mod's.
go_docker=$(sed -nE 's/^ARG GO_VERSION=([0-9.]+)$/\1/p' Dockerfile)
for wf in .github/workflows/ci.yml .github/workflows/release.yml; do
  grep -qE "^\s*(go-version|GO_VERSION): \"$go_docker\"$" "$wf" || fail "$wf does not set Go $go_docker (the Dockerfile's GO_VERSION)"
done
grep -qE "^\s*GORELEASER_VERSION: $goreleaser_version$" .github/workflows/release.yml \
  || fail "release.yml does not pin goreleaser $goreleaser_version"
echo "pinned: every action at vX.Y.Z; Go $go_docker in the Dockerfile and both workflows; goreleaser $goreleaser_version"

# 2. Release notes: the newest changelog section prints, a missing one is refused.
newest=$(sed -nE 's/^## \[([^]]+)\].*/\1/p' CHANGELOG.md | head -1)
[ -n "$newest" ] || fail "CHANGELOG.md has no '## [version]' section"
notes=$(bash .github/release-notes.sh "$newest")
[ -n "$notes" ] || fail "no release notes for [$newest]"
if bash .github/release-notes.sh v0.0.0-no-such-release >/dev/null 2>&1; then
  fail "release-notes.sh printed notes for a version the changelog lacks"
fi
echo "release notes: [$newest] has $(printf '%s\n' "$notes" | wc -l) lines; a missing version is refused"

# 3. goreleaser: the configuration, then a snapshot build of this machine's target.
if ! goreleaser --version 2>/dev/null | grep -qE "^GitVersion:\s+$goreleaser_version$"; then
  go install "github.com/goreleaser/goreleaser/v2@$goreleaser_version"
fi
goreleaser check
goreleaser build --snapshot --single-target --clean
bin=$(python3 - <<'PY'
import json
bins = [a for a in json.load(open("dist/artifacts.json")) if a["type"] == "Binary"]
assert len(bins) == 1, bins
print(bins[0]["path"])
PY
)
meta() { python3 -c 'import json, sys; print(json.load(open("dist/metadata.json"))[sys.argv[1]])' "$1"; }
snapshot=$(meta version)
# goreleaser records the commit as "none" in a clone without a remote; a clone has one.
commit=$(meta commit)
[ "$commit" = none ] || [ "$commit" = "$(git rev-parse HEAD)" ] || fail "goreleaser saw commit $commit, HEAD is $(git rev-parse HEAD)"
"$bin" version > dist/version.txt
cat dist/version.txt
grep -qxF "verbex-mock v$snapshot" dist/version.txt || fail "$bin does not say v$snapshot"
grep -qxF "commit: $commit" dist/version.txt || fail "$bin does not carry the commit $commit"
grep -qE '^date:   [0-9]{4}-[0-9]{2}-[0-9]{2}T' dist/version.txt || fail "$bin does not carry the build date"
go version -m "$bin" | grep -q 'CGO_ENABLED=0' || fail "$bin was built with cgo"
go version -m "$bin" | grep -q -- '-trimpath=true' || fail "$bin was built without -trimpath"
echo "snapshot: $bin ($(wc -c < "$bin") bytes) says v$snapshot"

# 4. `go install …@v1.2.3` for real, from a local module proxy serving this tree: the
# installed binary must say v1.2.3 (cmd/verbex-mock/version_test.go). Here rather than in
# the race run: it compiles this module again, and needs a longer timeout.
VERBEX_MOCK_TEST_GO_INSTALL=1 go test -count=1 -timeout 25m -run '^TestVersionBuilds$' -v ./cmd/verbex-mock \
  | grep -E '^(\s*--- |ok|FAIL|PASS)'
