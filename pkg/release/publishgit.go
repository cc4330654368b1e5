package release

import (
	"context"
	"fmt"
	"net/mail"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/gitpublish"
	"github.com/svcpack/svcpack/pkg/packager"
)

// gitTarget is a git repository publish commits artifacts of some kinds
// to: one file (a formula, a manifest), or trees that replace their folders
// (the package repositories, kept by the pages branch).
type gitTarget struct {
	field, format string
	kinds         []packager.Kind
	trees         bool
	repo          config.GitRepo
}

func gitTargets(s *config.Spec) []gitTarget {
	return []gitTarget{
		{field: "homebrew.tap", format: "homebrew", kinds: []packager.Kind{packager.KindHomebrew}, repo: s.Homebrew.Tap},
		{field: "scoop.bucket", format: "scoop", kinds: []packager.Kind{packager.KindScoop}, repo: s.Scoop.Bucket},
		{field: "pages", format: "apt or dnf", kinds: pagesKinds, trees: true, repo: s.Pages},
	}
}

// pagesKinds are the artifacts the pages branch serves.
var pagesKinds = []packager.Kind{packager.KindApt, packager.KindDnf, packager.KindInstallSh}

// commitStep checks a tap's, bucket's or pages' settings and the release's
// files for it, and returns the step that commits them there.
func commitStep(ctx context.Context, s *config.Spec, o PublishOptions, dist string, m *Manifest, g gitTarget,
	out *Published) (func() error, error) {
	change, err := g.change(dist, m)
	if err != nil {
		return nil, err
	}
	addr, err := mail.ParseAddress(g.repo.Author)
	if err != nil {
		return nil, fmt.Errorf("publish: %s: %s.author %q is not \"Name <email>\": %w", s.Path, g.field, g.repo.Author, err)
	}
	r := gitpublish.Repo{Location: g.repo.Repository, Branch: g.repo.Branch, Name: addr.Name, Email: addr.Address}
	if !strings.Contains(r.Location, "://") {
		r.Location = s.Abs(r.Location)
	}
	if env := g.repo.TokenEnv; env != "" {
		if o.Getenv != nil {
			r.Token = o.Getenv(env)
		}
		if r.Token == "" {
			return nil, fmt.Errorf("publish: %s: %s.token_env names %s, which is not set: export the token "+
				"that may push to %s in it", s.Path, g.field, env, g.repo.Repository)
		}
	}
	if err := gitpublish.Check(ctx, r, change); err != nil {
		return nil, fmt.Errorf("publish: %s: %w", g.field, err)
	}
	rel := change.Files[0].Path
	if g.trees {
		rel = g.repo.Folder
	}
	return func() error {
		res, err := gitpublish.Commit(ctx, r, change,
			fmt.Sprintf("%s %s", s.Name, m.Version), time.Now())
		if err != nil {
			return fmt.Errorf("publish: %s: %w", g.field, err)
		}
		out.Commits = append(out.Commits, Committed{Field: g.field, Repository: g.repo.Repository, Path: rel,
			Commit: res.Commit})
		if res.Commit == "" {
			logf(o.Log, "svcpack publish: %s in %s is already %s %s\n", rel, g.repo.Repository, s.Name, m.Version)
		} else {
			logf(o.Log, "svcpack publish: %s -> %s %s (%s)\n", g.field, g.repo.Repository, rel, res.Commit[:12])
		}
		return nil
	}, nil
}

// change is what the target's commit writes: each recorded artifact of its
// kinds (checked against artifacts.json) under the target's folder, and for
// trees their top folders (apt/, dnf/) replaced.
func (g gitTarget) change(dist string, m *Manifest) (gitpublish.Change, error) {
	var c gitpublish.Change
	for _, a := range m.Artifacts {
		if !slices.Contains(g.kinds, a.Kind) {
			continue
		}
		file, err := recordedFile(dist, a)
		if err != nil {
			return c, err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("publish: %w", err)
		}
		rel := a.Path
		if !g.trees {
			rel = path.Base(a.Path)
		}
		c.Files = append(c.Files, gitpublish.File{Path: path.Join(g.repo.Folder, rel), Data: data})
		top, _, _ := strings.Cut(a.Path, "/")
		if dir := path.Join(g.repo.Folder, top); g.trees && top != a.Path && !slices.Contains(c.Replace, dir) {
			c.Replace = append(c.Replace, dir)
		}
	}
	if len(c.Files) == 0 {
		return c, fmt.Errorf("publish: %s records no %s artifact for %s: release with %s in formats first",
			filepath.Join(dist, packager.ManifestName), strings.Join(kindNames(g.kinds), " or "), g.field, g.format)
	}
	return c, nil
}

func kindNames(kinds []packager.Kind) []string {
	var out []string
	for _, k := range kinds {
		out = append(out, string(k))
	}
	return out
}
