// Command dist pins, versions, builds and ships a server distribution.
package main

import (
	"os"

	"github.com/distbuild/dist/internal/cli"
)

func main() { os.Exit(cli.Execute()) }
