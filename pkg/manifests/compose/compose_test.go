package compose

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/svcpack/svcpack/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() *File {
	return &File{
		Service: "hello", Image: "ghcr.io/acme/hello@sha256:" + strings.Repeat("ab", 32), Restart: "unless-stopped", Port: 8080,
		Env: map[string]string{"PORT": "8080", "PRICE": "costs $5"}, User: "65532:65532",
		Binds:   []Bind{{Source: "config/config.yaml", Target: "/etc/hello/config.yaml"}},
		Volumes: []Volume{{Name: "state", Target: "/var/lib/hello"}}, Tmpfs: []string{"/tmp"}, CPUs: "0.8", Memory: "512M",
		Comment: "hello 1.2.3, written by svcpack.", NoHealthcheck: "No healthcheck: the image has no shell.",
	}
}

// TestFile compares the sample with its golden file (-update rewrites it).
func TestFile(t *testing.T) {
	got, err := sample().YAML()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "compose.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(got, want) {
		t.Errorf("differs from %s (%v):\n%s", golden, err, got)
	}
}

// TestFileRefuses: what Compose would refuse or misread is an error.
func TestFileRefuses(t *testing.T) {
	for name, edit := range map[string]func(f *File){
		"service":     func(f *File) { f.Service = "a b" },
		"restart":     func(f *File) { f.Restart = "sometimes" },
		"port":        func(f *File) { f.Port = -1 },
		"env name":    func(f *File) { f.Env = map[string]string{"A=B": "x"} },
		"bind out":    func(f *File) { f.Binds[0].Source = "../x" },
		"bind abs":    func(f *File) { f.Binds[0].Source = "/etc/passwd" },
		"target":      func(f *File) { f.Binds[0].Target = "etc/x" },
		"colon":       func(f *File) { f.Volumes[0].Target = "/a:b" },
		"volume name": func(f *File) { f.Volumes[0].Name = "-x" },
		"no image":    func(f *File) { f.Image = "" },
	} {
		f := sample()
		edit(f)
		if _, err := f.YAML(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestValuesAreData has Debian's docker-compose read a file whose values
// hold YAML syntax and $ (which Compose interpolates): each arrives as
// written (docker-compose prints a $ as $$, the file's escape).
func TestValuesAreData(t *testing.T) {
	bin := testtool.Need(t, "docker-compose", "docker-compose")
	hostile := []string{
		"$HOME", "${HOME}", "$$", "$", "a$", "${HOME:-x}", "$5", "{{ x }}", "yes", "no", "on", "~", "null", "0755", "1e3", "0x1F",
		"1_000", "1:20", "- a", "a: b", "#c", "&anchor", "*alias", "!!binary", "|", ">", "'", `"`, "\\", "%TAG", "@", "`",
		"a\nb", " lead", "trail ", "", "ü ✓", "<>&",
	}
	f := sample()
	f.Env = map[string]string{}
	for i, v := range hostile {
		f.Env[string(rune('A'+i/26))+string(rune('A'+i%26))] = v
	}
	f.User = "1000:30" // a base-60 number to YAML 1.1, as PyYAML reads it
	b, err := f.YAML()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", file, "config")
	cmd.Env = append(os.Environ(), "HOME=/interpolated-home")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s\n%s", err, out, b)
	}
	var doc struct {
		Services map[string]struct {
			Environment map[string]string
			User        string
		}
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	svc := doc.Services["hello"]
	if svc.User != f.User {
		t.Errorf("user %q, want %q", svc.User, f.User)
	}
	for k, v := range f.Env {
		if got := strings.ReplaceAll(svc.Environment[k], "$$", "$"); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}
