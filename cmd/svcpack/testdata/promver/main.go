// Command promver stamps its version as Prometheus programs do: in
// github.com/prometheus/common/version, a dependency's package.
package main

import (
	"fmt"

	"github.com/prometheus/common/version"
)

func main() { fmt.Println(version.Print("promver")) }
