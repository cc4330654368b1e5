package main

import "fmt"

const version = "dev"

func main() { fmt.Println(version) }
