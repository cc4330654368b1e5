package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// What a release writes and what it ships stay inside the project folder,
// the config file's folder: a config (from a pull request, say) must not
// make svcpack replace a folder elsewhere on the release machine, nor
// package the machine's own files (/etc/shadow, ~/.ssh/id_rsa). Both are
// judged after symbolic links are resolved, so a link committed into the
// project that points outside counts as outside. The user can allow a dist
// outside (DistOutsideEnv, Env.DistOutside: a command-line decision, never
// the config's); a shipped file outside must be listed in allow_outside,
// where a reviewer sees it. Signing keys are read, not shipped, and may
// live anywhere.

// DistOutsideEnv is the environment variable that, set to 1, allows the
// config's dist outside the project folder (as Env.DistOutside does).
const DistOutsideEnv = "SVCPACK_DIST_OUTSIDE"

// CacheDir is where a release into dist keeps what the next incremental
// release needs: .<dist>.cache beside dist. Load checks that it, too, lies
// inside the project folder.
func CacheDir(dist string) string {
	return filepath.Join(filepath.Dir(dist), "."+filepath.Base(dist)+".cache")
}

// checkProject refuses a dist (or its cache folder) outside the project
// folder unless distOutside, and a shipped file outside it that
// allow_outside does not list. It runs before resolvePaths, on the paths
// as written.
func (c *Spec) checkProject(p *Problems, distOutside bool) {
	root, err := ResolvePath(c.Dir)
	if err != nil {
		p.Add("dist", "cannot resolve the project folder %s: %v", c.Dir, err)
		return
	}
	if !distOutside {
		c.checkDist(p, root)
	}
	allowed := c.allowedOutside(p)
	shipped := []struct {
		field string
		path  Path
	}{{"license_file", c.LicenseFile}, {"windows.icon", c.Windows.Icon}}
	for i, f := range c.Files {
		shipped = append(shipped, struct {
			field string
			path  Path
		}{fmt.Sprintf("files[%d].src", i), f.Src})
	}
	inGit := git(c.Dir, "rev-parse", "--is-inside-work-tree") == "true"
	for _, f := range shipped {
		if f.path != "" {
			c.checkShipped(p, root, allowed, f.field, string(f.path))
			if inGit {
				c.checkTracked(p, f.field, string(f.path))
			}
		}
	}
}

// checkTracked warns about a shipped file inside the project that git does
// not track: the release ships it, but a clone of the commit has none, and
// its changes leave the version as it was (git describe's -dirty sees
// tracked files only).
func (c *Spec) checkTracked(p *Problems, field, rel string) {
	if filepath.IsAbs(rel) || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return // outside the project: allow_outside's, not git's
	}
	// A name is a name: ls-files would read [c]onf.yaml or :(glob)* as patterns.
	if _, err := os.Stat(c.Abs(rel)); err != nil || git(c.Dir, "--literal-pathspecs", "ls-files", "--", rel) != "" {
		return
	}
	why, fix := "not tracked by git", "git add it"
	if git(c.Dir, "check-ignore", "--", rel) != "" { // names, not patterns
		why, fix = "ignored by git (.gitignore)", "git add -f it, or change .gitignore"
	}
	p.Warn(field, "%q is %s: the release ships it, but a clone of this commit has none, and a change to it does "+
		"not mark the version -dirty: %s", rel, why, fix)
}

// checkDist refuses a dist that is the project folder or lies outside it,
// and a cache folder beside it that resolves outside (a symbolic link).
func (c *Spec) checkDist(p *Problems, root string) {
	const allow = "or pass -dist-outside (" + DistOutsideEnv + "=1) to allow it"
	dist := c.Abs(c.Dist)
	got, err := ResolvePath(dist)
	switch {
	case err != nil:
		p.AddAt("dist", nil, "%q: %v: want a folder inside the project folder %s", c.Dist, err, root)
	case got == root:
		p.AddAt("dist", nil, "%q is the project folder %s itself: a release replaces its dist folder; "+
			"name a folder inside it, such as dist", c.Dist, root)
	case !Inside(root, got):
		p.AddAt("dist", nil, "%q is outside the project folder %s (it is %s%s): a release writes there and "+
			"replaces what was there; name a folder inside the project, such as dist, %s",
			c.Dist, root, got, viaLink(dist, got), allow)
	default:
		cache := CacheDir(dist)
		got, err := ResolvePath(cache)
		if err != nil {
			p.AddAt("dist", nil, "the cache folder %s beside %q: %v: remove it, %s",
				filepath.Base(cache), c.Dist, err, allow)
		} else if !Inside(root, got) {
			p.AddAt("dist", nil, "the cache folder %s beside %q is outside the project folder %s (it is %s%s): "+
				"remove it, %s", filepath.Base(cache), c.Dist, root, got, viaLink(cache, got), allow)
		}
	}
}

// allowedOutside resolves allow_outside's entries.
func (c *Spec) allowedOutside(p *Problems) []string {
	var out []string
	for i, a := range c.AllowOutside {
		got, err := ResolvePath(c.Abs(a))
		if err != nil {
			p.Add(fmt.Sprintf("allow_outside[%d]", i), "%q: %v: want a file or folder, relative to %s or absolute",
				a, err, filepath.Base(c.Path))
			continue
		}
		out = append(out, got)
	}
	return out
}

// checkShipped refuses a shipped file that resolves outside the project
// folder and outside every allow_outside entry. A file that does not
// exist is left to checkFile.
func (c *Spec) checkShipped(p *Problems, root string, allowed []string, field, rel string) {
	abs := c.Abs(rel)
	got, err := filepath.EvalSymlinks(abs)
	if err != nil || Inside(root, got) {
		return
	}
	for _, a := range allowed {
		if got == a || Inside(a, got) {
			return
		}
	}
	p.AddAt(field, nil, "%q is outside the project folder %s (it is %s%s): svcpack ships only files from the "+
		"project folder; copy it into the project, or list it in allow_outside if shipping it is on purpose",
		rel, root, got, viaLink(abs, got))
}

// viaLink says that path reached got through a symbolic link, if it did.
func viaLink(path, got string) string {
	if filepath.Clean(path) == got {
		return ""
	}
	return ", through a symbolic link"
}

// Inside reports whether path lies below dir (not dir itself); both are
// absolute and clean.
func Inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) &&
		!filepath.IsAbs(rel)
}

// ResolvePath makes path absolute and clean and resolves the symbolic
// links of its longest existing part; the rest (folders a release would
// make) is appended as written. A link whose target is missing is an
// error: it would send what is made there elsewhere.
func ResolvePath(path string) (string, error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for {
		if _, err := os.Lstat(p); err == nil {
			got, err := filepath.EvalSymlinks(p)
			if err != nil {
				return "", fmt.Errorf("resolving %s: %w", p, err)
			}
			return filepath.Join(append([]string{got}, rest...)...), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(append([]string{p}, rest...)...), nil
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}
