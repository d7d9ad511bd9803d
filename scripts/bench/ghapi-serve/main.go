// Command ghapi-serve serves internal/testenv/ghapi, the local stand-in
// for GitHub's releases API, on 127.0.0.1 for the benchmark scripts:
//
//	ghapi-serve OWNER/NAME TOKEN
//
// It prints its base URL (for dist.yaml's github.api_url) on the first
// line of stdout and serves until killed. Besides the API it answers
//
//	POST /_reset     forget every release (a fresh server), 204
//	GET  /_releases  the stored releases as JSON
//
// so that a benchmark can start every run from the same empty state.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/distbuild/dist/internal/testenv/ghapi"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ghapi-serve OWNER/NAME TOKEN")
		os.Exit(2)
	}
	repo, token := os.Args[1], os.Args[2]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ghapi-serve:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	cur := ghapi.New(repo, token)
	current := func() *ghapi.Server { mu.Lock(); defer mu.Unlock(); return cur }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_reset", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cur = ghapi.New(repo, token)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_releases", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(current().Releases())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { current().ServeHTTP(w, r) })
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "ghapi-serve:", err)
		os.Exit(1)
	}
}
