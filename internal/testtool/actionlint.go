package testtool

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// Actionlint lints a workflow with actionlint (github.com/rhysd/actionlint)
// and fails the test on every finding: as it is, and, when action is given,
// with each uses: of ref replaced by this repository's action (uses: ./,
// action the content of its action.yml), so that actionlint checks every
// with: against the action's inputs.
func Actionlint(t testing.TB, workflow string, action []byte, ref string) {
	t.Helper()
	for _, local := range []bool{false, true} {
		if local && action == nil {
			continue
		}
		dir := t.TempDir()
		body := workflow
		if local {
			body = strings.ReplaceAll(workflow, ref, "./")
			if err := os.WriteFile(filepath.Join(dir, "action.yml"), action, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		file := filepath.Join(dir, ".github", "workflows", "release.yml")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Mkdir(filepath.Join(dir, ".git"), 0o755) // the project's root, for actionlint
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		project, err := actionlint.NewProject(dir)
		if err != nil {
			t.Fatal(err)
		}
		errs, err := linter.LintFile(file, project)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Errorf("actionlint (action from action.yml: %v): %d:%d: %s [%s]", local, e.Line, e.Column, e.Message, e.Kind)
		}
	}
}
