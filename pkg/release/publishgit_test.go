package release

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// tapYAML releases the example with a formula and a Scoop manifest, and
// names a tap and a bucket (@TAP@ and @BUCKET@ are replaced by folders).
const tapYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Ops <ops@example.com>
license: MIT
description: Says hello over HTTP
homepage: https://github.com/acme/hello
download_url: https://github.com/acme/hello/releases/download/v{{.Version}}/{{.File}}
formats: [zip, tar.gz, scoop, homebrew]
windows:
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}
homebrew:
  tap: {repository: @TAP@}
scoop:
  bucket: {repository: @BUCKET@, branch: master, folder: ., author: Bucket Bot <bucket@example.com>, token_env: BUCKET_TOKEN}
`

// TestPublishTapAndBucket: publish commits the release's formula into a
// tap (a bare repository) and its manifest into a bucket (a checkout, on
// branch master, at its top): one commit each per release, none when the
// same release is published again; a dirty bucket is refused before the
// tap is touched, and so is a token variable left unset.
func TestPublishTapAndBucket(t *testing.T) {
	testtool.Need(t, "git", "git")
	root := t.TempDir()
	tap, bucket := filepath.Join(root, "tap.git"), filepath.Join(root, "bucket")
	testtool.Git(t, root, "init", "--quiet", "--bare", "-b", "main", tap)
	testtool.Git(t, root, "init", "--quiet", "-b", "master", bucket)
	os.WriteFile(filepath.Join(bucket, "README.md"), []byte("bucket\n"), 0o644)
	testtool.Git(t, bucket, "add", "README.md")
	testtool.Git(t, bucket, "commit", "--quiet", "-m", "start")
	env := map[string]string{"BUCKET_TOKEN": "unused for a folder"}
	getenv := func(k string) string { return env[k] }
	publish := func(version string) (Published, error) {
		t.Helper()
		yaml := strings.NewReplacer("@TAP@", tap, "@BUCKET@", bucket).Replace(tapYAML)
		s := helloProjectEnv(t, yaml, map[string]string{"SVCPACK_VERSION": version}, "windows/amd64", "darwin/arm64")
		res, err := Release(context.Background(), s, Options{Dist: filepath.Join(t.TempDir(), "dist")})
		if err != nil {
			t.Fatal(err)
		}
		return Publish(context.Background(), s, PublishOptions{Dist: res.Dist, Getenv: getenv})
	}
	counts := func() (string, string) {
		return testtool.Git(t, tap, "rev-list", "--count", "main"), testtool.Git(t, bucket, "rev-list", "--count", "master")
	}
	for _, step := range []struct {
		version, tap, bucket string
	}{{"1.0.0", "1", "2"}, {"1.1.0", "2", "3"}, {"1.1.0", "2", "3"}} {
		p, err := publish(step.version)
		if err != nil {
			t.Fatalf("publish %s: %v", step.version, err)
		}
		if len(p.Commits) != 2 {
			t.Errorf("publish %s: %+v", step.version, p.Commits)
		}
		if a, b := counts(); a != step.tap || b != step.bucket {
			t.Errorf("after %s: the tap has %s commits, the bucket %s; want %s and %s", step.version, a, b, step.tap, step.bucket)
		}
	}
	if got := testtool.Git(t, tap, "show", "main:Formula/hello.rb"); !strings.Contains(got, "1.1.0") {
		t.Errorf("the tap's formula:\n%s", got)
	}
	if got := testtool.Git(t, bucket, "log", "-1", "--format=%an <%ae>: %s"); got != "Bucket Bot <bucket@example.com>: hello 1.1.0" {
		t.Errorf("the bucket's commit: %s", got)
	}
	if _, err := os.Stat(filepath.Join(bucket, "hello.json")); err != nil {
		t.Errorf("the bucket's manifest: %v", err)
	}

	os.WriteFile(filepath.Join(bucket, "README.md"), []byte("edited\n"), 0o644)
	if _, err := publish("1.2.0"); err == nil || !strings.Contains(err.Error(), "the working tree is not clean") {
		t.Errorf("publish to a dirty bucket: %v", err)
	}
	testtool.Git(t, bucket, "checkout", "--", "README.md")
	delete(env, "BUCKET_TOKEN")
	if _, err := publish("1.2.0"); err == nil || !strings.Contains(err.Error(), "scoop.bucket.token_env names BUCKET_TOKEN, which is not set") {
		t.Errorf("publish without the token: %v", err)
	}
	if a, b := counts(); a != "2" || b != "3" {
		t.Errorf("refused publishes committed: the tap has %s commits, the bucket %s", a, b)
	}
}
