package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/pkg/packager"
)

// repoYAML releases the example with the formats in %[1]s and the
// repository settings in %[2]s (the apt and dnf tests).
const repoYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Corp <ops@example.com>
formats: [%s]
%s
service:
  args: [run]
`

// TestAptRepository: the apt format writes the repository of the debs
// under dist/apt, every file of it listed in artifacts.json and
// checksums.txt, the pool's debs the release's own.
func TestAptRepository(t *testing.T) {
	k := testgpg.New(t, "ed25519", "")
	c := helloProjectEnv(t, fmt.Sprintf(repoYAML, "deb, apt", fmt.Sprintf("gpg: {key_file: %q}\napt: {suite: prod}", k.SecretFile)),
		nil, "linux/amd64", "linux/arm64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(res.Dist)
	if err != nil {
		t.Fatal(err)
	}
	var debName string
	for _, a := range m.Artifacts {
		if a.Kind == packager.KindDeb && a.Arch == "amd64" {
			debName = a.Path
		}
	}
	pool := "apt/pool/main/h/hello/" + debName
	checkListed(t, res.Dist, m, packager.KindApt, "apt/dists/prod/InRelease", "apt/dists/prod/Release",
		"apt/dists/prod/Release.gpg", "apt/dists/prod/main/binary-arm64/Packages.xz", pool, "apt/hello.gpg")
	deb, _ := os.ReadFile(filepath.Join(res.Dist, debName))
	pooled, _ := os.ReadFile(filepath.Join(res.Dist, pool))
	if len(deb) == 0 || string(deb) != string(pooled) {
		t.Errorf("the pool's deb is not the release's (%d and %d bytes)", len(deb), len(pooled))
	}
}

// TestAptRefuses: check refuses an apt repository without a key or
// without the debs, saying how to fix it.
func TestAptRefuses(t *testing.T) {
	k := testgpg.New(t, "ed25519", "")
	gpg := fmt.Sprintf("gpg: {key_file: %q}", k.SecretFile)
	for _, tc := range []struct{ name, formats, gpg, apt, want string }{
		{"unsigned", "deb, apt", "", "", "an apt repository must be signed"},
		{"no debs", "rpm, apt", gpg, "", "add deb to formats"},
		{"a suite with a slash", "deb, apt", gpg, "apt: {suite: a/b}", "apt.suite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := helloLoad(t, fmt.Sprintf(repoYAML, tc.formats, tc.gpg+"\n"+tc.apt), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// checkListed fails the test for each of paths that artifacts.json does
// not list with kind, or checksums.txt does not list at all.
func checkListed(t *testing.T, dist string, m *Manifest, kind packager.Kind, paths ...string) {
	t.Helper()
	kinds := map[string]packager.Kind{}
	for _, a := range m.Artifacts {
		kinds[a.Path] = a.Kind
	}
	sums, err := os.ReadFile(filepath.Join(dist, packager.ChecksumsName))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if kinds[p] != kind {
			t.Errorf("artifacts.json: %s is %q, want %s", p, kinds[p], kind)
		}
		if !strings.Contains(string(sums), "  "+p+"\n") {
			t.Errorf("checksums.txt does not list %s", p)
		}
	}
}
