package main

import (
	"fmt"
	"strings"
)

var version = strings.TrimSpace(" dev ")

func main() { fmt.Println(version) }
