package release

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
)

// TestReleaseVCSStamps releases a program from a git repository twice, into
// dist/ beside svcpack.yaml and not ignored by git, and checks that the
// binary carries go build's stamps of the commit (vcs.revision, as
// debug.ReadBuildInfo reads it) and that the second release is the first's
// bytes: svcpack's own untracked outputs (dist/, its cache, the staging
// folder) do not make the tree modified. An edit of a tracked file does.
func TestReleaseVCSStamps(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Setenv("GOFLAGS", "-buildvcs=auto") // the stamps are on by default; go env may turn them off
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/tiny\n\ngo 1.26\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(version) }\n",
		"svcpack.yaml": "name: tiny\nmain: .\nversion: 1.0.0\ntargets: [linux/amd64]\nformats: []\n" +
			"ldflags: [-s, -w, \"-X main.version={{.Version}}\"]\nservice: {wrap: false}\n",
	}
	for name, content := range files {
		writeTestFile(t, filepath.Join(dir, name), []byte(content))
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	release := func() (*config.Spec, []byte, map[string]string) {
		t.Helper()
		s, err := Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Release(context.Background(), s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(res.Dist, "tiny_linux_amd64", "tiny")
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]string{}
		for _, st := range bi.Settings {
			settings[st.Key] = st.Value
		}
		return s, mustRead(t, bin), settings
	}
	s, first, stamps := release()
	if s.Commit == "" || stamps["vcs.revision"] != s.Commit || stamps["vcs.modified"] != "false" {
		t.Errorf("stamps %v; want vcs.revision %q, vcs.modified false", stamps, s.Commit)
	}
	if _, second, stamps := release(); !bytes.Equal(first, second) {
		t.Errorf("the second release of one commit differs from the first (stamps %v)", stamps)
	}
	writeTestFile(t, filepath.Join(dir, "main.go"), []byte(files["main.go"]+"\n// edited\n"))
	if _, _, stamps := release(); stamps["vcs.modified"] != "true" {
		t.Errorf("after an edit, stamps %v; want vcs.modified true", stamps)
	}
}
