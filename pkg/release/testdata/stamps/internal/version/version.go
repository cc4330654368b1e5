// Package version holds what the release stamps.
package version

// Version is set by -X.
var Version = "dev"

// Commit is a const, which -X cannot set.
const Commit = ""
