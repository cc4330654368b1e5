package release

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/packager"
)

func TestVerifyReproducible(t *testing.T) {
	c := tinyProject(t, "")
	diffs, err := Verify(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 0 {
		t.Fatalf("tiny project not reproducible:\n%s", FormatDifferences(diffs))
	}
}

// TestVerifyCatchesNondeterminism adds a step whose output changes every run
// and checks Verify names that artifact (and the checksums, which cover it).
func TestVerifyCatchesNondeterminism(t *testing.T) {
	c := tinyProject(t, "")
	noisy := &packager.Packager{Name: "noisy", Internal: true, Uses: []packager.Kind{packager.KindBinary}, Write: func(ctx context.Context, j *packager.Job) error {
		return j.Create("noise.txt", func(w io.Writer) error {
			b := make([]byte, 8)
			rand.Read(b)
			_, err := io.WriteString(w, "build "+hex.EncodeToString(b)+"\n")
			return err
		})
	}}
	diffs, err := Verify(context.Background(), c, Options{Targets: c.Targets[:1], extra: []*packager.Packager{noisy}})
	if err != nil {
		t.Fatal(err)
	}
	got := FormatDifferences(diffs)
	for _, want := range []string{"noise.txt: first difference at byte ", "checksums.txt", "artifacts.json"} {
		if !strings.Contains(got, want) {
			t.Errorf("differences lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "tiny_linux_amd64/tiny:") {
		t.Errorf("deterministic binary reported as different:\n%s", got)
	}
}
