package archive

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

func sample(t *testing.T) []File {
	src := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(src, bytes.Repeat([]byte("binary\x00"), 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	return []File{
		{Name: "z/README.txt", Data: []byte("read me\r\n")},
		{Name: "hello.exe", Mode: 0o755, Src: src},
		{Name: "a/b/config.yaml", Mode: 0o644, Data: []byte("greeting: Hi\n")},
	}
}

var when = time.Unix(1700000000, 0)

func TestZipDeterministicAndValid(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteZip(&a, sample(t), when); err != nil {
		t.Fatal(err)
	}
	if err := WriteZip(&b, sample(t), when); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two zips of the same files differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(when) {
			t.Errorf("%s: time %v", f.Name, f.Modified)
		}
		if f.Name == "hello.exe" && f.Mode().Perm() != 0o755 {
			t.Errorf("hello.exe mode %v", f.Mode())
		}
	}
	if got := strings.Join(names, " "); got != "a/ a/b/ z/ a/b/config.yaml hello.exe z/README.txt" {
		t.Errorf("entries %q", got)
	}
	path := filepath.Join(t.TempDir(), "x.zip")
	os.WriteFile(path, a.Bytes(), 0o644)
	unzip := testtool.Need(t, "unzip", "unzip")
	if out, err := exec.Command(unzip, "-t", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "No errors detected") {
		t.Fatalf("unzip -t: %v\n%s", err, out)
	}
	out, err := exec.Command(unzip, "-Z", "-l", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-rwxr-xr-x") {
		t.Errorf("unzip -Z does not show the exe mode: %v\n%s", err, out)
	}
}

func TestTarGzDeterministicAndValid(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteTarGz(&a, sample(t), when); err != nil {
		t.Fatal(err)
	}
	if err := WriteTarGz(&b, sample(t), when); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two tarballs of the same files differ")
	}
	path := filepath.Join(t.TempDir(), "x.tar.gz")
	os.WriteFile(path, a.Bytes(), 0o644)
	tarTool := testtool.Need(t, "tar", "tar")
	out, err := exec.Command(tarTool, "--numeric-owner", "-tvzf", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tar -tvzf: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"-rwxr-xr-x 0/0", "hello.exe", "2023-11-14 22:13", "drwxr-xr-x 0/0", "a/b/config.yaml"} {
		if !strings.Contains(text, want) {
			t.Errorf("tar listing lacks %q:\n%s", want, text)
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command(tarTool, "-xzf", path, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "a/b/config.yaml"))
	if string(got) != "greeting: Hi\n" {
		t.Errorf("extracted %q", got)
	}
	// Nothing of the host in the gzip header: no name, no time.
	zr, err := gzip.NewReader(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header: name %q, time %v", zr.Name, zr.ModTime)
	}
	// A name USTAR cannot hold is written (as a PAX record) and read back.
	var c bytes.Buffer
	if err := WriteTarGz(&c, []File{{Name: "conf/caf\u00e9.yaml", Data: []byte("x")}}, when); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, c.Bytes(), 0o644)
	if out, err := exec.Command(tarTool, "-tzf", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "conf/caf\u00e9.yaml") {
		t.Errorf("tar -t of a non-ASCII name: %v\n%s", err, out)
	}
}

func TestBadNames(t *testing.T) {
	for _, name := range []string{"", "/abs", "../up", "a/../b", "a//b"} {
		err := WriteZip(&bytes.Buffer{}, []File{{Name: name}}, when)
		if err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if err := WriteTarGz(&bytes.Buffer{}, []File{{Name: "x"}, {Name: "x"}}, when); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate: %v", err)
	}
}
