package config

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// semverRE is the regular expression semver.org gives for a full version
// (MAJOR.MINOR.PATCH, optional pre-release and build metadata).
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// DevVersion is the version used when nothing else names one.
const DevVersion = "0.0.0-dev"

// Semver is a parsed semantic version.
type Semver struct {
	Major, Minor, Patch uint64
	// Pre is the pre-release part without the dash ("rc.1"), or "".
	Pre string
	// Build is the build metadata without the plus, or "".
	Build string
}

// ParseSemver parses a full semantic version, with or without a leading v.
func ParseSemver(s string) (Semver, error) {
	m := semverRE.FindStringSubmatch(strings.TrimPrefix(s, "v"))
	if m == nil {
		return Semver{}, fmt.Errorf("%q is not a semantic version: want MAJOR.MINOR.PATCH with optional -prerelease and +build, such as 1.4.2 or 2.0.0-rc.1", s)
	}
	var v Semver
	var err error
	for i, dst := range []*uint64{&v.Major, &v.Minor, &v.Patch} {
		if *dst, err = strconv.ParseUint(m[i+1], 10, 64); err != nil {
			return Semver{}, fmt.Errorf("%q: number %s is too large", s, m[i+1])
		}
	}
	v.Pre, v.Build = m[4], m[5]
	return v, nil
}

// String formats the version without a leading v.
func (v Semver) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// resolveVersion sets Version (SVCPACK_VERSION > config > git describe >
// 0.0.0-dev), Commit and Date (SOURCE_DATE_EPOCH > commit time > 1980-01-01).
func (c *Config) resolveVersion(env Env) error {
	c.Commit = git(c.Dir, "rev-parse", "HEAD")
	switch {
	case env.getenv("SVCPACK_VERSION") != "":
		c.Version, c.VersionSource = env.getenv("SVCPACK_VERSION"), "SVCPACK_VERSION"
	case c.Version != "":
		c.VersionSource = "config"
	default:
		if d := git(c.Dir, "describe", "--tags", "--match", "v[0-9]*", "--dirty"); d != "" {
			c.Version, c.VersionSource = d, "git describe"
		} else {
			c.Version, c.VersionSource = DevVersion, "default"
		}
	}
	c.Version = strings.TrimPrefix(c.Version, "v")

	if s := env.getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a non-negative number of seconds since 1970-01-01 UTC", s)
		}
		c.Date = time.Unix(sec, 0).UTC()
		return nil
	}
	if ct := git(c.Dir, "log", "-1", "--format=%ct"); ct != "" {
		if sec, err := strconv.ParseInt(ct, 10, 64); err == nil {
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
