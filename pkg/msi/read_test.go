package msi

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// msiinfoProperties is the Property table as msiinfo (msitools) exports it.
func msiinfoProperties(t *testing.T, msiinfo, path string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(run(t, msiinfo, "export", path, "Property"), "\r\n"), "\n")
	out := map[string]string{}
	for _, l := range lines[3:] { // the column names, types and table name
		k, v, _ := strings.Cut(strings.TrimRight(l, "\r"), "\t")
		out[k] = v
	}
	return out
}

// readProps is ReadProperties of the file at path.
func readProps(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadProperties(f)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestReadProperties reads the Property table of MSIs written by this
// package (with non-ASCII text of code page 1252) and by wixl, and finds
// what msiinfo reads there.
func TestReadProperties(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	wixl := testtool.Need(t, "wixl", "wixl")
	p := samplePackage(t, "arm64")
	p.Product.Manufacturer = "Acmé “Corp” €"
	ours := buildPackage(t, p)

	dir := filepath.Dir(p.Files[0].Src)
	if err := os.WriteFile(filepath.Join(dir, "p.wxs"), wixlSource(t), 0o644); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(t.TempDir(), "wixl.msi")
	cmd := exec.Command(wixl, "-a", "x64", "-o", theirs, "p.wxs")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl: %v\n%s", err, out)
	}
	for name, path := range map[string]string{"ours": ours, "wixl": theirs} {
		got, want := readProps(t, path), msiinfoProperties(t, msiinfo, path)
		if len(want) < 5 || want["ProductCode"] == "" || want["UpgradeCode"] == "" {
			t.Fatalf("%s: msiinfo reads too little to compare: %v", name, want)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: ReadProperties\n%v\nmsiinfo\n%v", name, got, want)
		}
	}
	if got := readProps(t, ours)["Manufacturer"]; got != p.Product.Manufacturer {
		t.Errorf("Manufacturer %q, want %q", got, p.Product.Manufacturer)
	}
}

// TestReadPropertiesRefusesOtherFiles: a file that is no installer
// database is an error, not an empty table.
func TestReadPropertiesRefusesOtherFiles(t *testing.T) {
	for name, data := range map[string]string{"empty": "", "text": strings.Repeat("not an msi\n", 100)} {
		if _, err := ReadProperties(strings.NewReader(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
