package release

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/format/binary"
	"github.com/svcpack/svcpack/pkg/format/zip"
	"github.com/svcpack/svcpack/pkg/packager"

	"github.com/svcpack/svcpack/pkg/config"
)

var update = flag.Bool("update", false, "rewrite the README's format table from the registry")

func TestRegistry(t *testing.T) {
	pks := registry()
	if err := checkRegistry(pks); err != nil {
		t.Fatal(err)
	}
	kinds := map[packager.Kind]bool{}
	for _, pk := range pks {
		if pk.Doc == "" {
			t.Errorf("%s has no Doc", pk.Name)
		}
		kinds[pk.ArtifactKind()] = true
	}
	// The default formats are those the registry marks, in its order.
	got := config.DefaultFormats(Formats())
	if strings.Join(got, " ") != "zip msi deb rpm apk tar.gz sbom" {
		t.Errorf("default formats %v", got)
	}
	for _, k := range []packager.Kind{packager.KindBinary, packager.KindWrapper, packager.KindZip, packager.KindMSI, packager.KindDeb, packager.KindRPM, packager.KindAPK, packager.KindTarGz, packager.KindSBOM, packager.KindOCI, packager.KindOCIIndex} {
		if !kinds[k] {
			t.Errorf("no packager makes %s", k)
		}
	}
	// A broken registry is refused.
	bad := append(registry(), &packager.Packager{Name: "x", Reads: []string{"service.nope"}, Write: zip.Packager().Write})
	if err := checkRegistry(bad); err == nil || !strings.Contains(err.Error(), `"service.nope"`) {
		t.Errorf("an unknown field read: %v", err)
	}
	late := []*packager.Packager{zip.Packager(), binary.Exe()}
	if err := checkRegistry(late); err == nil || !strings.Contains(err.Error(), "uses") {
		t.Errorf("a use of a kind made later: %v", err)
	}
}

// TestREADMEFormats keeps the README's table of formats the registry's
// (go test ./pkg/release -run TestREADMEFormats -update rewrites it).
func TestREADMEFormats(t *testing.T) {
	const begin, end = "<!-- formats: made from the packager registry by TestREADMEFormats -->\n", "<!-- end of formats -->\n"
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i || strings.Count(s, begin) != 1 || strings.Count(s, end) != 1 {
		t.Fatalf("README.md should hold the markers %q and %q once each, in that order", begin, end)
	}
	want := s[:i+len(begin)] + FormatTable() + s[j:]
	if want == s {
		return
	}
	if *update {
		if err := os.WriteFile("../../README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's format table is not the registry's; run go test ./pkg/release -run TestREADMEFormats -update\nwant:\n%s", FormatTable())
}

// TestEncodersKnowNoConfig: the encoders take their own input types; only
// pkg/release maps the spec onto them. Every package under pkg/ is taken
// for an encoder, as go list finds them (a new one is checked without
// editing this test), except those on the spec's side named in notEncoder;
// each is listed for every GOOS svcpack releases for, as their files differ.
func TestEncodersKnowNoConfig(t *testing.T) {
	const pkg = "github.com/svcpack/svcpack/pkg/"
	notEncoder := func(rel string) bool {
		switch {
		case rel == "config": // the spec itself
		case rel == "release": // maps the spec onto the encoders
		case rel == "magetargets": // Mage targets: read svcpack.yaml, call pkg/release
		case rel == "format", strings.HasPrefix(rel, "format/"),
			rel == "packager", strings.HasPrefix(rel, "packager/"):
			// pkg/release's packagers, on their way out of it into their
			// own packages: the same side as pkg/release
		default:
			return false
		}
		return true
	}
	checked, reported := map[string]bool{}, map[string]bool{}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		var stderr strings.Builder
		cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", pkg+"...")
		cmd.Env = append(os.Environ(), "GOOS="+goos)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOOS=%s go list: %v\n%s", goos, err, stderr.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			rel := strings.TrimPrefix(fields[0], pkg)
			if notEncoder(rel) {
				continue
			}
			checked[rel] = true
			for _, dep := range fields[1:] {
				if msg := fmt.Sprintf("pkg/%s depends on %s", rel, dep); (dep == pkg+"config" || dep == pkg+"release") && !reported[msg] {
					reported[msg] = true
					t.Errorf("%s (GOOS=%s)", msg, goos)
				}
			}
		}
	}
	// A listing that missed the encoders would pass vacuously.
	for _, e := range []string{"msi", "msi/cab", "linuxpkg", "svcwrap"} {
		if !checked[e] {
			t.Errorf("go list did not find pkg/%s among the encoders (found %d)", e, len(checked))
		}
	}
}

// TestReleaseWidePackager: a release-wide packager runs one job for the release,
// after every target's binary, sees all of them, and is reused when none
// changed.
func TestReleaseWidePackager(t *testing.T) {
	c := tinyProject(t, "")
	index := &packager.Packager{Name: "index", Internal: true, ReleaseWide: true, Uses: []packager.Kind{packager.KindBinary},
		Write: func(ctx context.Context, j *packager.Job) error {
			if !j.Target.IsZero() {
				return fmt.Errorf("a release-wide job for target %s", j.Target)
			}
			return j.Create("index.txt", func(w io.Writer) error {
				for _, a := range j.Inputs(packager.KindBinary) {
					if _, err := os.Stat(j.Path(a)); err != nil {
						return err
					}
					fmt.Fprintf(w, "%s %s %s\n", a.Target(), a.Path, a.SHA256)
				}
				return nil
			})
		}}
	var log strings.Builder
	res, err := Release(context.Background(), c, Options{Log: &log, extra: []*packager.Packager{index}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(res.Dist, "index.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, a := range res.Artifacts {
		if a.Kind == packager.KindBinary {
			fmt.Fprintf(&want, "%s %s %s\n", a.Target(), a.Path, a.SHA256)
		}
	}
	if string(b) != want.String() || strings.Count(string(b), "\n") != 2 {
		t.Errorf("index.txt:\n%s\nwant:\n%s", b, want.String())
	}
	again, err := Release(context.Background(), c, Options{extra: []*packager.Packager{index}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range again.Artifacts {
		if a.Path == "index.txt" && !a.Reused {
			t.Error("the release-wide artifact was made again although no binary changed")
		}
	}
}
