package macho

import (
	"bytes"
	"debug/macho"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// lipo is llvm-lipo, under the names Debian's llvm packages give it.
func lipo(t *testing.T) string {
	return testtool.NeedAny(t, "llvm", "llvm-lipo", "llvm-lipo-19", "llvm-lipo-18", "llvm-lipo-17", "llvm-lipo-16", "llvm-lipo-15", "llvm-lipo-14")
}

// thin builds a small Go program for darwin/goarch.
func thin(t *testing.T, dir, goarch string) string {
	t.Helper()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hello-"+goarch)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, src)
	cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build darwin/%s: %v\n%s", goarch, err, b)
	}
	return out
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestWriteFat makes a universal file of two Go programs and reads it with
// debug/macho and llvm-lipo: two architectures, x86_64 and arm64, each
// slice the thin program's bytes; and the same bytes as llvm-lipo -create
// makes of them.
func TestWriteFat(t *testing.T) {
	lipoTool := lipo(t)
	dir := t.TempDir()
	amd64, arm64 := thin(t, dir, "amd64"), thin(t, dir, "arm64")
	var slices []Slice
	for _, p := range []string{arm64, amd64} { // any order in, lipo's order out
		s, err := ReadSlice(p)
		if err != nil {
			t.Fatal(err)
		}
		slices = append(slices, s)
	}
	var b bytes.Buffer
	if err := WriteFat(&b, slices...); err != nil {
		t.Fatal(err)
	}
	fat := filepath.Join(dir, "hello")
	if err := os.WriteFile(fat, b.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}

	f, err := macho.NewFatFile(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Arches) != 2 || f.Arches[0].Cpu != macho.CpuAmd64 || f.Arches[1].Cpu != macho.CpuArm64 {
		t.Fatalf("arches %+v", f.Arches)
	}
	for i, want := range []string{amd64, arm64} {
		a := f.Arches[i]
		if a.Offset%(1<<a.Align) != 0 {
			t.Errorf("%v at %d, not aligned to 2^%d", a.Cpu, a.Offset, a.Align)
		}
		slice, _ := io.ReadAll(io.NewSectionReader(bytes.NewReader(b.Bytes()), int64(a.Offset), int64(a.Size)))
		thin, _ := os.ReadFile(want)
		if !bytes.Equal(slice, thin) {
			t.Errorf("the %v slice differs from %s", a.Cpu, filepath.Base(want))
		}
	}

	if out := run(t, lipoTool, "-info", fat); !strings.Contains(out, "x86_64 arm64") {
		t.Errorf("llvm-lipo -info: %s", out)
	}
	run(t, lipoTool, fat, "-verify_arch", "x86_64", "arm64")
	for arch, want := range map[string]string{"x86_64": amd64, "arm64": arm64} {
		out := filepath.Join(dir, "thin-"+arch)
		run(t, lipoTool, fat, "-thin", arch, "-output", out)
		got, _ := os.ReadFile(out)
		thin, _ := os.ReadFile(want)
		if !bytes.Equal(got, thin) {
			t.Errorf("llvm-lipo -thin %s gives other bytes than the thin program", arch)
		}
	}
	ref := filepath.Join(dir, "lipo-made")
	run(t, lipoTool, "-create", amd64, arm64, "-output", ref)
	theirs, _ := os.ReadFile(ref)
	if !bytes.Equal(theirs, b.Bytes()) {
		t.Errorf("llvm-lipo -create makes other bytes (%d) than WriteFat (%d):\n%s\n%s", len(theirs), b.Len(),
			run(t, lipoTool, "-detailed_info", ref), run(t, lipoTool, "-detailed_info", fat))
	}
}

func TestWriteFatRefuses(t *testing.T) {
	dir := t.TempDir()
	amd64 := thin(t, dir, "amd64")
	s, err := ReadSlice(amd64)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		slices []Slice
		want   string
	}{
		"none":       {nil, "no slices"},
		"twice":      {[]Slice{s, s}, "are both"},
		"not Mach-O": {[]Slice{{Name: "x", Data: []byte("#!/bin/sh\n")}}, "no thin Mach-O file"},
	} {
		if err := WriteFat(io.Discard, tc.slices...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
}
