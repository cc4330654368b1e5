package linuxpkg

import (
	"slices"
	"strings"
	"testing"
)

// TestDebianPackage: the embedded list is Debian's, non-empty and sorted
// (DebianPackage's binary search needs it so), and knows a package of the
// archive from a name nobody uses.
func TestDebianPackage(t *testing.T) {
	l, err := debNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.names) < 10000 || !slices.IsSorted(l.names) || slices.Contains(l.names, "") {
		t.Errorf("%d names, sorted %v: want Debian's tens of thousands, sorted, none empty", len(l.names), slices.IsSorted(l.names))
	}
	if !strings.HasPrefix(l.release, "Debian GNU/Linux ") {
		t.Errorf("release %q: want the os-release name of a Debian release", l.release)
	}
	for name, want := range map[string]bool{"nginx": true, "hello": true, "0ad": true, "zstd": true, "hello-svc-xyz": false, "": false, "NGINX": false} {
		if got, err := DebianPackage(name); err != nil || got != want {
			t.Errorf("DebianPackage(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
}
