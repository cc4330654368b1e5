package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestListsModulesLikeGoVersion builds the example service and checks the
// SBOM lists exactly the dependency modules and versions `go version -m`
// reports for the same binary.
func TestListsModulesLikeGoVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hello")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "../../examples/hello")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var b bytes.Buffer
	o := Options{Name: "hello", Version: "1.4.2", OS: "windows", Arch: "amd64", Date: time.Unix(1700000000, 0), Tool: "svcpack test"}
	if err := Write(&b, bin, o); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		BOMFormat, SpecVersion, SerialNumber string
		Metadata                             struct{ Timestamp string }
		Components                           []struct{ Name, Version, PURL string }
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.5" || doc.Metadata.Timestamp != "2023-11-14T22:13:20Z" || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") {
		t.Errorf("header: %+v", doc)
	}
	got := map[string]string{}
	for _, c := range doc.Components {
		got[c.Name] = c.Version
		if c.PURL != "pkg:golang/"+c.Name+"@"+c.Version {
			t.Errorf("purl %q for %s %s", c.PURL, c.Name, c.Version)
		}
	}
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "dep" {
			want[f[1]] = f[2]
		}
	}
	if len(want) == 0 || want["golang.org/x/sys"] == "" {
		t.Fatalf("go version -m lists no golang.org/x/sys:\n%s", out)
	}
	for m, v := range want {
		if got[m] != v {
			t.Errorf("module %s: sbom %q, go version -m %q", m, got[m], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("sbom lists %d modules, go version -m %d", len(got), len(want))
	}
	var again bytes.Buffer
	Write(&again, bin, o)
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("two SBOMs of the same binary differ")
	}
}

func TestNotAGoBinary(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
	if err := Write(&bytes.Buffer{}, p, Options{}); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
}
