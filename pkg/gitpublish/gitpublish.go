// Package gitpublish commits a release's files (a Homebrew formula, a Scoop
// manifest) into a git repository with the git command, one commit per
// release, the way a tap or a bucket is kept.
//
// The repository is a local checkout, a bare repository or an https URL.
// A checkout is committed to in place, and only when its working tree is
// clean and on the branch asked for: publishing never mixes its commit
// with someone's edits. A bare repository or a URL is cloned into a
// temporary folder, committed to and pushed back (a branch that does not
// exist yet is made). A token for an https URL reaches git through the
// environment (GIT_CONFIG_COUNT, as an Authorization header), never its
// arguments or the repository's config, so neither the process list nor
// .git/config holds it.
//
// The commit's author and committer are the release's, dated when it is
// made (a tree exported from the branch gets files newer than the last
// publish's, so web servers answer If-Modified-Since with the new files);
// files already as the release has them make no commit at all.
package gitpublish

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Repo is where the files are committed.
type Repo struct {
	// Location is a local folder (a checkout or a bare repository) or an
	// https URL.
	Location string
	// Branch is the branch committed to.
	Branch string
	// Token, for an https URL, is sent as the password of user
	// x-access-token.
	Token string
	// Name and Email are the commit's author and committer.
	Name, Email string
}

// Change is what a commit does to the repository.
type Change struct {
	// Files are written (made or replaced).
	Files []File
	// Replace lists folders (slash paths) emptied first: the files under
	// them afterwards are the ones in Files (a package repository's tree,
	// whose old packages are dropped as it keeps its last versions).
	Replace []string
}

// File is one file to commit.
type File struct {
	// Path is its slash path in the repository.
	Path string
	// Data is its content.
	Data []byte
}

// Result says what Commit did.
type Result struct {
	// Commit is the new commit's hash, or "" when the repository already
	// held the files as given.
	Commit string
	// Pushed reports whether the commit was pushed (a bare repository or a
	// URL) rather than made in a checkout.
	Pushed bool
}

// pathRE is a file path of plain names: no option, no "..", nothing git
// would read as a pathspec's magic.
var pathRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$`)

// Commit writes files into the repository and commits them with message,
// dated date. Nothing is committed when the repository already holds them.
func Commit(ctx context.Context, r Repo, c Change, message string, date time.Time) (Result, error) {
	if err := r.check(c); err != nil {
		return Result{}, err
	}
	g := git{env: r.env(date)}
	if local, bare, err := g.localKind(ctx, r.Location); err != nil {
		return Result{}, err
	} else if local && !bare {
		return r.commitCheckout(ctx, g, c, message)
	}
	tmp, err := os.MkdirTemp("", "svcpack-gitpublish-")
	if err != nil {
		return Result{}, fmt.Errorf("gitpublish: %w", err)
	}
	defer os.RemoveAll(tmp)
	return r.commitClone(ctx, g, tmp, c, message)
}

// Check makes the checks Commit makes before it writes: the settings, and
// for a local checkout that its working tree is clean and on the branch.
// A caller committing to several repositories checks them all first.
func Check(ctx context.Context, r Repo, c Change) error {
	if err := r.check(c); err != nil {
		return err
	}
	g := git{env: r.env(time.Time{})}
	local, bare, err := g.localKind(ctx, r.Location)
	if err != nil || !local || bare {
		return err
	}
	return r.checkCheckout(ctx, g)
}

func (r Repo) check(c Change) error {
	switch {
	case r.Location == "":
		return errors.New("gitpublish: no repository given")
	case strings.HasPrefix(r.Location, "-"):
		return fmt.Errorf("gitpublish: %q would be read by git as an option", r.Location)
	case r.Branch == "" || strings.HasPrefix(r.Branch, "-"):
		return fmt.Errorf("gitpublish: %s: branch %q is not a plain branch name", r.Location, r.Branch)
	case r.Name == "" || r.Email == "":
		return fmt.Errorf("gitpublish: %s: the commit needs an author name and email", r.Location)
	case len(c.Files) == 0:
		return fmt.Errorf("gitpublish: %s: no files to commit", r.Location)
	}
	paths := c.Replace
	for _, f := range c.Files {
		paths = append(paths, f.Path)
	}
	for _, p := range paths {
		if !pathRE.MatchString(p) || strings.Contains(p, "..") {
			return fmt.Errorf("gitpublish: %s: %q is not a relative path of plain names", r.Location, p)
		}
	}
	return nil
}

// env is the environment git runs with: the author and date, no user or
// system config (nothing of the machine's changes the commit), no
// prompts, and the token as an extra header when there is one.
func (r Repo) env(date time.Time) []string {
	d := date.UTC().Format(time.RFC3339)
	env := append(os.Environ(),
		"GIT_AUTHOR_NAME="+r.Name, "GIT_AUTHOR_EMAIL="+r.Email, "GIT_AUTHOR_DATE="+d,
		"GIT_COMMITTER_NAME="+r.Name, "GIT_COMMITTER_EMAIL="+r.Email, "GIT_COMMITTER_DATE="+d,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	if r.Token != "" {
		basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + r.Token))
		env = append(env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader",
			"GIT_CONFIG_VALUE_0=Authorization: Basic "+basic)
	}
	return env
}

// commitCheckout commits in a local checkout, which must be clean and on
// the branch.
func (r Repo) commitCheckout(ctx context.Context, g git, c Change, message string) (Result, error) {
	if err := r.checkCheckout(ctx, g); err != nil {
		return Result{}, err
	}
	hash, err := r.commitIn(ctx, g, r.Location, c, message)
	return Result{Commit: hash}, err
}

// checkCheckout refuses a checkout with changes or on another branch.
func (r Repo) checkCheckout(ctx context.Context, g git) error {
	dir := r.Location
	status, err := g.run(ctx, dir, "status", "--porcelain", "--untracked-files=all")
	if err != nil {
		return err
	}
	if status != "" {
		return fmt.Errorf("gitpublish: %s: the working tree is not clean (commit or remove these first):\n%s",
			dir, status)
	}
	branch, err := g.run(ctx, dir, "symbolic-ref", "--quiet", "--short", "HEAD")
	if err != nil || strings.TrimSpace(branch) != r.Branch {
		return fmt.Errorf("gitpublish: %s: the checkout is on %q, not on branch %s: check out %s there first",
			dir, strings.TrimSpace(branch), r.Branch, r.Branch)
	}
	return nil
}

// commitClone clones the repository into tmp, commits there and pushes.
func (r Repo) commitClone(ctx context.Context, g git, tmp string, c Change, message string) (Result, error) {
	dir := filepath.Join(tmp, "repo")
	if _, err := g.run(ctx, tmp, "clone", "--quiet", "--no-checkout", "--", r.Location, dir); err != nil {
		return Result{}, err
	}
	ref := "refs/remotes/origin/" + r.Branch
	if _, err := g.run(ctx, dir, "rev-parse", "--verify", "--quiet", ref); err == nil {
		_, err = g.run(ctx, dir, "checkout", "--quiet", "-B", r.Branch, ref)
		if err != nil {
			return Result{}, err
		}
	} else if err := g.orphan(ctx, dir, r.Branch); err != nil {
		return Result{}, err
	}
	hash, err := r.commitIn(ctx, g, dir, c, message)
	if err != nil || hash == "" {
		return Result{Commit: hash}, err
	}
	if _, err := g.run(ctx, dir, "push", "--quiet", "origin", "HEAD:refs/heads/"+r.Branch); err != nil {
		return Result{}, err
	}
	return Result{Commit: hash, Pushed: true}, nil
}

// commitIn writes the files in the work tree dir and commits them; it
// returns "" when nothing changed.
func (r Repo) commitIn(ctx context.Context, g git, dir string, c Change, message string) (string, error) {
	for _, folder := range c.Replace {
		if _, err := g.run(ctx, dir, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", folder); err != nil {
			return "", err
		}
		if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(folder))); err != nil {
			return "", fmt.Errorf("gitpublish: %w", err)
		}
	}
	args := []string{"add", "--"}
	for _, f := range c.Files {
		full := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", fmt.Errorf("gitpublish: %w", err)
		}
		if err := os.WriteFile(full, f.Data, 0o644); err != nil {
			return "", fmt.Errorf("gitpublish: %w", err)
		}
		args = append(args, path.Clean(f.Path))
	}
	if _, err := g.run(ctx, dir, args...); err != nil {
		return "", err
	}
	if _, err := g.run(ctx, dir, "diff", "--cached", "--quiet"); err == nil {
		return "", nil // the repository already holds them
	}
	if _, err := g.run(ctx, dir, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message); err != nil {
		return "", err
	}
	hash, err := g.run(ctx, dir, "rev-parse", "HEAD")
	return strings.TrimSpace(hash), err
}

// orphan starts branch with nothing in it (a repository that has no such
// branch yet, or no commit at all).
func (g git) orphan(ctx context.Context, dir, branch string) error {
	if _, err := g.run(ctx, dir, "checkout", "--quiet", "--orphan", branch); err != nil {
		return err
	}
	_, err := g.run(ctx, dir, "read-tree", "--empty")
	return err
}

// git runs the git command.
type git struct{ env []string }

// localKind reports whether loc is a local folder, and whether it is a
// bare repository.
func (g git) localKind(ctx context.Context, loc string) (local, bare bool, err error) {
	if strings.Contains(loc, "://") {
		return false, false, nil
	}
	st, err := os.Stat(loc)
	if err != nil || !st.IsDir() {
		return false, false, fmt.Errorf("gitpublish: %s is not a folder: want a git checkout, a bare repository "+
			"or an https URL", loc)
	}
	out, err := g.run(ctx, loc, "rev-parse", "--is-bare-repository")
	if err != nil {
		return false, false, fmt.Errorf("gitpublish: %s is not a git repository: %w", loc, err)
	}
	return true, strings.TrimSpace(out) == "true", nil
}

// run runs git in dir and returns its output; an error carries git's
// stderr (which never holds the header the token rides in).
func (g git) run(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Env = dir, g.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := cmp.Or(strings.TrimSpace(errb.String()), err.Error())
		return out.String(), fmt.Errorf("gitpublish: git %s (in %s): %s", args[0], dir, msg)
	}
	return out.String(), nil
}
