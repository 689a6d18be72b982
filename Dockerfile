# syntax=docker/dockerfile:1
# verbex-mock: the Verbex phone-number API fake and contract runner, as a CI service
# container. Everything it needs (document, fixtures, scenarios) is embedded: the image
# holds one static binary and needs no files.
#
# One recipe for every platform: the build stage runs on the builder's own platform and
# cross-compiles for the target, so `docker buildx build --platform linux/amd64,linux/arm64 .`
# needs no emulation. A plain `docker build .` builds for the machine it runs on.

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
# Stamped into `verbex-mock version`; the release workflow passes the tag, commit and date.
ARG VERSION=dev
ARG COMMIT=
ARG DATE=
# .ci/checks/30-container.sh runs this exact line to build the binary it verifies.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" -o /out/verbex-mock ./cmd/verbex-mock
# Run it where the builder can; a cross-compiled one is only described.
RUN if [ "$(go env GOOS)/$(go env GOARCH)" = "${TARGETOS:-$(go env GOOS)}/${TARGETARCH:-$(go env GOARCH)}" ]; then /out/verbex-mock version; else go version -m /out/verbex-mock; fi

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=
ARG DATE=
LABEL org.opencontainers.image.title="verbex-mock" \
      org.opencontainers.image.description="Stateful fake of the Verbex PATCH /v1/phone-numbers/{phone_number_id} API, faithful to the real FastAPI service, with a contract-test runner" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${DATE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/verbex/verbex-mock"
COPY --from=build /out/verbex-mock /verbex-mock
USER 65532:65532
ENV VERBEX_MOCK_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s --start-period=2s --retries=5 CMD ["/verbex-mock", "healthcheck"]
ENTRYPOINT ["/verbex-mock"]
CMD ["serve"]
