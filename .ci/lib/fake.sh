# Sourced by the checks that need a running fake: builds the binary into $bin, starts
# it on a free loopback $port (stopped on exit) and waits until it answers.
bin=$(mktemp -d)/verbex-mock
go build -o "$bin" ./cmd/verbex-mock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do "$bin" healthcheck --addr "127.0.0.1:$port" 2>/dev/null && break; sleep 0.1; done
