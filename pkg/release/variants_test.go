package release

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

const variantsYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Corp <ops@example.com>
formats: [deb, rpm, apk, tar.gz]
service:
  args: [run]
`

// TestVariants releases linux/arm/7 and linux/amd64/v3 beside plain
// linux/amd64 and checks the binaries with debug/elf and `go version -m`,
// and the packages' architecture fields with dpkg-deb, rpm and the apk's
// own .PKGINFO.
func TestVariants(t *testing.T) {
	dpkgDeb := testtool.Need(t, "dpkg-deb", "dpkg")
	rpmTool := testtool.Need(t, "rpm", "rpm")
	c := helloProject(t, variantsYAML, "linux/amd64", "linux/arm/7", "linux/amd64/v3")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]Artifact{}
	for _, a := range res.Artifacts {
		byPath[a.Path] = a
	}
	for _, tc := range []struct {
		bin, variant, setting string
		machine               elf.Machine
		class                 elf.Class
		deb, debArch          string
		rpm, rpmArch          string
		apk, apkArch          string
	}{
		{"hello_linux_armv7/hello", "7", "GOARM=7", elf.EM_ARM, elf.ELFCLASS32,
			"hello_1.4.2-1_armhf.deb", "armhf", "hello-1.4.2-1.armv7hl.rpm", "armv7hl", "hello_1.4.2-r1_armv7.apk", "armv7"},
		{"hello_linux_amd64_v3/hello", "v3", "GOAMD64=v3", elf.EM_X86_64, elf.ELFCLASS64,
			"hello_1.4.2-1_amd64_v3.deb", "amd64", "hello-1.4.2-1.x86_64_v3.rpm", "x86_64", "hello_1.4.2-r1_x86_64_v3.apk", "x86_64"},
		{"hello_linux_amd64/hello", "", "GOAMD64=v1", elf.EM_X86_64, elf.ELFCLASS64,
			"hello_1.4.2-1_amd64.deb", "amd64", "hello-1.4.2-1.x86_64.rpm", "x86_64", "hello_1.4.2-r1_x86_64.apk", "x86_64"},
	} {
		t.Run(tc.bin, func(t *testing.T) {
			a, ok := byPath[tc.bin]
			if !ok || a.Variant != tc.variant {
				t.Fatalf("artifact %s: %+v (listed: %v), want variant %q", tc.bin, a, ok, tc.variant)
			}
			bin := filepath.Join(res.Dist, tc.bin)
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			if f.Machine != tc.machine || f.Class != tc.class {
				t.Errorf("%s: ELF %v %v, want %v %v", tc.bin, f.Machine, f.Class, tc.machine, tc.class)
			}
			f.Close()
			out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "\tbuild\t"+tc.setting+"\n") {
				t.Errorf("go version -m %s: %v, want build %s:\n%s", tc.bin, err, tc.setting, out)
			}
			for _, p := range []string{tc.deb, tc.rpm, tc.apk} {
				if a, ok := byPath[p]; !ok || a.Variant != tc.variant {
					t.Errorf("package %s: %+v (listed: %v), want variant %q", p, a, ok, tc.variant)
				}
			}
			if got := strings.TrimSpace(run(t, dpkgDeb, "-f", filepath.Join(res.Dist, tc.deb), "Architecture")); got != tc.debArch {
				t.Errorf("%s: Architecture %q, want %q", tc.deb, got, tc.debArch)
			}
			if got := run(t, rpmTool, "-qp", "--qf", "%{ARCH}", filepath.Join(res.Dist, tc.rpm)); got != tc.rpmArch {
				t.Errorf("%s: ARCH %q, want %q", tc.rpm, got, tc.rpmArch)
			}
			if got := apkArch(t, filepath.Join(res.Dist, tc.apk)); got != tc.apkArch {
				t.Errorf("%s: arch %q, want %q", tc.apk, got, tc.apkArch)
			}
		})
	}
	if _, ok := byPath["hello_1.4.2_linux_armv7.tar.gz"]; !ok {
		t.Errorf("no tar.gz for linux/arm/7")
	}
}

// apkArch reads "arch = " from the .PKGINFO of an apk (concatenated gzip
// streams of tar archives, read here as one).
func apkArch(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The signature/control/data streams are separate tar
			// archives; the reader stops at the first end marker.
			break
		}
		if h.Name == ".PKGINFO" {
			b, _ := io.ReadAll(tr)
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "arch = "); ok {
					return v
				}
			}
		}
	}
	t.Fatalf("%s: no arch in .PKGINFO", path)
	return ""
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
