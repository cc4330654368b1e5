package config

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/version"
)

// gitProject is project's directory made a git repository with one
// commit, then changed by steps: "tag NAME", "commit" (one more file) and
// "dirty" (an uncommitted change). Names, emails and dates are fixed, and
// the user's git configuration is not read, so every run makes the same
// commits.
func gitProject(t *testing.T, yaml string, steps ...string) string {
	t.Helper()
	testtool.Need(t, "git", "git")
	path := project(t, yaml)
	dir := filepath.Dir(path)
	commits := 0
	run := func(args ...string) {
		t.Helper()
		date := fmt.Sprintf("@%d +0000", 1600000000+60*commits)
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_AUTHOR_DATE="+date,
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_COMMITTER_DATE="+date)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q")
	run("add", ".")
	run("commit", "-qm", "first")
	for _, s := range steps {
		switch verb, arg, _ := strings.Cut(s, " "); verb {
		case "tag":
			run("tag", arg)
		case "commit":
			commits++
			write(fmt.Sprintf("file%d.txt", commits), "x")
			run("add", ".")
			run("commit", "-qm", fmt.Sprintf("change %d", commits))
		case "orphan": // a commit that no tag so far is an ancestor of
			run("checkout", "-q", "--orphan", "side")
			commits++
			run("commit", "-qm", "orphan")
		case "dirty":
			write(FileName, yaml+"# edited\n")
		default:
			t.Fatalf("unknown step %q", s)
		}
	}
	return path
}

// TestTagVersions: the version git describe gives from the repository's
// tags, with and without a v and under a tag_prefix. In want, H stands for
// the commit hash git describe abbreviates.
func TestTagVersions(t *testing.T) {
	svc := strings.Replace(good, "name: hello\n", "name: hello\ntag_prefix: svc/\n", 1)
	for _, tc := range []struct {
		name, yaml string
		steps      []string
		want, tag  string // tag "": the version is the default
	}{
		{"tag without v", good, []string{"tag 2.8.2"}, "2.8.2", "2.8.2"},
		{"tag with v", good, []string{"tag v1.0.0"}, "1.0.0", "v1.0.0"},
		{"pre-release without v", good, []string{"tag 2.0.0-rc.1"}, "2.0.0-rc.1", "2.0.0-rc.1"},
		{"commit after the tag", good, []string{"tag 2.8.2", "commit"}, "2.8.2-1-gH", "2.8.2"},
		{"commits after a v tag", good, []string{"tag v2.8.2", "commit", "commit"}, "2.8.2-2-gH", "v2.8.2"},
		{"nearest: without v after v", good, []string{"tag v1.0.0", "commit", "tag 1.1.0"}, "1.1.0", "1.1.0"},
		{"nearest: v after without v", good, []string{"tag 1.0.0", "commit", "tag v1.1.0"}, "1.1.0", "v1.1.0"},
		{"a tag naming no version is passed over", good, []string{"tag v1.0.0", "commit", "tag 2024.01", "tag v1.1"},
			"1.0.0-1-gH", "v1.0.0"},
		{"a tag with a folder is not used", good, []string{"tag v1.0.0", "commit", "tag svc/v2.0.0", "tag v3/x"},
			"1.0.0-1-gH", "v1.0.0"},
		{"only tags with a folder", good, []string{"tag svc/v1.2.3"}, version.Dev, ""},
		{"dirty at the tag", good, []string{"tag 2.8.2", "dirty"}, "2.8.2-dirty", "2.8.2"},
		{"dirty after the tag", good, []string{"tag v2.8.2", "commit", "dirty"}, "2.8.2-1-gH-dirty", "v2.8.2"},
		{"prefix", svc, []string{"tag v9.0.0", "tag other/v8.0.0", "tag svc/v1.2.3"}, "1.2.3", "svc/v1.2.3"},
		{"prefix, no v", svc, []string{"tag svc/1.2.3"}, "1.2.3", "svc/1.2.3"},
		{"prefix: nearer tags of others", svc, []string{"tag svc/v1.2.3", "commit", "tag other/v2.0.0", "tag v2.0.0",
			"tag svc/x/v3.0.0", "dirty"}, "1.2.3-1-gH-dirty", "svc/v1.2.3"},
		{"prefix: only another prefix's tag", svc, []string{"tag other/v1.2.3", "tag v1.2.3"}, version.Dev, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := gitProject(t, tc.yaml, tc.steps...)
			c, err := load(path, env())
			if err != nil {
				t.Fatal(err)
			}
			v := c.Version
			want, from := tc.want, "git tag "+tc.tag
			if strings.Contains(want, "-gH") {
				head := git(filepath.Dir(path), "rev-parse", "HEAD")
				if len(v.Hash) < 4 || !strings.HasPrefix(head, v.Hash) {
					t.Fatalf("version %q: hash %q is not HEAD's (%s)", v, v.Hash, head)
				}
				want = strings.Replace(want, "-gH", "-g"+v.Hash, 1)
			}
			if tc.tag == "" {
				from = "default"
			}
			if v.String() != want || v.Tag != tc.tag || v.From() != from {
				t.Errorf("version %q, tag %q, from %q; want %q, tag %q, from %q", v, v.Tag, v.From(), want, tc.tag, from)
			}
			if _, err := version.Parse(v.String()); err != nil {
				t.Errorf("the version does not parse again: %v", err)
			}
		})
	}
}

// TestTagPrefixGrammar: a tag prefix git would read as a pattern, or that
// is no folder, is refused at its line.
func TestTagPrefixGrammar(t *testing.T) {
	for _, bad := range []string{"svc", "svc*/", "sv?/", "[s]vc/", `svc\/`, "/svc/", "svc//"} {
		yaml := strings.Replace(good, "name: hello\n", fmt.Sprintf("name: hello\ntag_prefix: '%s'\n", bad), 1)
		_, err := load(project(t, yaml), env())
		want := fmt.Sprintf("svcpack.yaml:2: tag_prefix: %q is not a tag prefix: want folder names", bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("tag_prefix %q: got %v, want an error with %s", bad, err, want)
		}
	}
}

// TestTagWarnings: check warns, naming the tags and the fix, when the
// repository has tags but the version comes from none of them, and when a
// newer tag looks like a version but names none; a usable tag, a repository
// without tags and a configured version warn of nothing.
func TestTagWarnings(t *testing.T) {
	svc := strings.Replace(good, "name: hello\n", "name: hello\ntag_prefix: svc/\n", 1)
	configured := strings.Replace(good, "name: hello\n", "name: hello\nversion: 1.0.0\n", 1)
	for _, tc := range []struct {
		name, yaml string
		steps      []string
		want       string // "": no warning
	}{
		{"no prefix, only tags with a folder", good, []string{"tag svc/v1.2.3", "commit", "tag svc/v1.2.4"},
			"svcpack.yaml: version: warning: the repository has tags (svc/v1.2.4, svc/v1.2.3) but none names a " +
				"version, so the version is 0.0.0-dev: set tag_prefix: svc/ to release from tags such as svc/v1.2.4, " +
				"or tag releases v1.2.3"},
		{"another prefix's tags", svc, []string{"tag other/v1.2.3", "commit", "tag v2.0.0"},
			"svcpack.yaml:2: tag_prefix: warning: the repository has tags (v2.0.0, other/v1.2.3) but none under svc/ " +
				"names a version, so the version is 0.0.0-dev: tag releases svc/v1.2.3, or set tag_prefix"},
		{"tags naming no version", good,
			[]string{"tag release-1", "commit", "tag v1.2", "commit", "tag a", "commit", "tag b"},
			"version: warning: the repository has tags (b, a, v1.2 and 1 more) but none names a version, " +
				"so the version is 0.0.0-dev: tag releases v1.2.3 (or 1.2.3)"},
		{"no tag is an ancestor", good, []string{"tag v1.0.0", "orphan"},
			"version: warning: no tag naming a version (v1.0.0) is an ancestor of this commit, so the version is 0.0.0-dev"},
		{"a newer tag names no version", good, []string{"tag v1.2.0", "commit", "tag v1.3"},
			"version: warning: newer tags that look like versions name none (v1.3), so the version is from the " +
				"older tag v1.2.0: tag releases vMAJOR.MINOR.PATCH, three numbers"},
		{"an older tag names no version", good, []string{"tag v1.1", "commit", "tag v1.2.0"}, ""},
		{"a usable tag", good, []string{"tag svc/v2.0.0", "commit", "tag 1.2.0"}, ""},
		{"a usable tag under the prefix", svc, []string{"tag svc/v1.2.3", "commit", "tag other/v2.0.0"}, ""},
		{"no tags", good, nil, ""},
		{"the version is configured", configured, []string{"tag svc/v1.2.3"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(gitProject(t, tc.yaml, tc.steps...), env())
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(c.Warnings) > 0:
				t.Errorf("warnings %q, want none", c.Warnings)
			case tc.want != "" && (len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], tc.want)):
				t.Errorf("warnings %q, want one holding\n%s", c.Warnings, tc.want)
			}
		})
	}
}
