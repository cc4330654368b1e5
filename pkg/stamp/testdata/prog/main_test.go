package main

var onlyTest = "test"
