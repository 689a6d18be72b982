// Command bare is the load benchmark's baseline: a bare net/http handler that reads
// the request body and answers fixed bytes, the fastest anything on net/http can be.
// .ci/loadbench feeds it the fake's own answer, so both send the same bytes.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	status := flag.Int("status", 200, "status to answer")
	bodyFile := flag.String("body", "", "file with the body to answer")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		log.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(*status)
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, h))
}
