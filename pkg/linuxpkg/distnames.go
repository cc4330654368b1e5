package linuxpkg

import (
	_ "embed"
	"path"
	"strings"
	"sync"
)

// distNames is the list of program names that Debian's and Alpine's base
// systems have in their PATH, with their packages (see the file's header
// for how it was made).
//
//go:embed distnames.txt
var distNames string

var distOwners = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(distNames, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, owners, ok := strings.Cut(line, " "); ok {
			m[name] = owners
		}
	}
	return m
})

// pathDirs are the directories of the system's PATH that the base packages
// fill ( /bin and /sbin are /usr/bin and /usr/sbin on merged-/usr systems).
var pathDirs = []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin"}

// Clash returns the base-system packages (Debian's, Alpine's busybox) that
// already have a program called name in the PATH, when the package would
// install its own there (binDir one of /usr/bin, /usr/sbin, /bin, /sbin;
// "" means DefaultBinDir), as "coreutils, busybox"; else "". dpkg refuses
// to overwrite such a file, and elsewhere it would shadow or replace the
// system's command.
func Clash(binDir, name string) string {
	if binDir == "" {
		binDir = DefaultBinDir
	}
	inPath := false
	for _, d := range pathDirs {
		if path.Clean(binDir) == d {
			inPath = true
		}
	}
	if !inPath {
		return ""
	}
	return strings.ReplaceAll(distOwners()[name], ",", ", ")
}
