package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
)

// TestExampleDigests pins the bytes of the example's release (svcpack.yaml
// with its default formats, every target) at a fixed version and date:
// testdata/example-digests.txt is its checksums.txt, recorded with the Go
// named on its first line. A change meant to move code and leave behaviour
// alone keeps it; a change meant to alter an artifact rewrites it with
// -update, and the diff shows which artifacts moved. With another Go the
// binaries differ, so the test skips, saying so.
func TestExampleDigests(t *testing.T) {
	if testing.Short() {
		t.Skip("the example's full release is skipped in -short mode")
	}
	golden := filepath.Join("testdata", "example-digests.txt")
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	goVersion := strings.TrimSpace(string(out))
	want, err := os.ReadFile(golden)
	if err != nil && !*update {
		t.Fatal(err)
	}
	recorded, digests, _ := strings.Cut(string(want), "\n")
	if !*update && recorded != "# "+goVersion {
		t.Skipf("%s was recorded with %s; this go is %s (rewrite it with -update when the Go version moves on purpose)", golden, strings.TrimPrefix(recorded, "# "), goVersion)
	}
	// The example is built in svcpack's own repository: go build's version
	// control stamps would be svcpack's commit and work tree, and move the
	// digests with every commit.
	t.Setenv("GOFLAGS", "-buildvcs=false")
	env := map[string]string{"SVCPACK_VERSION": "1.2.3", "SOURCE_DATE_EPOCH": "1700000000"}
	s, err := Load("../../svcpack.yaml", config.Env{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Release(context.Background(), s, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	got := string(mustRead(t, filepath.Join(res.Dist, "checksums.txt")))
	if *update {
		if err := os.WriteFile(golden, []byte("# "+goVersion+"\n"+got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != digests {
		t.Errorf("the example's artifacts changed (go test ./pkg/release -run TestExampleDigests -update rewrites %s):\n%s", golden, lineDiff(digests, got))
	}
}
