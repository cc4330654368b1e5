// Package version stands for github.com/prometheus/common/version: a
// dependency's package that programs stamp with -X.
package version

import "runtime"

// Build information, set by -X.
var (
	Version   string
	Revision  string
	Branch    string
	BuildUser string
	BuildDate string
	GoVersion = runtime.Version()
)
