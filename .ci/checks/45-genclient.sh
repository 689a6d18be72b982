#!/usr/bin/env bash
# The generated-client example is a module of its own (it needs oapi-codegen's runtime,
# which the project does not): vet and test it against the fake.
set -euo pipefail
cd "$(dirname "$0")/../../docs/examples/genclient"
go vet ./...
go test -count=1 ./...
