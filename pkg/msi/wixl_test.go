package msi

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// wixlSource returns the sample package's payload and service described to
// wixl (bench/msi builds the same package with it).
func wixlSource(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/hello.wxs")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// column returns the values of the first column of an msiinfo export,
// after its three header lines.
func column(export string, n int) []string {
	var out []string
	lines := strings.Split(strings.ReplaceAll(export, "\r\n", "\n"), "\n")
	for _, l := range lines[min(3, len(lines)):] {
		if f := strings.Split(l, "\t"); l != "" && len(f) > n {
			out = append(out, f[n])
		}
	}
	sort.Strings(out)
	return out
}

// TestWixlParity builds the same payload and service with msitools' wixl
// and checks that every standard action, table and service event wixl
// writes is in our package too, and that file hashes agree.
func TestWixlParity(t *testing.T) {
	wixl := testtool.Need(t, "wixl", "wixl")
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	ours := buildPackage(t, p)

	dir := filepath.Dir(p.Files[0].Src)
	if err := os.WriteFile(filepath.Join(dir, "p.wxs"), wixlSource(t), 0o644); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(t.TempDir(), "wixl.msi")
	cmd := exec.Command(wixl, "-a", "x64", "-o", theirs, "p.wxs")
	cmd.Dir = dir // wixl resolves Source= against its working directory
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl: %v\n%s", err, out)
	}

	have := map[string]bool{}
	for _, tbl := range strings.Fields(run(t, msiinfo, "tables", ours)) {
		have[tbl] = true
	}
	for _, tbl := range strings.Fields(run(t, msiinfo, "tables", theirs)) {
		switch tbl {
		case "_SummaryInformation", "_ForceCodepage":
			continue
		}
		// wixl also writes empty tables (AppSearch, Signature, ...); only
		// the ones with rows matter.
		if len(column(run(t, msiinfo, "export", theirs, tbl), 0)) > 0 && !have[tbl] {
			t.Errorf("wixl writes rows in table %s; we do not have it", tbl)
		}
	}
	for _, tbl := range []string{"InstallExecuteSequence", "InstallUISequence", "AdminExecuteSequence", "AdminUISequence", "AdvtExecuteSequence"} {
		our := strings.Join(column(run(t, msiinfo, "export", ours, tbl), 0), " ")
		actions := column(run(t, msiinfo, "export", theirs, tbl), 0)
		if len(actions) < 4 {
			t.Fatalf("wixl's %s has only %v: the comparison would be vacuous", tbl, actions)
		}
		for _, action := range actions {
			if !strings.Contains(" "+our+" ", " "+action+" ") {
				t.Errorf("%s: wixl has %s, we do not", tbl, action)
			}
		}
	}
	// Service events: wixl's Start=install Stop=both Remove=uninstall.
	if w, o := column(run(t, msiinfo, "export", theirs, "ServiceControl"), 2), column(run(t, msiinfo, "export", ours, "ServiceControl"), 2); strings.Join(w, ",") != strings.Join(o, ",") {
		t.Errorf("ServiceControl events: wixl %v, ours %v", w, o)
	}
	if w, o := column(run(t, msiinfo, "export", theirs, "ServiceInstall"), 7), column(run(t, msiinfo, "export", ours, "ServiceInstall"), 7); strings.Join(w, ",") != strings.Join(o, ",") {
		t.Errorf("ServiceInstall accounts: wixl %v, ours %v", w, o)
	}
	// MD5 file hashes of hello.exe and config.yaml, computed by wixl.
	ourHash := run(t, msiinfo, "export", ours, "MsiFileHash")
	for _, l := range strings.Split(run(t, msiinfo, "export", theirs, "MsiFileHash"), "\r\n")[3:] {
		if l != "" && !strings.Contains(ourHash, l) {
			t.Errorf("MsiFileHash row %q (wixl) not in ours:\n%s", l, ourHash)
		}
	}
}
