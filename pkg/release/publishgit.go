package release

import (
	"context"
	"fmt"
	"net/mail"
	"os"
	"path"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/gitpublish"
	"github.com/svcpack/svcpack/pkg/packager"
)

// gitTarget is a git repository publish commits one kind of artifact to.
type gitTarget struct {
	field, format string
	kind          packager.Kind
	repo          config.GitRepo
}

func gitTargets(s *config.Spec) []gitTarget {
	return []gitTarget{
		{"homebrew.tap", "homebrew", packager.KindHomebrew, s.Homebrew.Tap},
		{"scoop.bucket", "scoop", packager.KindScoop, s.Scoop.Bucket},
	}
}

// commitStep checks a tap's or bucket's settings and the release's file
// for it, and returns the step that commits the file there.
func commitStep(ctx context.Context, s *config.Spec, o PublishOptions, dist string, m *Manifest, g gitTarget,
	out *Published) (func() error, error) {
	file, err := recorded(dist, m, g.kind, g.format)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
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
	rel := path.Join(g.repo.Folder, path.Base(file))
	files := []gitpublish.File{{Path: rel, Data: data}}
	if err := gitpublish.Check(ctx, r, files); err != nil {
		return nil, fmt.Errorf("publish: %s: %w", g.field, err)
	}
	return func() error {
		res, err := gitpublish.Commit(ctx, r, files,
			fmt.Sprintf("%s %s", s.Name, m.Version), s.Date)
		if err != nil {
			return fmt.Errorf("publish: %s: %w", g.field, err)
		}
		out.Commits = append(out.Commits, Committed{Field: g.field, Repository: g.repo.Repository, Path: rel,
			Commit: res.Commit})
		if res.Commit == "" {
			logf(o.Log, "svcpack publish: %s in %s is already %s %s\n", rel, g.repo.Repository, s.Name, m.Version)
		} else {
			logf(o.Log, "svcpack publish: %s -> %s %s (%s)\n", path.Base(file), g.repo.Repository, rel, res.Commit[:12])
		}
		return nil
	}, nil
}
