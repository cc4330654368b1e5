package gitpublish

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

var date = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func repo(loc string) Repo {
	return Repo{Location: loc, Branch: "main", Name: "Release Bot", Email: "bot@example.com"}
}

func formula(version string) Change {
	return Change{Files: []File{{Path: "Formula/hello.rb", Data: []byte("class Hello < Formula\n  version \"" + version + "\"\nend\n")}}}
}

// TestCommitBare: each release adds one commit to a bare repository (the
// first makes the branch), the same release again adds none, and the
// commit carries the author, date and file.
func TestCommitBare(t *testing.T) {
	testtool.Need(t, "git", "git")
	bare := filepath.Join(t.TempDir(), "tap.git")
	testtool.Git(t, t.TempDir(), "init", "--quiet", "--bare", "-b", "main", bare)
	ctx := context.Background()
	for i, step := range []struct {
		version string
		commits string
		changed bool
	}{{"1.0.0", "1", true}, {"1.1.0", "2", true}, {"1.1.0", "2", false}} {
		res, err := Commit(ctx, repo(bare), formula(step.version), "hello "+step.version, date)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if (res.Commit != "") != step.changed || res.Pushed != step.changed {
			t.Errorf("step %d: %+v, want a commit: %v", i, res, step.changed)
		}
		if got := testtool.Git(t, bare, "rev-list", "--count", "main"); got != step.commits {
			t.Errorf("step %d: main has %s commits, want %s", i, got, step.commits)
		}
	}
	if got := testtool.Git(t, bare, "show", "main:Formula/hello.rb"); !strings.Contains(got, `"1.1.0"`) {
		t.Errorf("the tap's formula: %s", got)
	}
	if got := testtool.Git(t, bare, "log", "-1", "--format=%an <%ae> %cn %aI %s", "main"); got !=
		"Release Bot <bot@example.com> Release Bot 2026-12-01T10:00:00+00:00 hello 1.1.0" {
		t.Errorf("the commit: %s", got)
	}
}

// TestCommitOtherBranch: a bare repository with other branches gets a
// new branch holding the file alone, and its other branches are untouched.
func TestCommitOtherBranch(t *testing.T) {
	testtool.Need(t, "git", "git")
	work := t.TempDir()
	testtool.Git(t, work, "init", "--quiet", "-b", "main")
	os.WriteFile(filepath.Join(work, "README.md"), []byte("tap\n"), 0o644)
	testtool.Git(t, work, "add", "README.md")
	testtool.Git(t, work, "commit", "--quiet", "-m", "start")
	bare := filepath.Join(t.TempDir(), "tap.git")
	testtool.Git(t, work, "clone", "--quiet", "--bare", work, bare)
	r := repo(bare)
	r.Branch = "formulae"
	if _, err := Commit(context.Background(), r, formula("1.0.0"), "hello 1.0.0", date); err != nil {
		t.Fatal(err)
	}
	if got := testtool.Git(t, bare, "ls-tree", "-r", "--name-only", "formulae"); got != "Formula/hello.rb" {
		t.Errorf("branch formulae holds %q", got)
	}
	if got := testtool.Git(t, bare, "rev-list", "--count", "main"); got != "1" {
		t.Errorf("main has %s commits", got)
	}
}

// TestCommitCheckout: a clean checkout on the branch is committed to in
// place; a dirty one, or one on another branch, is refused and left as it
// was.
func TestCommitCheckout(t *testing.T) {
	testtool.Need(t, "git", "git")
	dir := t.TempDir()
	testtool.Git(t, dir, "init", "--quiet", "-b", "main")
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("tap\n"), 0o644)
	testtool.Git(t, dir, "add", "README.md")
	testtool.Git(t, dir, "commit", "--quiet", "-m", "start")
	ctx := context.Background()
	res, err := Commit(ctx, repo(dir), formula("1.0.0"), "hello 1.0.0", date)
	if err != nil || res.Commit == "" || res.Pushed {
		t.Fatalf("Commit: %+v, %v", res, err)
	}
	if got := testtool.Git(t, dir, "rev-list", "--count", "main"); got != "2" {
		t.Errorf("main has %s commits, want 2", got)
	}

	os.WriteFile(filepath.Join(dir, "README.md"), []byte("edited\n"), 0o644)
	_, err = Commit(ctx, repo(dir), formula("1.1.0"), "hello 1.1.0", date)
	if err == nil || !strings.Contains(err.Error(), "the working tree is not clean") || !strings.Contains(err.Error(), "README.md") {
		t.Errorf("Commit in a dirty checkout: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "Formula/hello.rb")); !strings.Contains(string(b), `"1.0.0"`) {
		t.Errorf("the refused commit wrote the formula: %s", b)
	}
	testtool.Git(t, dir, "checkout", "--quiet", "--", "README.md")
	testtool.Git(t, dir, "checkout", "--quiet", "-b", "other")
	if _, err := Commit(ctx, repo(dir), formula("1.1.0"), "hello 1.1.0", date); err == nil ||
		!strings.Contains(err.Error(), `is on "other", not on branch main`) {
		t.Errorf("Commit on another branch: %v", err)
	}
}

// TestCommitRefuses: what cannot be committed safely is refused before
// git runs.
func TestCommitRefuses(t *testing.T) {
	testtool.Need(t, "git", "git")
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		r     Repo
		files Change
		want  string
	}{
		{"option", repo("--upload-pack=touch x"), formula("1"), "read by git as an option"},
		{"branch option", Repo{Location: dir, Branch: "-f", Name: "a", Email: "b"}, formula("1"), "not a plain branch"},
		{"no author", Repo{Location: dir, Branch: "main"}, formula("1"), "needs an author"},
		{"path up", repo(dir), Change{Files: []File{{Path: "../x.rb"}}}, "not a relative path"},
		{"pathspec magic", repo(dir), Change{Files: []File{{Path: ":(top)x"}}}, "not a relative path"},
		{"no files", repo(dir), Change{}, "no files"},
		{"replace up", repo(dir), Change{Files: formula("1").Files, Replace: []string{".."}}, "not a relative path"},
		{"not a folder", repo(filepath.Join(dir, "gone")), formula("1"), "is not a folder"},
		{"not a repository", repo(dir), formula("1"), "is not a git repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Commit(context.Background(), tc.r, tc.files, "m", date)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Commit: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestTokenStaysOutOfArgs: the token reaches git as configuration in the
// environment, not in its arguments or the clone's .git/config.
func TestTokenStaysOutOfArgs(t *testing.T) {
	r := repo("https://example.com/tap.git")
	r.Token = "s3cret"
	env := strings.Join(r.env(date), "\n")
	if !strings.Contains(env, "GIT_CONFIG_KEY_0=http.extraHeader") || strings.Contains(env, "s3cret") {
		t.Errorf("environment:\n%s", env)
	}
}

// TestCommitURL pushes to a repository served over HTTP on 127.0.0.1 by
// git's own http-backend, which answers only the token's Authorization:
// without the token the push is refused, with it the commit lands.
func TestCommitURL(t *testing.T) {
	gitBin := testtool.Need(t, "git", "git")
	root := t.TempDir()
	bare := filepath.Join(root, "tap.git")
	testtool.Git(t, root, "init", "--quiet", "--bare", "-b", "main", bare)
	testtool.Git(t, bare, "config", "http.receivepack", "true")
	backend := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:s3cret"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != want {
			w.Header().Set("WWW-Authenticate", `Basic realm="tap"`)
			http.Error(w, "token needed", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	}))
	defer srv.Close()
	r := repo(srv.URL + "/tap.git")
	if _, err := Commit(context.Background(), r, formula("1.0.0"), "hello 1.0.0", date); err == nil {
		t.Fatal("Commit without the token passed")
	}
	r.Token = "s3cret"
	res, err := Commit(context.Background(), r, formula("1.0.0"), "hello 1.0.0", date)
	if err != nil || !res.Pushed {
		t.Fatalf("Commit with the token: %+v, %v", res, err)
	}
	if got := testtool.Git(t, bare, "rev-parse", "main"); got != res.Commit {
		t.Errorf("main is %s, the commit %s", got, res.Commit)
	}
}

// TestCommitReplace: a replaced folder holds only the files given after
// the commit (what it held before is gone), and files elsewhere stay.
func TestCommitReplace(t *testing.T) {
	testtool.Need(t, "git", "git")
	bare := filepath.Join(t.TempDir(), "site.git")
	testtool.Git(t, t.TempDir(), "init", "--quiet", "--bare", "-b", "gh-pages", bare)
	r := repo(bare)
	r.Branch = "gh-pages"
	ctx := context.Background()
	first := Change{Files: []File{{Path: "apt/pool/a_1.deb", Data: []byte("1")}, {Path: "index.html", Data: []byte("x")}},
		Replace: []string{"apt"}}
	second := Change{Files: []File{{Path: "apt/pool/a_2.deb", Data: []byte("2")}}, Replace: []string{"apt"}}
	for _, c := range []Change{first, second} {
		if _, err := Commit(ctx, r, c, "site", date); err != nil {
			t.Fatal(err)
		}
	}
	if got := testtool.Git(t, bare, "ls-tree", "-r", "--name-only", "gh-pages"); got != "apt/pool/a_2.deb\nindex.html" {
		t.Errorf("the branch holds:\n%s", got)
	}
}
