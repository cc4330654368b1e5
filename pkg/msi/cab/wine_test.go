package cab

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/winetest"
)

// TestWineExtract extracts an MSZIP cabinet with Wine's extrac32, which goes
// through Wine's cabinet.dll (FDI), the decoder Wine's msiexec uses: the
// blocks that needed the fixed-code fallback, incompressible, text and
// multi-block data. Names are ASCII, as MSI File table keys are: extrac32
// ignores the UTF-8 name flag and writes such a name's bytes as ANSI (a
// client's choice: FDI hands the raw name and the flag to its caller).
func TestWineExtract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Wine")
	}
	files := []file{
		{"File1", []byte("MZ hello\r\n")},
		{"Empty", nil},
		{"zeros", make([]byte, 3*BlockSize+5)},
		{"debruijn.txt", deBruijn()},
		{"noise.bin", random(2*BlockSize+3, 31)},
		{"big.txt", textish(20*BlockSize+77, 32)},
	}
	p := winetest.New(t)
	cabPath := p.HostPath(`C:\cabtest\t.cab`)
	if err := os.MkdirAll(filepath.Dir(cabPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cabPath, build(t, files, Options{Compression: MSZIP, Date: testDate}), 0o644); err != nil {
		t.Fatal(err)
	}
	p.MustRun(2*time.Minute, "extrac32", "/Y", "/E", "/L", `C:\cabtest\out`, `C:\cabtest\t.cab`)
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(p.HostPath(`C:\cabtest\out`), f.name))
		if err != nil {
			ls, _ := os.ReadDir(p.HostPath(`C:\cabtest\out`))
			var names []string
			for _, e := range ls {
				names = append(names, e.Name())
			}
			t.Errorf("extrac32: %v; extracted %q", err, names)
		} else if !bytes.Equal(got, f.data) {
			t.Errorf("extrac32 extracted %s with %d bytes differing from the %d written", f.name, len(got), len(f.data))
		}
	}
}
