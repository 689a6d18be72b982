package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks what the image must be; .ci/checks/30-container.sh runs the
// binary it builds as the image would.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []*regexp.Regexp{
		// Cross-compiles on the builder's platform: one recipe for amd64 and arm64.
		regexp.MustCompile(`(?m)^FROM --platform=\$BUILDPLATFORM golang:\S+ AS build$`),
		regexp.MustCompile(`(?m)^ARG TARGETOS$`),
		regexp.MustCompile(`(?m)^ARG TARGETARCH$`),
		regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 GOOS=\$TARGETOS GOARCH=\$TARGETARCH go build -trimpath -ldflags="-s -w -X main\.version=\$\{VERSION\} -X main\.commit=\$\{COMMIT\} -X main\.date=\$\{DATE\}" -o /out/verbex-mock \./cmd/verbex-mock$`),
		regexp.MustCompile(`(?m)^FROM gcr\.io/distroless/static-debian12:nonroot$`),
		regexp.MustCompile(`(?m)^COPY --from=build /out/verbex-mock /verbex-mock$`),
		regexp.MustCompile(`(?m)^USER 65532:65532$`),
		regexp.MustCompile(`(?m)^EXPOSE 8080$`),
		regexp.MustCompile(`(?m)^ENV VERBEX_MOCK_ADDR=0\.0\.0\.0:8080$`),
		regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \["/verbex-mock", "healthcheck"\]$`),
		regexp.MustCompile(`(?m)^ENTRYPOINT \["/verbex-mock"\]$`),
		regexp.MustCompile(`(?m)^CMD \["serve"\]$`),
		regexp.MustCompile(`org\.opencontainers\.image\.title="verbex-mock"`),
		regexp.MustCompile(`org\.opencontainers\.image\.source=`),
		regexp.MustCompile(`org\.opencontainers\.image\.version="\$\{VERSION\}"`),
		regexp.MustCompile(`org\.opencontainers\.image\.revision="\$\{COMMIT\}"`),
	} {
		if !want.MatchString(df) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	final := df[strings.LastIndex(df, "\nFROM "):]
	if strings.Count(final, "\nCOPY ") != 1 {
		t.Errorf("the final stage must copy only the binary")
	}
}
