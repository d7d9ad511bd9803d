// Command demo-registry serves an in-memory OCI registry on loopback for
// `make demo`, so the demo pushes a real image with nothing but Go
// installed. It prints its host:port and runs until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	os.Stdout.Sync()
	h := registry.New(registry.Logger(log.New(os.Stderr, "", 0)))
	log.Fatal(http.Serve(ln, h))
}
