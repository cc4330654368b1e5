package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

const gpgYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Corp <ops@example.com>
formats: [deb, rpm, apk]
gpg: {key_file: %q, passphrase_env: TEST_GPG_PASSPHRASE%s}
service:
  args: [run]
`

// TestGPGSignedRelease: with gpg configured, checksums.txt.asc verifies with
// gpg, it is listed in artifacts.json, and the deb and rpm carry signatures
// that gpg and rpm -K accept; two releases give the same bytes.
func TestGPGSignedRelease(t *testing.T) {
	rpmTool := testtool.Need(t, "rpm", "rpm")
	rpmkeys := testtool.Need(t, "rpmkeys", "rpm")
	k := testgpg.New(t, "rsa2048", "release pass")
	env := map[string]string{"TEST_GPG_PASSPHRASE": "release pass"}
	c := helloProjectEnv(t, fmt.Sprintf(gpgYAML, k.SecretFile, ""), env, "linux/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sums := filepath.Join(res.Dist, packager.ChecksumsName)
	k.Verify(t, sums+".asc", sums)
	m, err := ReadManifest(res.Dist)
	if err != nil {
		t.Fatal(err)
	}
	var listed bool
	for _, a := range m.Artifacts {
		listed = listed || (a.Path == packager.SignatureName && a.Kind == packager.KindSignature)
	}
	if !listed {
		t.Errorf("artifacts.json does not list %s: %+v", packager.SignatureName, m.Artifacts)
	}
	// checksums.txt covers every package, so the signature covers them.
	b, _ := os.ReadFile(sums)
	for _, want := range []string{".deb", ".rpm", ".apk"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("checksums.txt lists no %s:\n%s", want, b)
		}
	}

	db := t.TempDir()
	if out, err := exec.Command(rpmkeys, "--dbpath", db, "--import", k.PublicFile).CombinedOutput(); err != nil {
		t.Fatalf("rpmkeys --import: %v\n%s", err, out)
	}
	rpms, _ := filepath.Glob(filepath.Join(res.Dist, "*.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("rpms: %v", rpms)
	}
	out, err := exec.Command(rpmTool, "--dbpath", db, "-K", "-v", rpms[0]).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Header V4 RSA/SHA256 Signature") || !strings.Contains(string(out), ": OK") {
		t.Errorf("rpm -K: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(res.Dist, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("debs: %v", debs)
	}
	if deb, _ := os.ReadFile(debs[0]); !strings.Contains(string(deb), "_gpgorigin") {
		t.Errorf("%s has no _gpgorigin member", debs[0])
	}

	// Signing keeps the release reproducible.
	c2 := helloProjectEnv(t, fmt.Sprintf(gpgYAML, k.SecretFile, ""), env, "linux/amd64")
	res2, err := Release(context.Background(), c2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diffs, err := CompareDirs(res.Dist, res2.Dist); err != nil || len(diffs) > 0 {
		t.Errorf("two signed releases differ: %v %v", err, diffs)
	}
}

// TestGPGOnlyChecksums: gpg.sign limits what is signed.
func TestGPGOnlyChecksums(t *testing.T) {
	k := testgpg.New(t, "ed25519", "")
	c := helloProjectEnv(t, strings.Replace(fmt.Sprintf(gpgYAML, k.SecretFile, ", sign: [checksums]"), ", passphrase_env: TEST_GPG_PASSPHRASE", "", 1), nil, "linux/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sums := filepath.Join(res.Dist, packager.ChecksumsName)
	k.Verify(t, sums+".asc", sums)
	debs, _ := filepath.Glob(filepath.Join(res.Dist, "*.deb"))
	if deb, _ := os.ReadFile(debs[0]); strings.Contains(string(deb), "_gpgorigin") {
		t.Errorf("deb signed although gpg.sign is [checksums]")
	}
}

// TestGPGWrongPassphraseFailsCheck: a bad passphrase is a config error,
// found by Load (so by check, before any build), naming the file, line and
// field.
func TestGPGWrongPassphraseFailsCheck(t *testing.T) {
	k := testgpg.New(t, "rsa2048", "right")
	_, err := helloLoad(t, fmt.Sprintf(gpgYAML, k.SecretFile, ""), map[string]string{"TEST_GPG_PASSPHRASE": "wrong"})
	if err == nil || !regexp.MustCompile(`svcpack\.yaml:\d+: gpg\.key_file: .*wrong passphrase`).MatchString(err.Error()) {
		t.Fatalf("err = %v, want a file:line gpg.key_file wrong passphrase error", err)
	}
}

// TestGPGKeyOpenedOnce: Load opens the key (its gpg check) and the release
// signs with that one: another key written over the file after Load is not
// read again.
func TestGPGKeyOpenedOnce(t *testing.T) {
	k := testgpg.New(t, "ed25519", "")
	c := helloProjectEnv(t, strings.Replace(fmt.Sprintf(gpgYAML, k.SecretFile, ", sign: [checksums]"), ", passphrase_env: TEST_GPG_PASSPHRASE", "", 1), nil, "linux/amd64")
	if _, ok := c.GPG.Key.(*pgpsign.Signer); !ok {
		t.Fatalf("Load left gpg's key %T, want the opened *pgpsign.Signer", c.GPG.Key)
	}
	other := testgpg.New(t, "ed25519", "")
	writeTestFile(t, string(c.GPG.KeyFile), mustRead(t, other.SecretFile))
	res, err := Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err != nil {
		t.Fatal(err)
	}
	sums := filepath.Join(res.Dist, packager.ChecksumsName)
	k.Verify(t, sums+".asc", sums) // signed by the key Load opened, not the file's new one
}
