//go:build mage

// svcpack's own Mage targets: the ones any project gets by importing
// pkg/magetargets. `go run mage.go release` releases the example service.
package main

import (
	//mage:import
	"github.com/svcpack/svcpack/pkg/magetargets"
)

// Default is the target a bare `go run mage.go` runs: validate the config.
var Default = magetargets.Check
