package main

import "fmt"

var version = 1

func main() { fmt.Println(version) }
