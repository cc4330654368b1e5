package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

var testTime = time.Unix(1700000000, 0)

func TestTag(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.2.3", "1.2.3"},
		{"1.2.3-rc.1", "1.2.3-rc.1"},
		{"1.2.3-4-gabc1234-dirty", "1.2.3-4-gabc1234-dirty"},
		{"1.2.3+meta.7", "1.2.3_meta.7"},
		{".hidden", "_hidden"},
		{strings.Repeat("a", 200), strings.Repeat("a", 128)},
	} {
		if got := Tag(tc.in); got != tc.want || !ValidTag(got) {
			t.Errorf("Tag(%q) = %q (valid %v), want %q", tc.in, got, ValidTag(got), tc.want)
		}
	}
}

// layerEntries reads a layer blob back with Go's gzip and tar readers.
func layerEntries(t *testing.T, blob []byte) []*tar.Header {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	var out []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

func TestLayer(t *testing.T) {
	src := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(src, []byte("#!program"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := []File{
		{Name: "var/lib/app", Mode: fs.ModeDir | 0o750, UID: 65532, GID: 65533},
		{Name: "usr/bin/app", Mode: 0o755, Src: src},
		{Name: "etc/app/conf.yaml", Mode: 0o644, Data: []byte("a: 1\n")},
	}
	blob, diffID, err := layerBlob(files, testTime, true)
	if err != nil {
		t.Fatal(err)
	}
	again, diffAgain, _ := layerBlob([]File{files[2], files[0], files[1]}, testTime, true)
	if !bytes.Equal(blob, again) || diffID != diffAgain {
		t.Error("the same files in another order make another layer")
	}
	var got []string
	for _, h := range layerEntries(t, blob) {
		if !h.ModTime.Equal(testTime) || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: time %v, owner names %q %q", h.Name, h.ModTime, h.Uname, h.Gname)
		}
		got = append(got, h.Name+" "+fs.FileMode(h.Mode).String()+" "+strconv.Itoa(h.Uid)+":"+strconv.Itoa(h.Gid))
	}
	want := []string{
		"etc/ -rwxr-xr-x 0:0", "etc/app/ -rwxr-xr-x 0:0", "etc/app/conf.yaml -rw-r--r-- 0:0",
		"usr/ -rwxr-xr-x 0:0", "usr/bin/ -rwxr-xr-x 0:0", "usr/bin/app -rwxr-xr-x 0:0",
		"var/ -rwxr-xr-x 0:0", "var/lib/ -rwxr-xr-x 0:0", "var/lib/app/ -rwxr-x--- 65532:65533",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// On a base: only the directories listed, so that the base's own keep
	// their owners and modes.
	onBase, _, err := layerBlob(files, testTime, false)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, h := range layerEntries(t, onBase) {
		got = append(got, h.Name)
	}
	if want := []string{"etc/app/conf.yaml", "usr/bin/app", "var/lib/app/"}; !reflect.DeepEqual(got, want) {
		t.Errorf("entries on a base %q, want %q", got, want)
	}
	// What USTAR cannot hold (a non-ASCII name, an id over 2097151) is
	// written, and read back as it was.
	wide := []File{{Name: "etc/caf\u00e9.conf", Mode: 0o644, Data: []byte("x")}, {Name: "srv", Mode: fs.ModeDir | 0o755, UID: 3000000, GID: 4000000}}
	blob, _, err = layerBlob(wide, testTime, true)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, h := range layerEntries(t, blob) {
		got = append(got, h.Name+" "+strconv.Itoa(h.Uid)+":"+strconv.Itoa(h.Gid))
	}
	if want := []string{"etc/ 0:0", "etc/caf\u00e9.conf 0:0", "srv/ 3000000:4000000"}; !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	for _, bad := range [][]File{
		{{Name: "/etc/x"}}, {{Name: "../x"}}, {{Name: "a//b"}}, {{Name: "a"}, {Name: "a"}},
		{{Name: "a", Mode: 0o644}, {Name: "a/b"}},
	} {
		if _, _, err := layerBlob(bad, testTime, true); err == nil {
			t.Errorf("layer %v: no error", bad)
		}
	}
}

// TestImageOnBase builds an image on a base read back from an archive: the
// base's layers come first, byte for byte, and the configuration is merged.
func TestImageOnBase(t *testing.T) {
	amd64 := Platform{OS: "linux", Architecture: "amd64"}
	base := NewLayout()
	bd, err := base.AddImage(Image{Platform: amd64, Created: testTime,
		Layers: []Layer{{CreatedBy: "base", Files: []File{{Name: "etc/os-release", Mode: 0o644, Data: []byte("ID=test\n")}}}},
		Config: Config{Env: []string{"PATH=/usr/bin", "LANG=C"}, Cmd: []string{"/bin/sh"}, User: "0", Labels: map[string]string{"base": "yes", "x": "base", "org.opencontainers.image.source": "https://base.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "base.tar")
	var b bytes.Buffer
	if err := base.WriteArchive(&b, []Descriptor{bd}, testTime); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(archive, b.Bytes(), 0o644)
	bl, idx, err := Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := bl.Images(idx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Select(imgs, Platform{OS: "linux", Architecture: "arm64"}); err == nil || !strings.Contains(err.Error(), "no image for linux/arm64 (it has linux/amd64)") {
		t.Errorf("select arm64: %v", err)
	}
	sel, err := Select(imgs, Platform{OS: "linux", Architecture: "amd64", Variant: "v3"})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout()
	d, err := l.AddImage(Image{Platform: Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, Base: sel, Created: testTime,
		Layers: []Layer{{CreatedBy: "app", Files: []File{{Name: "app", Mode: 0o755, Data: []byte("x")}}}},
		Config: Config{Env: []string{"LANG=C.UTF-8", "PORT=1"}, Entrypoint: []string{"/app"}, User: "65532", Labels: map[string]string{"x": "app"}}})
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	var cfg ConfigFile
	if err := l.decode(d, &m); err != nil {
		t.Fatal(err)
	}
	if err := l.decode(m.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 || !reflect.DeepEqual(m.Layers[0], sel.Manifest.Layers[0]) || m.Annotations[AnnotationBaseDigest] != bd.Digest {
		t.Errorf("layers %v, annotations %v: want the base's first, and its digest", m.Layers, m.Annotations)
	}
	wantCfg := Config{User: "65532", Env: []string{"PATH=/usr/bin", "LANG=C.UTF-8", "PORT=1"}, Entrypoint: []string{"/app"},
		Labels: map[string]string{"base": "yes", "x": "app"}}
	if !reflect.DeepEqual(cfg.Config, wantCfg) || len(cfg.RootFS.DiffIDs) != 2 || len(cfg.History) != 2 || cfg.Variant != "v3" {
		t.Errorf("config %+v", cfg)
	}
	for _, bad := range []Config{{Cmd: []string{"a\x00b"}}, {Env: []string{"NOVALUE"}}, {Env: []string{"=x"}}, {Env: []string{"A=\x00"}}} {
		if _, err := l.AddImage(Image{Platform: amd64, Config: bad, Layers: []Layer{{Files: []File{{Name: "x"}}}}}); err == nil {
			t.Errorf("config %+v: no error", bad)
		}
	}
	if _, err := l.AddIndex([]Descriptor{d, d}, nil); err == nil {
		t.Error("an index with two images for one platform")
	}
}

func TestRootCertificates(t *testing.T) {
	b := RootCertificates()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("no certificates")
	}
	n := 0
	for rest := b; ; n++ {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Errorf("%d roots", n)
	}
}

func TestCheckReference(t *testing.T) {
	for _, tc := range []struct {
		ref string
		ok  bool
	}{
		{"ghcr.io/acme/hello", true},
		{"127.0.0.1:5000/team/hello:1.2.3", true},
		{"localhost/hello", true},
		{"acme/hello", false},
		{"hello", false},
		{"ghcr.io/Acme/hello", false},
		{"ghcr.io/acme/hello:bad tag", false},
	} {
		if err := CheckReference(tc.ref); (err == nil) != tc.ok {
			t.Errorf("CheckReference(%q) = %v", tc.ref, err)
		}
	}
}

// TestOpenRefuses: a layout's blobs are regular files, never followed
// links or sparse entries (a few bytes of archive that read as gigabytes);
// what is not a layout file is not read at all.
func TestOpenRefuses(t *testing.T) {
	tarTool := testtool.Need(t, "tar", "tar")
	blob := "blobs/sha256/" + strings.Repeat("0", 64)
	layout := func(t *testing.T) string {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
		os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
		os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"schemaVersion":2,"manifests":[]}`), 0o644)
		return dir
	}
	// A link to an endless file, in a directory and in an archive.
	dir := layout(t)
	if err := os.Symlink("/dev/zero", filepath.Join(dir, filepath.FromSlash(blob))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a layout directory with a link to /dev/zero: %v", err)
	}
	archive := filepath.Join(t.TempDir(), "link.tar")
	if out, err := exec.Command(tarTool, "-cf", archive, "-C", dir, "oci-layout", "index.json", blob).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if _, _, err := Open(archive); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a layout archive with a link: %v", err)
	}
	// A sparse gigabyte, in both of GNU tar's sparse formats.
	dir = layout(t)
	os.WriteFile(filepath.Join(dir, filepath.FromSlash(blob)), nil, 0o644)
	if err := os.Truncate(filepath.Join(dir, filepath.FromSlash(blob)), 1<<30); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"gnu", "pax"} {
		archive := filepath.Join(t.TempDir(), format+".tar")
		if out, err := exec.Command(tarTool, "--sparse", "--format="+format, "-cf", archive, "-C", dir, "oci-layout", "index.json", blob).CombinedOutput(); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
		if st, _ := os.Stat(archive); st.Size() > 1<<20 {
			t.Fatalf("tar --format=%s wrote %d bytes: not sparse", format, st.Size())
		}
		if _, _, err := Open(archive); err == nil || !strings.Contains(err.Error(), "sparse") && !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a %s sparse blob: %v", format, err)
		}
	}
}

// TestImagesPassesOverOthers: an index's non-image manifests (build
// attestations, as skopeo copy --all brings them) are passed over, and a
// child named many times is read once.
func TestImagesPassesOverOthers(t *testing.T) {
	l := NewLayout()
	img, err := l.AddImage(Image{Platform: Platform{OS: "linux", Architecture: "amd64"}, Created: testTime,
		Layers: []Layer{{Files: []File{{Name: "x", Mode: 0o644}}}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := l.AddBlob("application/vnd.in-toto+json", []byte(`{}`))
	m, _ := json.Marshal(Manifest{SchemaVersion: 2, MediaType: MediaTypeManifest, Config: cfg})
	att := l.AddBlob(MediaTypeManifest, m)
	att.Platform = &Platform{OS: "unknown", Architecture: "unknown"}
	child, _ := json.Marshal(Index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: []Descriptor{img, att}})
	cd := l.AddBlob(MediaTypeIndex, child)
	imgs, err := l.Images(Index{Manifests: []Descriptor{cd, cd, cd, img}})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Digest != img.Digest {
		t.Errorf("images %v, want the one image", imgs)
	}
}
