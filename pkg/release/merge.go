package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Merging the parts of a split release (parts.go makes them): the parts
// are checked against each other and the checkout, without reading their
// files; then their files are copied into the staging folder of dist/,
// each copy checked against the digest its part lists (partfile.go says
// how a part's files are opened), and the release-wide artifacts are made
// there. No file is read before every manifest has passed its checks, and
// each file listed is read once.

// LoadForMerge loads the config at path to merge the parts ps: the
// contract decisions made from the program's imports are taken from the
// parts when they all agree (merge then checks every part against the
// result), so the merge lists no imports, and the targets are not listed
// with `go tool dist list` again (each part's release did, on the same
// config). When the parts cannot be read or disagree it is Load, and Merge
// says why.
func LoadForMerge(path string, env config.Env, ps *Parts) (*config.Spec, error) {
	var decided *config.Contract
	for _, r := range ps.read {
		if r.err != nil || decided != nil && r.m.Contract != *decided {
			decided = nil
			break
		}
		decided = &r.m.Contract
	}
	env.Decided = decided
	// Every part's release checked the targets; merge refuses parts it
	// cannot read.
	env.TargetsChecked = len(ps.read) > 0 && !slices.ContainsFunc(ps.read, func(r partRead) bool { return r.err != nil })
	return Load(path, env)
}

// Parts are the parts of a split release to merge, as OpenParts found
// them: each one's manifest, or why it could not be read.
type Parts struct {
	read []partRead
}

// partRead is one part's directory, and its manifest or the error reading
// it.
type partRead struct {
	dir string
	m   *Part
	err error
}

// OpenParts reads the manifests of the parts in dirs (see ReadPart), and
// no other file: Merge checks the manifests first, then copies and hashes
// the files they list, as many at a time as its own Options say (o is not
// used). Once ctx ends, the manifests left are not read.
func OpenParts(ctx context.Context, dirs []string, o Options) *Parts {
	ps := &Parts{read: make([]partRead, len(dirs))}
	for i, dir := range dirs {
		r := &ps.read[i]
		r.dir = dir
		if r.err = ctx.Err(); r.err == nil {
			r.m, r.err = ReadPart(dir)
		}
	}
	return ps
}

// MergeError is a refused merge: every reason, each naming its part.
// Nothing was written.
type MergeError struct {
	// Problems are the reasons, one line each.
	Problems []string
}

func (e *MergeError) Error() string {
	return fmt.Sprintf("the parts do not make one release, nothing was written:\n  %s", strings.Join(e.Problems, "\n  "))
}

// within reports whether path is dir or inside it (both absolute).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsLocal(rel) || rel == "."
}

// mergedPart is a checked part: named dir, read from the folder root.
type mergedPart struct {
	dir, root string
	m         *Part
}

// checkParts checks the parts against want (this checkout's part
// description, with every target) and each other: where each part is, what
// it was made from, which targets and artifacts it holds, and then that
// every file is the one its part made and every target is in a part.
func checkParts(ctx context.Context, s *config.Spec, want Part, ps *Parts, dist string) ([]mergedPart, error) {
	distAbs, err := filepath.Abs(dist)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	c := &partCheck{s: s, want: want, dist: dist, distAbs: distAbs,
		owner: map[string]string{}, paths: map[string]string{}, seen: map[string]string{}}
	var parts []mergedPart
	for _, r := range ps.read {
		root, ok := c.locate(r)
		if !ok {
			continue
		}
		c.agree(r.dir, r.m)
		listed, ok := c.artifacts(r, c.targets(r.dir, r.m))
		if !ok {
			continue
		}
		c.strays(r.dir, root, listed)
		parts = append(parts, mergedPart{dir: r.dir, root: root, m: r.m})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	c.covered()
	if len(c.problems) > 0 {
		return nil, refused(c.problems)
	}
	return parts, nil
}

// partCheck is the state of checkParts: what the parts read so far hold,
// and the problems found.
type partCheck struct {
	s             *config.Spec
	want          Part
	dist, distAbs string
	problems      []string
	owner         map[string]string // target -> part dir
	paths         map[string]string // artifact path -> part dir
	seen          map[string]string // a part's absolute folder -> its name
	goPart, goVer string            // the first part read, and its Go
}

func (c *partCheck) bad(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// maxProblems bounds the reasons a MergeError lists: a hostile manifest
// can have tens of thousands of wrong lines.
const maxProblems = 100

// refused is the MergeError for problems, the first maxProblems of them.
func refused(problems []string) *MergeError {
	if n := len(problems) - maxProblems; n > 0 {
		problems = append(problems[:maxProblems:maxProblems], fmt.Sprintf("(and %d more)", n))
	}
	return &MergeError{Problems: problems}
}

// locate returns the folder the part r is read from, when it is a part
// the merge can take: named once, apart from dist, read.
func (c *partCheck) locate(r partRead) (string, bool) {
	dir := r.dir
	// A part named through a link is the folder it leads to: that is
	// what is read, walked and compared with dist.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		root = dir
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		c.bad("part %s: %v", dir, err)
		return "", false
	}
	if prev, ok := c.seen[abs]; ok {
		c.bad("part %s: named twice (also as %s)", dir, prev)
		return "", false
	}
	c.seen[abs] = dir
	// The merge replaces dist: a part inside it would be lost, and a
	// part around it would hold the merged release.
	if within(c.distAbs, abs) || within(abs, c.distAbs) {
		c.bad("part %s: the merged release goes to %s, which is this part, inside it or around it: download the parts elsewhere", dir, c.dist)
		return "", false
	}
	if r.err != nil {
		c.bad("part %v", r.err)
		return "", false
	}
	if r.m.Format != partFormat {
		c.bad("part %s: part format %d, but this svcpack merges format %d: make every part with the same svcpack", dir, r.m.Format, partFormat)
		return "", false
	}
	return root, true
}

// agree checks that the part m was made from what the merge has: the
// project, version, commit, date, svcpack, config, files and decisions,
// and with the Go of the other parts.
func (c *partCheck) agree(dir string, m *Part) {
	want := c.want
	for _, d := range []struct{ what, got, want, hint string }{
		{"project name", m.Name, want.Name, "svcpack.yaml's name"},
		{"version", m.Version, want.Version, "tag, SVCPACK_VERSION or version:"},
		{"commit", m.Commit, want.Commit, "each job must check out the same commit"},
		{"date", m.Date, want.Date, "SOURCE_DATE_EPOCH or the commit time"},
		{"svcpack", m.Svcpack, want.Svcpack, "every job must run the same svcpack build"},
		{"config", m.Config, want.Config, "svcpack.yaml's resolved values, with the environment it reads"},
		{"files", m.Files, want.Files, "the content of the files svcpack.yaml names"},
	} {
		if d.got != d.want {
			c.bad("part %s: %s %q, but the merge has %q (%s)", dir, d.what, d.got, d.want, d.hint)
		}
	}
	// The merge builds nothing, so its own Go does not matter; the
	// parts' binaries must come from one toolchain.
	if c.goPart == "" {
		c.goPart, c.goVer = dir, m.Go
	} else if m.Go != c.goVer {
		c.bad("part %s: Go toolchain %q, but part %s has %q (every job must build with the same Go: setup-go with go-version-file, or a toolchain line in go.mod)", dir, m.Go, c.goPart, c.goVer)
	}
	if m.Contract != want.Contract {
		c.bad("part %s: decided %s, but the merge has %s (the program's imports or service.wrap/service.linux.notify differ)", dir, contractText(m.Contract), contractText(want.Contract))
	}
}

// targets claims the part's targets, each of the config's, listed once and
// in no other part, and returns them.
func (c *partCheck) targets(dir string, m *Part) []platform.Target {
	var own []platform.Target
	for _, ts := range c.once(dir, "target", m.Targets) {
		t, err := platform.Parse(ts)
		if err != nil || !slices.Contains(c.s.Targets, t) {
			c.bad("part %s: target %q is not among %s's targets", dir, ts, c.s.Path)
			continue
		}
		if o, ok := c.owner[ts]; ok {
			c.bad("target %s is in two parts: %s and %s", ts, o, dir)
			continue
		}
		c.owner[ts] = dir
		if !slices.Contains(own, t) {
			own = append(own, t)
		}
	}
	return own
}

// artifacts checks the part's manifest against what svcpack.yaml makes for
// its targets (a combined target, darwin/universal, is the part's when it
// holds every target combined into it: splitsNoCombined), each file listed
// once, and returns the names listed. It reads none of the files.
func (c *partCheck) artifacts(r partRead, own []platform.Target) (map[string]bool, bool) {
	dir, m := r.dir, r.m
	declared, err := partArtifacts(c.s, own)
	if err != nil {
		c.bad("part %s: %v", dir, err)
		return nil, false
	}
	var paths []string
	for _, a := range m.Artifacts {
		paths = append(paths, a.Path)
	}
	first := map[string]bool{}
	for _, p := range c.once(dir, "artifact", paths) {
		first[p] = true
	}
	listed := map[string]bool{PartName: true}
	for _, a := range m.Artifacts {
		if !first[a.Path] {
			continue // a repeated line, refused by once
		}
		delete(first, a.Path)
		listed[a.Path] = true
		if o, ok := c.paths[a.Path]; ok {
			c.bad("artifact %s is in two parts: %s and %s", a.Path, o, dir)
			continue
		}
		c.paths[a.Path] = dir
		// Only what svcpack.yaml makes for the part's targets, as the
		// packager that makes it says: a manifest cannot add a file (a
		// path outside the part, a name the merge writes, a line break
		// for checksums.txt), give one another kind (a program's mode),
		// or leave one out.
		d, ok := declared[a.Path]
		if !ok {
			c.bad("part %s: artifact %q is not one svcpack.yaml makes for the part's targets", dir, a.Path)
			continue
		}
		if d.Kind != a.Kind || d.Platform() != a.Platform() {
			c.bad("part %s: artifact %s is listed as %s for %q, but svcpack.yaml makes it as %s for %q", dir, a.Path, a.Kind, a.Target(), d.Kind, d.Target())
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(declared)) {
		if !listed[rel] {
			c.bad("part %s lacks %s, which svcpack.yaml makes for %s", dir, rel, declared[rel].Target())
		}
	}
	return listed, true
}

// once refuses each name the part's manifest lists more than once under
// what ("target", "artifact"), with the number of times, and returns the
// names without repeats, in their order.
func (c *partCheck) once(dir, what string, names []string) []string {
	count := map[string]int{}
	var out []string
	for _, n := range names {
		if count[n]++; count[n] == 1 {
			out = append(out, n)
		}
	}
	for _, n := range out {
		if count[n] > 1 {
			c.bad("part %s: %s %q is listed %d times in its %s", dir, what, n, count[n], PartName)
		}
	}
	return out
}

// strays refuses a file the manifest does not list (a stray, or another
// part unpacked into this one), and anything but a regular file: a
// symbolic link (to anywhere) is refused like a stray. The part's
// DistMarker, which the release wrote, is no stray.
func (c *partCheck) strays(dir, root string, listed map[string]bool) {
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		switch {
		case err != nil:
			c.bad("part %s: %v", dir, err)
		case d.IsDir():
		case !d.Type().IsRegular():
			c.bad("part %s: %v", dir, notRegular(rel, d.Type()))
		case rel == DistMarker:
		case !listed[filepath.ToSlash(rel)]:
			c.bad("part %s: %s is not listed in its %s", dir, filepath.ToSlash(rel), PartName)
		}
		return nil
	})
}

// covered checks that every target of the config is in a part.
func (c *partCheck) covered() {
	var missing []string
	for _, t := range c.s.Targets {
		if _, ok := c.owner[t.String()]; !ok {
			missing = append(missing, t.String())
		}
	}
	if len(missing) > 0 && len(c.problems) == 0 {
		c.bad("no part has target(s) %s: add a part made with -targets matching them", strings.Join(missing, " "))
	} else if len(missing) > 0 {
		c.bad("no part (that could be read) has target(s) %s", strings.Join(missing, " "))
	}
}

// partArtifacts are the artifacts a part of targets makes, by path, with
// their kinds and targets, as the packagers declare them (Packager.Paths):
// every per-target packager svcpack.yaml enables, for the targets and
// those combined from them.
func partArtifacts(s *config.Spec, targets []platform.Target) (map[string]Artifact, error) {
	out := map[string]Artifact{}
	pks := registry()
	for _, t := range planTargets(s, targets, pks) {
		for _, pk := range pks {
			if pk.ReleaseWide || pk.Paths == nil || !pk.AppliesTo(s, t) {
				continue
			}
			paths, err := pk.Paths(s, t)
			if err != nil {
				return nil, fmt.Errorf("%s for %s: %w", pk.Name, t, err)
			}
			for _, rel := range paths {
				out[rel] = Artifact{Path: rel, Kind: pk.ArtifactKind(), OS: t.OS, Arch: t.Arch, Variant: t.Variant}
			}
		}
	}
	return out, nil
}

// contractText says what a part decided, for messages.
func contractText(c config.Contract) string {
	return fmt.Sprintf("wrap %v and notify %v", c.Wrap.On, c.Notify.On)
}

// mergeHooks let tests act inside a merge; nil outside them.
var mergeHooks struct {
	// hashed is called when the copy of a part's file (part, the part's
	// name, rel the file's path) has been hashed, before it is checked
	// and published.
	hashed func(part, rel string)
}

// stageParts copies every part's files into the plan's staging folder,
// workers at a time, and checks each copy against its part's manifest
// (stagePartFile). Files that are not the ones listed make a *MergeError
// naming each; once ctx ends, no more files are read.
func stageParts(ctx context.Context, p *Plan, parts []mergedPart, workers int) error {
	var files []*stagedFile
	for i := range parts {
		part := &parts[i]
		root, err := os.OpenRoot(part.root)
		if err != nil {
			return fmt.Errorf("part %s: %w", part.dir, err)
		}
		defer root.Close()
		for _, a := range part.m.Artifacts {
			if err := p.claim(a.Path, "part "+part.dir); err != nil { // no release-wide job may write it too
				return err
			}
			files = append(files, &stagedFile{part: part.dir, root: root, a: a})
		}
	}
	stageEach(ctx, p, files, workers)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	var problems []string
	for _, f := range files {
		var mm *mismatchError
		switch {
		case errors.As(f.err, &mm):
			problems = append(problems, fmt.Sprintf("part %s: artifact %v", f.part, f.err))
		case errors.Is(f.err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("part %s: artifact %s: %v (an incomplete download?)",
				f.part, f.a.Path, f.err))
		case f.err != nil:
			problems = append(problems, fmt.Sprintf("part %s: artifact %s: %v", f.part, f.a.Path, f.err))
		}
	}
	if len(problems) > 0 {
		return refused(problems)
	}
	for _, f := range files {
		p.add(f.a)
	}
	return nil
}

// stagedFile is a file of a part to copy into the staging folder: the
// part's name, its folder and the artifact; and why it could not be.
type stagedFile struct {
	part string
	root *os.Root
	a    Artifact
	err  error
}

// stageEach runs stagePartFile for files, workers at a time (GOMAXPROCS
// when 0), the largest first so that no worker is left with a large file
// at the end; once ctx ends, the files left get its error.
func stageEach(ctx context.Context, p *Plan, files []*stagedFile, workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	order := slices.Clone(files)
	slices.SortStableFunc(order, func(x, y *stagedFile) int { return cmp.Compare(y.a.Size, x.a.Size) })
	next := make(chan *stagedFile)
	var wg sync.WaitGroup
	for range min(workers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if f.err = ctx.Err(); f.err != nil { // after Ctrl-C, no more reading
					continue
				}
				var hashed func()
				if h := mergeHooks.hashed; h != nil {
					hashed = func() { h(f.part, f.a.Path) }
				}
				f.err = stagePartFile(f.root, f.a, p.Abs(f.a.Path), artifactMode(f.a.Kind), hashed)
			}
		}()
	}
	for _, f := range order {
		next <- f
	}
	close(next)
	wg.Wait()
}

// Merge makes the release of s from parts made by Release with
// Options.Partial (their dist directories, opened by OpenParts): it checks
// them (see checkParts), then writes dist/ as Release does, through a staging
// directory, with copies of the parts' artifacts, each checked against the
// digest its part lists (see stageParts), the release-wide artifacts,
// checksums.txt, its signature and artifacts.json. A refused merge returns
// a *MergeError and leaves dist/ as it was.
func Merge(ctx context.Context, s *config.Spec, ps *Parts, o Options) (*Result, error) {
	rep := o.reporter()
	dist := o.dist(s)
	if len(ps.read) == 0 {
		return nil, errors.New("merge: no parts given")
	}
	start := time.Now()
	rep.printf(Normal, "svcpack: merging %d parts of %s %s into %s\n", len(ps.read), s.Name, s.Version, dist)
	want, err := newPart(s, s.Targets, "")
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	parts, err := checkParts(ctx, s, want, ps, dist)
	if err != nil {
		return nil, err // a *MergeError says what it is
	}
	var once []*packager.Packager
	for _, pk := range o.packagers() {
		if pk.ReleaseWide {
			once = append(once, pk)
		}
	}
	// The parts' files go in first, then the release-wide jobs run on them.
	fill := func(p *Plan) error {
		if err := stageParts(ctx, p, parts, o.Parallelism); err != nil {
			return err
		}
		for _, part := range parts {
			rep.printf(Normal, "  %-10s %-15s %s\n", "part", part.dir, strings.Join(part.m.Targets, " "))
		}
		return nil
	}
	p, err := runStaged(ctx, s, o, staged{what: "merge", fill: fill, pks: once, end: finish})
	var me *MergeError
	if errors.As(err, &me) {
		return nil, me // a part's file was not the one listed: dist/ is as it was
	}
	if err != nil {
		return nil, err
	}
	arts := p.Artifacts()
	rep.table(dist, arts)
	rep.printf(Normal, "svcpack: merged %d parts of %s %s: %d artifacts in %.1fs\n", len(parts), s.Name, s.Version, len(arts), time.Since(start).Seconds())
	return &Result{Dist: dist, Artifacts: arts}, nil
}

// artifactMode is the mode a release gives an artifact of kind k: the
// programs are executable.
func artifactMode(k packager.Kind) fs.FileMode {
	if k == packager.KindBinary || k == packager.KindWrapper {
		return 0o755
	}
	return 0o644
}
