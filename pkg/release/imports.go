package release

import (
	"context"
	"os"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/contract"
	"github.com/svcpack/svcpack/pkg/matrix"
)

// listImports is config.Env.ListImports: `go list -deps` of the program
// for the query's target, with the build's environment and tags, read for
// what it speaks (pkg/contract).
func listImports(ctx context.Context, q config.ImportQuery) (config.Imports, error) {
	l := contract.Lister{GoTool: q.GoTool, Dir: q.Dir, Env: matrix.Env(os.Environ(), q.Target), Tags: q.Tags}
	g, err := l.List(ctx, q.Package)
	if err != nil {
		return config.Imports{}, err
	}
	return config.Imports{
		SCM: g.SCM().String(), Notify: g.Notify().String(),
		SCMPackage: contract.SCMPackage, NotifyPackages: contract.NotifyPackages,
	}, nil
}
