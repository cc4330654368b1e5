package linuxpkg

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:generate ../../scripts/debnames

// debNamesGz is the list of Debian's binary package names that
// scripts/debnames made from apt's lists: a first line saying which
// release, suites and dates it holds, then one name a line, sorted.
//
//go:embed debnames.txt.gz
var debNamesGz []byte

// debNames reads the list once, when check first asks.
var debNames = sync.OnceValues(func() (debList, error) {
	zr, err := gzip.NewReader(bytes.NewReader(debNamesGz))
	if err != nil {
		return debList{}, fmt.Errorf("linuxpkg: debnames.txt.gz: %w", err)
	}
	s := bufio.NewScanner(zr)
	if !s.Scan() || !strings.HasPrefix(s.Text(), "# ") {
		return debList{}, fmt.Errorf("linuxpkg: debnames.txt.gz: no first line saying where the names come from: make it again with scripts/debnames")
	}
	release, _, _ := strings.Cut(strings.TrimPrefix(s.Text(), "# "), " binary package names")
	l := debList{release: release}
	for s.Scan() {
		l.names = append(l.names, s.Text())
	}
	if err := s.Err(); err != nil {
		return debList{}, fmt.Errorf("linuxpkg: debnames.txt.gz: %w", err)
	}
	if len(l.names) == 0 || !slices.IsSorted(l.names) {
		return debList{}, fmt.Errorf("linuxpkg: debnames.txt.gz: %d names, sorted: %v: make it again with scripts/debnames",
			len(l.names), slices.IsSorted(l.names))
	}
	return l, nil
})

// debList is the embedded list of Debian's package names.
type debList struct {
	release string   // "Debian GNU/Linux 12 (bookworm)"
	names   []string // sorted
}

// DebianRelease names the Debian release whose package names DebianPackage
// knows, as its os-release names it: "Debian GNU/Linux 12 (bookworm)". (The
// list's first line says which suites, and the dates of their lists.)
func DebianRelease() (string, error) {
	l, err := debNames()
	return l.release, err
}

// DebianPackage reports whether Debian has a binary package called name
// (in the release DebianRelease names). A deb of that name is one that
// apt-get upgrade may replace with Debian's when Debian's version is higher,
// unless apt prefers the package's repository.
func DebianPackage(name string) (bool, error) {
	l, err := debNames()
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(l.names, name)
	return found, nil
}
