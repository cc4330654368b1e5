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
	var described chan tagDescription
	if env.getenv("SVCPACK_VERSION") == "" && v.raw == "" {
		described = make(chan tagDescription, 1)
		go func() { described <- describe(c.Dir, c.TagPrefix) }()
	}
	commit, commitTime, _ := strings.Cut(git(c.Dir, "log", "-1", "--no-show-signature", "--format=%H %ct"), " ")
	c.Commit = commit
	switch {
	case env.getenv("SVCPACK_VERSION") != "":
		v.raw, v.Source = env.getenv("SVCPACK_VERSION"), "SVCPACK_VERSION"
	case v.raw != "":
		v.Source = "config"
	default:
		d := <-described
		v.tags = &d
		if d.desc != "" {
			v.raw, v.Source, v.Tag = strings.TrimPrefix(d.desc, c.TagPrefix), "git describe", d.tag
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

// tagDescription is what git says of the commit and the tags: the commit
// described from the nearest tag that names a version (git describe --tags
// --dirty: svc/v1.2.3-4-gabc1234-dirty) and that tag, or "" for both; the
// repository's tags, those of them that name a version under the prefix,
// and those that look like one (v1.2) but name none, each newest first.
type tagDescription struct {
	desc, tag              string
	tags, usable, misnamed []string
}

// describe describes the commit in dir from the nearest tag that names a
// version under prefix: prefix, then a version with or without a v
// (svc/v1.2.3, svc/1.2.3), and no further '/'. Which one is nearest is git
// describe's choice; tags that look like versions but are not (v1.2,
// 2024.01) are excluded, so they do not hide an older release tag.
func describe(dir, prefix string) tagDescription {
	var d tagDescription
	if out := git(dir, "for-each-ref", "--sort=-creatordate", "--format=%(refname)", "refs/tags/"); out != "" {
		for _, ref := range strings.Split(out, "\n") {
			d.tags = append(d.tags, strings.TrimPrefix(ref, "refs/tags/"))
		}
	}
	if prefix != "" && tagPrefix(prefix) != "" {
		return d // validate refuses the prefix; git would read it as a pattern
	}
	// git's patterns let * match '/' too.
	args := []string{"describe", "--tags", "--dirty",
		"--match", prefix + "v[0-9]*", "--match", prefix + "[0-9]*", "--exclude", prefix + "*/*"}
	for _, t := range d.tags {
		rest, ok := strings.CutPrefix(t, prefix)
		switch {
		case !ok || strings.Contains(rest, "/") || !startsVersion(rest):
			// The patterns leave it out.
		case tagVersion(rest):
			d.usable = append(d.usable, t)
		default:
			args = append(args, "--exclude", t)
			if rest[0] == 'v' {
				d.misnamed = append(d.misnamed, t)
			}
		}
	}
	if len(d.usable) == 0 {
		return d
	}
	d.desc = git(dir, args...)
	if v, err := version.Parse(strings.TrimPrefix(d.desc, prefix)); err == nil {
		tag := strings.TrimSuffix(d.desc, "-dirty")
		if v.Hash != "" {
			tag = strings.TrimSuffix(tag, fmt.Sprintf("-%d-g%s", v.Commits, v.Hash))
		}
		d.tag = tag
	}
	return d
}

// startsVersion reports whether a tag (without the prefix) matches git
// describe's patterns v[0-9]* and [0-9]*.
func startsVersion(s string) bool {
	s = strings.TrimPrefix(s, "v")
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// tagVersion reports whether a tag (without the prefix) names a version: a
// semantic version, with or without a v, and not what git describe adds after
// a tag (v1.2.3-4-gabc1234 and v1.2.3-dirty would read as builds after one).
func tagVersion(s string) bool {
	v, err := version.Parse(s)
	return err == nil && v.Hash == "" && !v.Dirty
}

// From says where the version came from, for the lines that report it: "git
// tag svc/v1.2.3" when git describe described the commit from that tag, else
// Source.
func (v Version) From() string {
	if v.Tag != "" {
		return "git tag " + v.Tag
	}
	return v.Source
}

// checkVersionTags warns when git describe was asked for the version and the
// repository has tags, but the version is not from one of them, or a tag
// newer than the one used looks like a version but names none.
func (c *Spec) checkVersionTags(p *Problems) {
	d, prefix := c.Version.tags, c.TagPrefix
	if d == nil || len(d.tags) == 0 {
		return
	}
	field := "version"
	if prefix != "" {
		field = "tag_prefix"
	}
	switch {
	case d.desc != "":
		if newer := d.misnamed[:misnamedBefore(d.tags, d.misnamed, d.tag)]; len(newer) > 0 {
			p.Warn(field, "newer tags that look like versions name none (%s), so the version is from the older tag %s: "+
				"tag releases %svMAJOR.MINOR.PATCH, three numbers", few(newer), d.tag, prefix)
		}
	case len(d.usable) > 0:
		p.Warn(field, "no tag naming a version (%s) is an ancestor of this commit, so the version is %s: "+
			"in a shallow clone, fetch the history (git fetch --unshallow --tags)", few(d.usable), version.Dev)
	case prefix != "":
		p.Warn(field, "the repository has tags (%s) but none under %s names a version, so the version is %s: "+
			"tag releases %sv1.2.3, or set tag_prefix to the folder of this program's tags", few(d.tags), prefix,
			version.Dev, prefix)
	default:
		fix := "tag releases v1.2.3 (or 1.2.3)"
		if folder, tag := folderTag(d.tags); tag != "" {
			fix = fmt.Sprintf("set tag_prefix: %s to release from tags such as %s, or tag releases v1.2.3", folder, tag)
		}
		p.Warn(field, "the repository has tags (%s) but none names a version, so the version is %s: %s",
			few(d.tags), version.Dev, fix)
	}
}

// misnamedBefore is how many of misnamed come before tag in tags (both
// newest first).
func misnamedBefore(tags, misnamed []string, tag string) int {
	n := 0
	for _, t := range tags {
		if t == tag || n == len(misnamed) {
			break
		}
		if t == misnamed[n] {
			n++
		}
	}
	return n
}

// folderTag finds the newest tag that names a version after a folder
// (svc/v1.2.3), and that folder (svc/).
func folderTag(tags []string) (folder, tag string) {
	for _, t := range tags {
		if i := strings.LastIndexByte(t, '/'); i > 0 && tagVersion(t[i+1:]) && tagPrefix(t[:i+1]) == "" {
			return t[:i+1], t
		}
	}
	return "", ""
}

// few names the first three of a list and how many more there are.
func few(list []string) string {
	const n = 3
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:n], ", "), len(list)-n)
}
