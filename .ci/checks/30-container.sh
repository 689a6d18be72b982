#!/usr/bin/env bash
# The Dockerfile, verified without a Docker engine: build the binary with the
# Dockerfile's own build line, check it is static, and run it as the image would
# (uid 65532, an empty working directory, configured only by the image's environment,
# on 0.0.0.0), then check healthcheck and a graceful SIGTERM during in-flight requests.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
trap 'kill ${pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "container check failed: $*"; exit 1; }

# 1. The build line, taken from the Dockerfile so the flags cannot drift, run as BuildKit
# runs it: its ARGs (TARGETOS/TARGETARCH of the platform, the version stamps) are
# environment variables of the RUN line. The image's platform here is this machine's.
build=$(grep -E '^RUN CGO_ENABLED=0 .*go build ' Dockerfile | sed -E 's/^RUN //; s#/out/verbex-mock#"$OUT"#')
[ -n "$build" ] || fail "no 'RUN CGO_ENABLED=0 … go build' line in the Dockerfile"
for arg in TARGETOS TARGETARCH VERSION COMMIT DATE; do
  grep -qE "^ARG $arg(=|$)" Dockerfile || fail "the Dockerfile does not declare ARG $arg"
  case $build in *"$arg"*) ;; *) fail "the build line does not use $arg" ;; esac
done
echo "building: $build"
build_as_docker() { # TARGETOS TARGETARCH OUT
  (cd "$repo" && export TARGETOS=$1 TARGETARCH=$2 OUT=$3 VERSION=container-check \
    COMMIT=0123456789abcdef0123456789abcdef01234567 DATE=2026-01-02T03:04:05Z && eval "$build")
}
bin=$work/verbex-mock
build_as_docker linux "$(go env GOARCH)" "$bin"
"$bin" version > "$work/version"
for want in "verbex-mock container-check" "commit: 0123456789abcdef0123456789abcdef01234567" "date:   2026-01-02T03:04:05Z"; do
  grep -qxF "$want" "$work/version" || { cat "$work/version"; fail "the version was not stamped: no line '$want'"; }
done
echo "version: $(head -1 "$work/version") (commit and date stamped)"

# 2. Static, trimmed.
if ldd "$bin" >/dev/null 2>&1; then fail "the binary is dynamically linked"; fi
go version -m "$bin" | grep -q 'CGO_ENABLED=0' || fail "built with cgo"
go version -m "$bin" | grep -q -- '-trimpath=true' || fail "built without -trimpath"
if strings "$bin" | grep -q "$repo"; then fail "the binary contains the build path"; fi
echo "static: yes (ldd refuses it), CGO_ENABLED=0, -trimpath"

# 3. Run it as the image does: uid/gid 65532, empty cwd, env only, 0.0.0.0.
image_env=$(grep -E '^ENV ' Dockerfile | sed -E 's/^ENV //')
[ "$image_env" = "VERBEX_MOCK_ADDR=0.0.0.0:8080" ] || fail "unexpected ENV: $image_env"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
empty=$work/empty && mkdir "$empty" && chmod 755 "$empty"
# exec all the way down, so that $pid below is the fake itself and gets the SIGTERM.
exec_as_image() { cd "$empty" && exec env -i VERBEX_MOCK_ADDR="0.0.0.0:$port" setpriv --reuid=65532 --regid=65532 --clear-groups "$@"; }
as_image() { (exec_as_image "$@"); }
exec_as_image "$bin" serve 2> "$work/serve.log" &
pid=$!
for _ in $(seq 100); do as_image "$bin" healthcheck 2>/dev/null && break; sleep 0.05; done
as_image "$bin" healthcheck || fail "healthcheck did not exit 0 while the fake runs"
[ "$(ps -o uid= -p $pid | tr -d ' ')" = 65532 ] || fail "not running as 65532"
ss -Htln "( sport = :$port )" | grep -q "0.0.0.0:$port\|\*:$port" || { cat "$work/serve.log"; ss -Htln; fail "not listening on 0.0.0.0"; }
echo "running as uid 65532 from an empty directory on 0.0.0.0:$port; healthcheck: 0"

# 4. SIGTERM during in-flight requests: they complete, the process exits 0 within 5 s.
curl -sf -X POST "http://127.0.0.1:$port/__admin/faults" -H 'Content-Type: application/json' \
  -d '{"name":"slow","delay":"1500ms"}' >/dev/null || fail "adding a delay fault"
for i in 1 2 3 4 5; do
  curl -s -o "$work/out$i" -w '%{http_code}' -X PATCH "http://127.0.0.1:$port/v1/phone-numbers/6650a1f2c3d4e5f6a7b8c901" \
    -H 'Content-Type: application/json' -d '{}' > "$work/code$i" &
done
# Wait until the five requests are accepted (established connections), not a fixed time.
for _ in $(seq 100); do
  n=$(ss -Htn state established "( sport = :$port )" | wc -l)
  [ "$n" -ge 5 ] && break; sleep 0.02
done
start=$(date +%s.%N)
kill -TERM $pid
set +e; wait $pid; code=$?; set -e
elapsed=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
wait
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
python3 -c "import sys; sys.exit(0 if $elapsed < 5 else 1)" || fail "took ${elapsed}s to stop"
for i in 1 2 3 4 5; do [ "$(cat "$work/code$i")" = 200 ] || fail "in-flight request $i got $(cat "$work/code$i")"; done
echo "SIGTERM with 5 requests in flight: all 200, exit 0 after ${elapsed}s"
set +e; as_image "$bin" healthcheck 2>/dev/null; hc=$?; set -e
[ "$hc" = 1 ] || fail "healthcheck exited $hc with the fake stopped; want 1"
echo "healthcheck with the fake stopped: 1"
