package windows

import (
	"path/filepath"
	"testing"

	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// TestWrapperTextRoundTrip: text around a place, $ and ${...} included,
// reaches the program as written once the wrapper expands the folders.
func TestWrapperTextRoundTrip(t *testing.T) {
	dir := t.TempDir()
	wc := &svcwrap.Config{Service: "s", Program: "p.exe", Logs: svcwrap.Logs{Dir: "logs"}}
	wc.Folders = wrapperFolders(wc)
	for in, want := range map[string]string{
		"{{.ConfigDir}}/conf/a.yaml":          dir + `\conf\a.yaml`, // Windows separators after a place
		"-p=$HOME ${config} $$ {{.StateDir}}": "-p=$HOME ${config} $$ " + filepath.Join(dir, "data"),
		"plain $1 ${x}":                       "plain $1 ${x}",
	} {
		wc.Args = []string{wrapperText(in)}
		wc.ApplyDefaults()
		if p := wc.Problems(); len(p) != 0 {
			t.Fatalf("%q: %v", in, p)
		}
		got, err := wc.Expanded(dir)
		if err != nil || got.Args[0] != want {
			t.Errorf("%q: the program gets %q (%v), want %q", in, got.Args[0], err, want)
		}
	}
}
