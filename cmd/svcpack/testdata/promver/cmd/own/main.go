// Command own declares its own version variable, and imports
// github.com/prometheus/common/version too.
package main

import (
	"fmt"

	common "github.com/prometheus/common/version"
)

var version = "dev"

func main() { fmt.Println(version, common.Revision) }
