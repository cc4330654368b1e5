//go:build !windows

package main

const version = "dev"
