package release

import (
	"bytes"
	"crypto/x509"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/oci"
	"github.com/svcpack/svcpack/pkg/packager"
)

// The fields test's readers of the oci format: skopeo for the image
// index's annotations and the Linux image's configuration, umoci for its
// file system and the runtime configuration it derives from the image.

// fieldsBases writes the two base images the oci.base row names (OCI
// layout archives for linux/amd64, each with a marker file and variable).
func fieldsBases(t *testing.T, dir string) {
	t.Helper()
	for _, which := range []string{"fields", "other"} {
		l := oci.NewLayout()
		d, err := l.AddImage(oci.Image{Platform: oci.Platform{OS: "linux", Architecture: "amd64"}, Created: time.Unix(1600000000, 0),
			Layers: []oci.Layer{{CreatedBy: "fields base", Files: []oci.File{{Name: "etc/fields-base", Mode: 0o644, Data: []byte("base " + which + "\n")}}}},
			Config: oci.Config{Env: []string{"FIELDS_BASE=" + which}}})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := l.WriteArchive(&b, []oci.Descriptor{d}, time.Unix(1600000000, 0)); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, "images", "base-"+which+".oci.tar"), b.Bytes())
	}
}

// ociArchive is the Linux image's layout archive.
func (r *fieldsRelease) ociArchive(t *testing.T) string {
	return r.art(t, packager.KindOCI, linuxT, ".oci.tar")
}

// ociConfig is the Linux image's configuration, as skopeo reads it.
func (r *fieldsRelease) ociConfig(t *testing.T) ociImageConfig {
	return cached(r, "oci config", func() ociImageConfig {
		var c ociImageConfig
		skopeoJSON(t, &c, "--config", "oci-archive:"+r.ociArchive(t))
		return c
	})
}

// ociIndexAnnotations are the image index's annotations, as skopeo reads
// it.
func (r *fieldsRelease) ociIndexAnnotations(t *testing.T) map[string]string {
	return cached(r, "oci index", func() map[string]string {
		var idx struct{ Annotations map[string]string }
		skopeoJSON(t, &idx, "--raw", "oci-archive:"+r.art(t, packager.KindOCIIndex, "", ".oci.tar"))
		return idx.Annotations
	})
}

// ociEntry is one file or directory of the unpacked image.
type ociEntry struct {
	data []byte
	dir  bool
	uid  uint32
}

// ociUnpacked is the Linux image unpacked by umoci: its entries by path,
// and the runtime process umoci derives from the image configuration.
type ociUnpacked struct {
	files   map[string]ociEntry
	process map[string]any
}

func (r *fieldsRelease) ociUnpacked(t *testing.T) ociUnpacked {
	return cached(r, "oci unpacked", func() ociUnpacked {
		dir := t.TempDir()
		layout := filepath.Join(dir, "layout")
		extractTar(t, r.ociArchive(t), layout)
		spec := umociUnpack(t, layout, oci.Tag(r.spec.Version.String()), filepath.Join(dir, "bundle"))
		out := ociUnpacked{files: map[string]ociEntry{}, process: spec["process"].(map[string]any)}
		rootfs := filepath.Join(dir, "bundle", "rootfs")
		err := filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == rootfs {
				return err
			}
			rel, _ := filepath.Rel(rootfs, p)
			info, err := d.Info()
			if err != nil {
				return err
			}
			e := ociEntry{dir: d.IsDir(), uid: info.Sys().(*syscall.Stat_t).Uid}
			if d.Type().IsRegular() {
				if e.data, err = os.ReadFile(p); err != nil {
					return err
				}
			}
			out.files[filepath.ToSlash(rel)] = e
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	})
}

// ociFile is a file of the unpacked image.
func (r *fieldsRelease) ociFile(t *testing.T, name string) []byte {
	t.Helper()
	e, ok := r.ociUnpacked(t).files[name]
	if !ok || e.dir {
		t.Fatalf("the image has no file %s: %v", name, slices.Sorted(maps.Keys(r.ociUnpacked(t).files)))
	}
	return e.data
}

func checkOCIBase(t *testing.T, r *fieldsRelease, want any) {
	base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(str(want)), "base-"), ".oci.tar")
	eq(t, "the base's file", string(r.ociFile(t, "etc/fields-base")), "base "+base+"\n")
	if !slices.Contains(r.ociConfig(t).Config.Env, "FIELDS_BASE="+base) {
		t.Errorf("Env %v lacks the base's FIELDS_BASE=%s", r.ociConfig(t).Config.Env, base)
	}
}

func checkOCIUser(t *testing.T, r *fieldsRelease, want any) {
	// uid alone is uid:uid
	us, gs, ok := strings.Cut(str(want), ":")
	if !ok {
		gs = us
	}
	u, err := strconv.Atoi(us)
	if err != nil {
		t.Fatal(err)
	}
	g, err := strconv.Atoi(gs)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "image User", r.ociConfig(t).Config.User, strconv.Itoa(u)+":"+strconv.Itoa(g))
	eq(t, "runtime user", r.ociUnpacked(t).process["user"], map[string]any{"uid": float64(u), "gid": float64(g)})
	if os.Geteuid() == 0 {
		eq(t, "working directory's owner", r.ociUnpacked(t).files[strings.TrimPrefix(r.spec.OCI.WorkDir, "/")].uid, uint32(u))
	}
}

// ociLacks checks that the release's image holds no file at name: for a
// field whose alternative leaves it out.
func ociLacks(name string) func(t *testing.T, r *fieldsRelease) {
	return func(t *testing.T, r *fieldsRelease) {
		if _, ok := r.ociUnpacked(t).files[name]; ok {
			t.Errorf("the image still holds %s", name)
		}
	}
}

func checkOCIPort(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "ExposedPorts", r.ociConfig(t).Config.ExposedPorts, map[string]any{str(want) + "/tcp": map[string]any{}})
}

func checkOCIWorkDir(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "WorkingDir", r.ociConfig(t).Config.WorkingDir, str(want))
	eq(t, "runtime cwd", r.ociUnpacked(t).process["cwd"], str(want))
	eq(t, "the directory is in the image", r.ociUnpacked(t).files[strings.TrimPrefix(str(want), "/")].dir, true)
}

func checkOCICACertificates(t *testing.T, r *fieldsRelease, want any) {
	if want != true {
		t.Fatalf("the check reads ca_certificates: true, not %v", want)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(r.ociFile(t, "etc/ssl/certs/ca-certificates.crt")) {
		t.Error("/etc/ssl/certs/ca-certificates.crt holds no certificate")
	}
}

func checkOCITZData(t *testing.T, r *fieldsRelease, want any) {
	if want != true {
		t.Fatalf("the check reads tzdata: true, not %v", want)
	}
	loc, err := time.LoadLocationFromTZData("Europe/Paris", r.ociFile(t, "usr/share/zoneinfo/Europe/Paris"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Europe/Paris at noon UTC, 2024-07-01", time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).In(loc).Format("15:04 MST"), "14:00 CEST")
}

// ociEnv is the image's environment as a map, without the base image's
// variable.
func (r *fieldsRelease) ociEnv(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, kv := range r.ociConfig(t).Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k != "FIELDS_BASE" {
			out[k] = v
		}
	}
	return out
}

// ociAnnotation is an annotation of the index, which the image's labels
// repeat.
func (r *fieldsRelease) ociAnnotation(t *testing.T, key string) string {
	t.Helper()
	v := r.ociIndexAnnotations(t)["org.opencontainers.image."+key]
	eq(t, "image label "+key, r.ociConfig(t).Config.Labels["org.opencontainers.image."+key], v)
	return v
}
