package ci

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/release"
)

// TestGeneratedWorkflowsLint: the workflow init -ci github writes passes
// actionlint for a table of configs of the netsvc test program (one
// target, every target, universal, an image pushed to ghcr.io and to
// another registry, OpenPGP and Authenticode keys, the repositories on a
// pages branch with a tap), with the action used as published and from
// this repository's action.yml (which checks every with: against it); and
// the secrets and parts are what the config needs.
func TestGeneratedWorkflowsLint(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	action, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	k := testgpg.New(t, "ed25519", "pass")
	for _, tc := range []struct {
		name, targets, formats, extra string
		want                          []string // in the workflow
	}{
		{"one target", "[linux/amd64]", "[deb]", "", []string{"part: linux", "targets: linux/*"}},
		{"every target", "[windows/386, windows/amd64, windows/arm64, linux/amd64, linux/arm64, darwin/amd64, darwin/arm64]",
			"[zip, msi, deb, tar.gz]", "", []string{"part: windows", "part: linux", "part: darwin"}},
		{"universal", "[darwin/amd64, darwin/arm64]", "[tar.gz, universal]", "", []string{"part: darwin"}},
		{"image on ghcr", "[linux/amd64, linux/arm64]", "[deb, oci]", "oci: {push: [ghcr.io/acme/netsvc]}\n",
			[]string{"packages: write", "SVCPACK_REGISTRY_PASSWORD: ${{ github.token }}", "command: publish"}},
		{"image elsewhere", "[linux/amd64]", "[oci]", "oci: {push: [registry.example.com:5000/netsvc]}\n",
			[]string{"SVCPACK_REGISTRY_PASSWORD: ${{ secrets.SVCPACK_REGISTRY_PASSWORD }}"}},
		{"signing keys", "[windows/amd64, linux/amd64]", "[zip, msi, deb, rpm]",
			"gpg: {key_file: keys/release.asc, passphrase_env: GPG_PASS, sign: [rpm, checksums]}\n",
			[]string{"FILE: keys/release.asc", "SECRET: ${{ secrets.SVCPACK_GPG_KEY }}",
				"GPG_PASS: ${{ secrets.SVCPACK_GPG_PASSPHRASE }}"}},
		{"ship to hosts", "[linux/amd64, darwin/arm64]", "[deb, rpm, tar.gz, apt, dnf, install.sh, homebrew]",
			"gpg: {key_file: keys/release.asc, passphrase_env: GPG_PASS, sign: [rpm, checksums]}\n" +
				"download_url: https://github.com/acme/netsvc/releases/download/v{{.Version}}/{{.File}}\n" +
				"homepage: https://github.com/acme/netsvc\ndescription: netsvc\n" +
				"apt: {url: https://acme.github.io/netsvc/apt/, previous: site/apt}\n" +
				"dnf: {url: https://acme.github.io/netsvc/dnf/, previous: site/dnf}\n" +
				"pages: {repository: https://github.com/acme/netsvc.git, token_env: GITHUB_TOKEN}\n" +
				"homebrew: {tap: {repository: https://github.com/acme/homebrew-tap.git, token_env: TAP_TOKEN}}\n",
			[]string{"APT: site/apt", "DNF: site/dnf", "BRANCH: gh-pages", "TAP_TOKEN: ${{ secrets.TAP_TOKEN }}",
				"GITHUB_TOKEN: ${{ github.token }}", "command: publish"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(filepath.Join(root, "testdata/programs/netsvc"))); err != nil {
				t.Fatal(err)
			}
			key, _ := os.ReadFile(k.SecretFile)
			os.MkdirAll(filepath.Join(dir, "keys"), 0o755)
			os.WriteFile(filepath.Join(dir, "keys/release.asc"), key, 0o600)
			cfg := filepath.Join(dir, "svcpack.yaml")
			b, _ := os.ReadFile(cfg)
			text := strings.Replace(string(b), "targets: [windows/amd64, linux/amd64]", "targets: "+tc.targets, 1)
			text = strings.Replace(text, "formats: [zip, msi, deb]", "formats: "+tc.formats, 1) + tc.extra
			os.WriteFile(cfg, []byte(text), 0o644)
			s, err := release.Load(cfg, config.Env{Getenv: func(k string) string {
				return map[string]string{"GPG_PASS": "pass", "SOURCE_DATE_EPOCH": "1700000000"}[k]
			}})
			if err != nil {
				t.Fatal(err)
			}
			w, err := release.Workflow(s, dir, "v1.2.3")
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := w.Write(&out); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("the workflow lacks %q", want)
				}
			}
			testtool.Actionlint(t, out.String(), action, release.ActionRepository+"@v1.2.3")
			if t.Failed() {
				t.Logf("the workflow:\n%s", out.String())
			}
		})
	}
}
