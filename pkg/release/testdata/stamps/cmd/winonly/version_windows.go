package main

var version = "dev"
