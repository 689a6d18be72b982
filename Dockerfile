# syntax=docker/dockerfile:1
# verbex-mock: the Verbex phone-number API fake and contract runner, as a CI service
# container. Everything it needs (document, fixtures, scenarios) is embedded: the image
# holds one static binary and needs no files.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# .ci/checks/30-container.sh runs this exact line to build the binary it verifies.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/verbex-mock ./cmd/verbex-mock
RUN /out/verbex-mock version

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="verbex-mock" \
      org.opencontainers.image.description="Stateful fake of the Verbex PATCH /v1/phone-numbers/{phone_number_id} API, faithful to the real FastAPI service, with a contract-test runner" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/verbex/verbex-mock"
COPY --from=build /out/verbex-mock /verbex-mock
USER 65532:65532
ENV VERBEX_MOCK_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s --start-period=2s --retries=5 CMD ["/verbex-mock", "healthcheck"]
ENTRYPOINT ["/verbex-mock"]
CMD ["serve"]
