package main

import (
	"fmt"

	"example.com/stamps/internal/version"
)

func main() { fmt.Println(version.Version, version.Commit) }
