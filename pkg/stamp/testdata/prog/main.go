// Command prog declares every kind of name -X may be pointed at.
package main

import (
	"fmt"
	"strings"

	"example.com/other"
)

var version = "dev"

var Version string

var folded = "v" + "1"

const constant = "1.0"

var number = 3

type label string

var named label = "x"

var computed = defaultVersion()

var imported = strings.TrimSpace(" x ")

var fromOther = other.Version

var pair, second = two()

func defaultVersion() string { return "dev" }

func two() (string, string) { return "a", "b" }

func main() {
	fmt.Println(version, Version, folded, number, named, computed, imported, fromOther, pair, second)
}
