package testtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Git runs git in dir as a test's own setup (a fixed identity, no user
// config) and returns its trimmed output; a failure fails the test. It
// skips like Need when git is missing.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	git := Need(t, "git", "git")
	cmd := exec.Command(git, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=test",
		"GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
