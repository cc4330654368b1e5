package release

// windowsResourcesSteps patches VERSIONINFO, icon and manifest into the
// Windows binaries (added when pkg/winres lands).
func windowsResourcesSteps() []Step { return nil }

// packageSteps produce the packages from the binaries, in parallel.
func packageSteps() []Step { return nil }
