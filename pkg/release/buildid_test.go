package release

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoBuildID: the build ID read from an executable of every object
// format is the one `go tool buildid` (the Go toolchain's reader) prints.
func TestGoBuildID(t *testing.T) {
	dir := t.TempDir()
	for _, target := range []string{"linux/amd64", "windows/amd64", "darwin/arm64"} {
		goos, goarch, _ := strings.Cut(target, "/")
		exe := filepath.Join(dir, goos+"_"+goarch)
		cmd := exec.Command("go", "build", "-o", exe, "-ldflags=-s -w", "../../examples/hello")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", target, err, out)
		}
		out, err := exec.Command("go", "tool", "buildid", exe).Output()
		if err != nil {
			t.Fatalf("%s: go tool buildid: %v", target, err)
		}
		want := strings.TrimSpace(string(out))
		if got := goBuildID(exe); got != want || got == "" {
			t.Errorf("%s: goBuildID = %q, go tool buildid says %q", target, got, want)
		}
	}
}
