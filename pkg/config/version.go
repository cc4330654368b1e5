package config

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/version"
)

// resolveVersion sets Version (SVCPACK_VERSION > config > git describe >
// 0.0.0-dev), Commit and Date (SOURCE_DATE_EPOCH > commit time > 1980-01-01).
//
// The version is parsed here, once; validate reports a bad one.
func (c *Spec) resolveVersion(env Env) error {
	v := &c.Version
	// git describe, when the version comes from it, runs beside the log
	// that gives the commit and its time: every command waits on these.
	var described chan string
	if env.getenv("SVCPACK_VERSION") == "" && v.raw == "" {
		described = make(chan string, 1)
		go func() { described <- git(c.Dir, "describe", "--tags", "--match", "v[0-9]*", "--dirty") }()
	}
	commit, commitTime, _ := strings.Cut(git(c.Dir, "log", "-1", "--no-show-signature", "--format=%H %ct"), " ")
	c.Commit = commit
	switch {
	case env.getenv("SVCPACK_VERSION") != "":
		v.raw, v.Source = env.getenv("SVCPACK_VERSION"), "SVCPACK_VERSION"
	case v.raw != "":
		v.Source = "config"
	default:
		if d := <-described; d != "" {
			v.raw, v.Source = d, "git describe"
		} else {
			v.raw, v.Source = version.Dev, "default"
		}
	}
	if parsed, err := version.Parse(v.raw); err == nil {
		v.Version = parsed
	}

	if s := env.getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a non-negative number of seconds since 1970-01-01 UTC", s)
		}
		c.Date = time.Unix(sec, 0).UTC()
		return nil
	}
	if commitTime != "" {
		if sec, err := strconv.ParseInt(commitTime, 10, 64); err == nil {
			c.Date = time.Unix(sec, 0).UTC()
			return nil
		}
	}
	// No clock time: builds must stay reproducible. 1980-01-01 is the
	// earliest time zip and MSI dates can hold.
	c.Date = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	return nil
}

// git runs a git command in dir and returns its trimmed output, or "" when
// git is missing, dir is not a repository, or the command fails.
func git(dir string, args ...string) string {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// tagPrefix is tag_prefix's grammar: folder names, each followed by '/', of
// characters that git allows in a tag name and that git describe's --match
// patterns take literally.
var tagPrefix = match(`^([A-Za-z0-9_+-][A-Za-z0-9._+-]*/)+$`, "is not a tag prefix: want folder names of letters, "+
	"digits, '.', '_', '+' or '-', each followed by '/', such as svc/ for tags svc/v1.2.3 "+
	"(git would read *, ?, [ and \\ as patterns)")
