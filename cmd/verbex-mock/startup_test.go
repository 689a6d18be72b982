package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkStartupToHealthy measures a process start (this binary re-executed as
// verbex-mock on its embedded defaults) until /__admin/health answers 200: what a CI
// service container's health check waits for. Target: under 100 ms.
func BenchmarkStartupToHealthy(b *testing.B) {
	client := &http.Client{Timeout: time.Second}
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--log-format", "json")
		cmd.Env = append(os.Environ(), "VERBEX_MOCK_TEST_AS_MAIN=1")
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		url := ""
		sc := bufio.NewScanner(stderr)
		for url == "" && sc.Scan() {
			var line struct{ URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				url = line.URL
			}
		}
		for {
			resp, err := client.Get(url + "/__admin/health")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		total += time.Since(start)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-healthy")
}
