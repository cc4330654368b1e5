package ci

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

func workflows(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../../.github/workflows/*.yml")
	if err != nil || len(paths) < 2 {
		t.Fatalf("workflows: %v %v", paths, err)
	}
	return paths
}

// TestActionlint runs actionlint (github.com/rhysd/actionlint) on every
// workflow and fails on any finding.
func TestActionlint(t *testing.T) {
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.LintFiles(workflows(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
}

var usesRE = regexp.MustCompile(`uses:\s*([^\s#]+)`)
var pinnedRE = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)

func TestPinnedAndLeastPermissions(t *testing.T) {
	for _, p := range workflows(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, m := range usesRE.FindAllStringSubmatch(text, -1) {
			if !pinnedRE.MatchString(m[1]) {
				t.Errorf("%s: %s is not pinned to a commit", filepath.Base(p), m[1])
			}
		}
		if !strings.Contains(text, "permissions:\n  contents: read") {
			t.Errorf("%s: top-level permissions are not contents: read", filepath.Base(p))
		}
	}
}
