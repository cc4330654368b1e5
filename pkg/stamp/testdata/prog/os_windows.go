package main

var onlyWindows = "win"
