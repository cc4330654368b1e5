package winres

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
)

func options() Options {
	return Options{
		Version:          "1.4.2-rc.1+build.7",
		Fixed:            [4]uint16{1, 4, 2, 0},
		CompanyName:      "Acme Corp",
		FileDescription:  "Says hello over HTTP",
		ProductName:      "Hello Service",
		LegalCopyright:   "(c) Acme Corp",
		OriginalFilename: "hello.exe",
		InternalName:     "hello",
		Icon:             "../../examples/hello/hello.png",
		Manifest:         Manifest{ExecutionLevel: "asInvoker", LongPathAware: true, UTF8CodePage: true},
	}
}

// wantStrings is what every patched exe must carry, from options().
func wantStrings(o Options) map[string]string {
	return map[string]string{
		"CompanyName": o.CompanyName, "FileDescription": o.FileDescription, "FileVersion": o.Version,
		"InternalName": o.InternalName, "LegalCopyright": o.LegalCopyright, "OriginalFilename": o.OriginalFilename,
		"ProductName": o.ProductName, "ProductVersion": o.Version,
	}
}

// buildExe cross-compiles a tiny program that prints a line.
func buildExe(t *testing.T, arch, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"still runs\") }\n"), 0o644)
	exe := filepath.Join(dir, "hello.exe")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", exe, src)
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+arch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", arch, err, out)
	}
	return exe
}

func TestPatchAllArches(t *testing.T) {
	wrestool := testtool.Need(t, "wrestool", "icoutils")
	o := options()
	for _, arch := range []string{"386", "amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			dir := t.TempDir()
			exe := buildExe(t, arch, dir)
			if err := Patch(exe, o); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(wrestool, "-l", exe).CombinedOutput()
			if err != nil {
				t.Fatalf("wrestool -l: %v\n%s", err, out)
			}
			list := string(out)
			for _, typ := range []string{"--type=16 ", "--type=14 ", "--type=3 ", "--type=24 "} {
				if !strings.Contains(list, typ) {
					t.Errorf("wrestool -l lacks %s:\n%s", typ, list)
				}
			}
			if n := strings.Count(list, "--type=3 "); n != len(iconSizes) {
				t.Errorf("%d icon images, want %d:\n%s", n, len(iconSizes), list)
			}
			raw, err := exec.Command(wrestool, "-x", "--raw", "--type=16", exe).Output()
			if err != nil {
				t.Fatalf("wrestool -x: %v", err)
			}
			tables, fixed, err := versionStrings(raw)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]string
			for k, v := range tables {
				if strings.EqualFold(k, "040904B0") { // hex digits in either case
					got = v
				}
			}
			if got == nil {
				t.Fatalf("no 040904B0 string table: %v", tables)
			}
			for k, v := range wantStrings(o) {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if fixed != [4]uint16{1, 4, 2, 0} {
				t.Errorf("fixed version %v, want 1.4.2.0", fixed)
			}
			manifest, err := exec.Command(wrestool, "-x", "--raw", "--type=24", exe).Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`level="asInvoker"`, `<longPathAware`, `<activeCodePage`, `UTF-8`, `{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}`} {
				if !bytes.Contains(manifest, []byte(want)) {
					t.Errorf("manifest lacks %s", want)
				}
			}
		})
	}
}

func TestPatchDeterministic(t *testing.T) {
	a := buildExe(t, "amd64", t.TempDir())
	b := buildExe(t, "amd64", t.TempDir())
	for _, exe := range []string{a, b} {
		if err := Patch(exe, options()); err != nil {
			t.Fatal(err)
		}
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Fatal("two patched builds differ")
	}
	// Patching again replaces, not appends: same bytes.
	if err := Patch(a, options()); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(a)
	if !bytes.Equal(again, ba) {
		t.Error("patching twice changes the exe")
	}
}

// TestSharedIcon: an icon read once (ReadIcon, Options.IconImage) patches
// the same bytes as the icon's path, and writes the .ico WriteICO writes.
func TestSharedIcon(t *testing.T) {
	a := buildExe(t, "amd64", t.TempDir())
	b := buildExe(t, "amd64", t.TempDir())
	icon, err := ReadIcon(options().Icon)
	if err != nil {
		t.Fatal(err)
	}
	shared := options()
	shared.Icon, shared.IconImage = "", icon
	if err := Patch(a, options()); err != nil {
		t.Fatal(err)
	}
	if err := Patch(b, shared); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Error("the exe patched with the icon read once differs from the one patched with its path")
	}
	var fromPath, fromIcon bytes.Buffer
	if err := WriteICO(options().Icon, &fromPath); err != nil {
		t.Fatal(err)
	}
	if err := icon.WriteICO(&fromIcon); err != nil {
		t.Fatal(err)
	}
	if fromPath.Len() == 0 || !bytes.Equal(fromPath.Bytes(), fromIcon.Bytes()) {
		t.Error("Icon.WriteICO and WriteICO differ")
	}
}

// TestSharedIconConcurrently uses one Icon from many goroutines, as a
// release's exes and MSIs do: with an .ico stored smallest first, which the
// library sorts when it saves, every .ico written is the same (go test
// -race also finds no race).
func TestSharedIconConcurrently(t *testing.T) {
	big, err := ReadIcon(options().Icon)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := big.decode()
	if err != nil {
		t.Fatal(err)
	}
	// Reverse the images: smallest first.
	var b bytes.Buffer
	if err := dec.SaveICO(&b); err != nil {
		t.Fatal(err)
	}
	icoPath := filepath.Join(t.TempDir(), "small-first.ico")
	writeReversedICO(t, b.Bytes(), icoPath)
	icon, err := ReadIcon(icoPath)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := icon.WriteICO(&want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := options()
			o.Icon, o.IconImage = "", icon
			if _, err := New(o); err != nil {
				t.Error(err)
			}
			var got bytes.Buffer
			if err := icon.WriteICO(&got); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("a concurrent WriteICO differs (%v)", err)
			}
		}()
	}
	wg.Wait()
}

// writeReversedICO writes the .ico in b with its directory entries (and
// so its images' order) reversed.
func writeReversedICO(t *testing.T, b []byte, path string) {
	t.Helper()
	n := int(binary.LittleEndian.Uint16(b[4:]))
	if n < 2 {
		t.Fatalf("the icon has %d image(s); want several", n)
	}
	out := append([]byte(nil), b...)
	for i := range n {
		copy(out[6+16*i:6+16*i+16], b[6+16*(n-1-i):6+16*(n-i)])
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writePNG(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(0, 0, color.Black)
	p := filepath.Join(t.TempDir(), "icon.png")
	f, _ := os.Create(p)
	png.Encode(f, img)
	f.Close()
	return p
}

func TestBadInput(t *testing.T) {
	corrupt := filepath.Join(t.TempDir(), "corrupt.png")
	os.WriteFile(corrupt, []byte("\x89PNG not really"), 0o644)
	badICO := filepath.Join(t.TempDir(), "bad.ico")
	os.WriteFile(badICO, []byte("nope"), 0o644)
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		want []string
	}{
		{"missing icon", func(o *Options) { o.Icon = "/nonexistent/icon.png" }, []string{"/nonexistent/icon.png"}},
		{"corrupt png", func(o *Options) { o.Icon = corrupt }, []string{corrupt, "not a valid PNG"}},
		{"corrupt ico", func(o *Options) { o.Icon = badICO }, []string{badICO, "not a valid .ico"}},
		{"small png", func(o *Options) { o.Icon = writePNG(t, 8, 8) }, []string{"icon.png", "8 px is smaller than the 16 px"}},
		{"not square", func(o *Options) { o.Icon = writePNG(t, 64, 32) }, []string{"icon.png", "64x32 px is not square"}},
		{"no version", func(o *Options) { o.Version = "" }, []string{"version is empty"}},
		{"execution level", func(o *Options) { o.Manifest.ExecutionLevel = "root" }, []string{`"root"`, "asInvoker, highestAvailable or requireAdministrator"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options()
			tc.mod(&o)
			exe := filepath.Join(t.TempDir(), "x.exe")
			os.WriteFile(exe, []byte("MZ untouched"), 0o755)
			err := Patch(exe, o)
			if err == nil {
				t.Fatal("Patch succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), exe) {
				t.Errorf("error %q does not name the exe", err)
			}
			if b, _ := os.ReadFile(exe); string(b) != "MZ untouched" {
				t.Error("exe changed after a failed patch")
			}
			if m, _ := filepath.Glob(filepath.Join(filepath.Dir(exe), ".tmp-*")); len(m) > 0 {
				t.Errorf("temporary files left: %v", m)
			}
		})
	}
}

// TestVersionInfoInWine reads the fields back with GetFileVersionInfoW and
// VerQueryValueW under Wine, and runs the patched exe.
func TestVersionInfoInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	dir := t.TempDir()
	exe := buildExe(t, "amd64", dir)
	o := options()
	if err := Patch(exe, o); err != nil {
		t.Fatal(err)
	}
	if out := p.MustRun(time.Minute, exe); !strings.Contains(out, "still runs") {
		t.Errorf("patched exe output %q", out)
	}
	query := filepath.Join(dir, "verquery.exe")
	build := exec.Command("go", "build", "-o", query, "./testdata/verquery")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building verquery: %v\n%s", err, out)
	}
	out := p.MustRun(time.Minute, query, exe)
	var got map[string]string
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &got); err != nil {
		t.Fatalf("verquery output %q: %v", out, err)
	}
	for k, v := range wantStrings(o) {
		if got[k] != v {
			t.Errorf("Windows API reads %s = %q, want %q", k, got[k], v)
		}
	}
	if got["Translation"] != "040904B0" || got["FixedFileVersion"] != "1.4.2.0" {
		t.Errorf("translation %q, fixed version %q", got["Translation"], got["FixedFileVersion"])
	}
}
