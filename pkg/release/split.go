package release

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Split releases.
//
// A release can be made in parts on several machines (the jobs of a CI
// matrix) and merged into the release one machine would have made. A part
// (Options.Partial) runs every per-target job of its targets and writes, in
// place of checksums.txt and artifacts.json, a part manifest (PartName)
// saying what it was made from: the project, version, commit and date, a
// digest of the resolved config and one of the files it names, and the
// identity of the svcpack that made it. Merge checks that the parts agree
// with each other and with the merging checkout, that every target is in
// exactly one part and every artifact is the file its part listed, and only
// then writes dist/: the parts' artifacts, the release-wide artifacts
// (Packager.ReleaseWide), checksums.txt, its signature and artifacts.json. Since
// every artifact of a target depends only on that target's inputs, the
// result is byte for byte the single-machine release.

// PartName is the part manifest's file name in a part's dist directory.
const PartName = "partial.json"

// partFormat is the version of the part manifest; parts of another format
// do not merge. (Format 2 listed BLAKE3 digests besides the SHA-256s; 3
// does not: merge checks the SHA-256 it publishes.)
const partFormat = 3

// Part is the content of a part's partial.json.
type Part struct {
	// Format is the manifest's format version.
	Format int `json:"svcpack_part"`
	// Name, Version, Commit and Date are the release's, as in artifacts.json.
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Date    string `json:"date"`
	// Config is the SHA-256 of the resolved config (every value after
	// defaults, with paths relative to the config file), the same on every
	// machine for the same svcpack.yaml, environment and commit.
	Config string `json:"config"`
	// Files is the SHA-256 of the content of every file the config names
	// (icon, licence, config files, keys), by path.
	Files string `json:"files"`
	// Svcpack identifies the svcpack that made the part (see svcpackID).
	Svcpack string `json:"svcpack"`
	// Go is the Go toolchain that built the binaries (go env GOVERSION in
	// the module, after any toolchain switch go.mod asks for).
	Go string `json:"go"`
	// Contract holds the decisions made from the program's imports (also
	// in Config); merge takes them instead of listing the imports again.
	Contract config.Contract `json:"contract"`
	// Targets are the part's targets, in the config's order.
	Targets []string `json:"targets"`
	// Artifacts are the part's files, as artifacts.json lists them.
	Artifacts []Artifact `json:"artifacts"`
}

// splitsNoCombined refuses a part whose targets hold some, not all, of
// the targets a combining packager joins (darwin/amd64 without
// darwin/arm64 for the universal binary): no part could make the combined
// target, and the merged release would lack it.
func splitsNoCombined(s *config.Spec, targets []platform.Target, pks []*packager.Packager) error {
	for _, pk := range pks {
		if pk.Combines == nil || !pk.Enabled(s) {
			continue
		}
		for _, c := range pk.Combines(s, s.Targets) {
			n := 0
			for _, f := range c.From {
				if slices.Contains(targets, f) {
					n++
				}
			}
			if n > 0 && n < len(c.From) {
				var from []string
				for _, f := range c.From {
					from = append(from, f.String())
				}
				return fmt.Errorf("part: the %s format combines %s into %s, and this part holds only some of them: release them in one part (-targets %s)",
					pk.Name, strings.Join(from, " and "), c.Target, strings.Join(from, ","))
			}
		}
	}
	return nil
}

// MatchTargets returns the config's targets that match any of globs, in the
// config's order. A glob (path.Match syntax) matches a target when it
// matches its os/arch or its full name with the variant: "linux/*" takes
// linux/arm/7, "linux/arm/*" only the ARM variants. A glob that is not
// valid, or that matches no target, is an error naming the targets.
func MatchTargets(s *config.Spec, globs []string) ([]platform.Target, error) {
	var names []string
	for _, t := range s.Targets {
		names = append(names, t.String())
	}
	take := make([]bool, len(s.Targets))
	for _, g := range globs {
		g = strings.TrimSpace(g)
		if _, err := path.Match(g, ""); err != nil || g == "" {
			return nil, fmt.Errorf("-targets: %q is not a valid pattern (use os/arch with * and ?, such as linux/* or windows/amd64)", g)
		}
		hit := false
		for i, t := range s.Targets {
			full, _ := path.Match(g, t.String())
			short, _ := path.Match(g, t.OS+"/"+t.Arch)
			if full || short {
				take[i], hit = true, true
			}
		}
		if !hit {
			return nil, fmt.Errorf("-targets: %q matches none of %s's targets (%s)", g, s.Path, strings.Join(names, " "))
		}
	}
	var out []platform.Target
	for i, t := range s.Targets {
		if take[i] {
			out = append(out, t)
		}
	}
	return out, nil
}

// svcpackID names the running svcpack for a part manifest. A released or
// cleanly committed svcpack is named the same on every OS and architecture
// (so a part made on a Windows runner merges on Linux): its module version
// or VCS revision, the Go version and a digest of its dependencies. Any
// other build (a local edit, a replaced module) is named by its
// executable's build ID, which only that very build matches.
func svcpackID() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if id := portableID(bi); id != "" {
			return id
		}
	}
	return executableID()
}

// portableID is svcpackID's machine-independent name, or "" when bi does
// not pin svcpack's source.
func portableID(bi *debug.BuildInfo) string {
	var mod *debug.Module
	rev, modified := "", ""
	if bi.Main.Path == svcpackModule {
		mod = &bi.Main
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	} else {
		for _, d := range bi.Deps {
			if d.Path == svcpackModule {
				mod = d
			}
		}
	}
	if mod == nil || mod.Replace != nil && mod.Replace.Version == "" {
		return "" // not found, or replaced by a local directory
	}
	name := ""
	switch {
	case mod.Version != "" && mod.Version != "(devel)" && !strings.HasSuffix(mod.Version, "+dirty"):
		name = mod.Version
	case rev != "" && modified == "false":
		name = "rev " + rev
	default:
		return ""
	}
	h := sha256.New()
	for _, d := range bi.Deps {
		if r := d.Replace; r != nil {
			if r.Version == "" {
				return "" // a dependency from a local directory
			}
			d = r
		}
		fmt.Fprintf(h, "%s %s %s\n", d.Path, d.Version, d.Sum)
	}
	return fmt.Sprintf("svcpack %s %s deps sha256:%s", name, bi.GoVersion, hex.EncodeToString(h.Sum(nil))[:16])
}

// configDigests returns Part.Config and Part.Files for s.
func configDigests(s *config.Spec) (cfg, files string, err error) {
	b, err := json.Marshal(s.Portable())
	if err != nil {
		return "", "", fmt.Errorf("config digest: %w", err)
	}
	sum := sha256.Sum256(b)
	cfg = hex.EncodeToString(sum[:])
	h := sha256.New()
	for _, f := range s.PathsIn() {
		d, err := pathDigest(string(f))
		if err != nil {
			return "", "", fmt.Errorf("config digest: %w", err)
		}
		rel, err := filepath.Rel(s.Dir, string(f))
		if err != nil {
			rel = string(f)
		}
		fmt.Fprintf(h, "%s %s\n", filepath.ToSlash(rel), d)
	}
	return cfg, hex.EncodeToString(h.Sum(nil)), nil
}

// newPart describes a part made from s for targets with the Go toolchain
// goVersion ("" for the merge, which builds nothing: see checkParts).
func newPart(s *config.Spec, targets []platform.Target, goVersion string) (Part, error) {
	cfg, files, err := configDigests(s)
	if err != nil {
		return Part{}, err
	}
	p := Part{
		Format: partFormat, Name: s.Name, Version: s.Version.String(), Commit: s.Commit,
		Date: s.Date.UTC().Format(time.RFC3339), Config: cfg, Files: files, Svcpack: svcpackID(),
		Go: goVersion, Contract: s.Service.Contract,
	}
	for _, t := range targets {
		p.Targets = append(p.Targets, t.String())
	}
	return p, nil
}

// finishPart writes a part's manifest, in place of finish.
func finishPart(p *Plan) error {
	cmd := exec.Command(p.goTool, "env", "GOVERSION")
	cmd.Dir = p.spec.Dir
	out, err := cmd.Output()
	if err != nil {
		return &StepError{Step: "part", Err: fmt.Errorf("%s env GOVERSION: %w", p.goTool, err)}
	}
	m, err := newPart(p.spec, p.targets, strings.TrimSpace(string(out)))
	if err != nil {
		return &StepError{Step: "part", Err: err}
	}
	m.Artifacts = p.Artifacts()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return &StepError{Step: "part", Err: err}
	}
	if err := p.small(PartName, "", append(b, '\n')); err != nil {
		return &StepError{Step: "part", Err: err}
	}
	return nil
}

// maxPartManifest bounds a part manifest's size: a downloaded file is
// read whole, and a real one is a few kilobytes.
const maxPartManifest = 16 << 20

// readLimited reads a file of at most max bytes.
func readLimited(file string, max int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("%s: over %d bytes", file, max)
	}
	return data, err
}

// ReadPart reads a part's manifest from its directory.
func ReadPart(dir string) (*Part, error) {
	file := filepath.Join(dir, PartName)
	data, err := readLimited(file, maxPartManifest)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, packager.ManifestName)); err == nil {
			return nil, fmt.Errorf("%s holds a whole release (%s), not a part: make parts with svcpack release -partial", dir, packager.ManifestName)
		}
		return nil, fmt.Errorf("%s has no %s: a part is the dist directory of svcpack release -partial, uploaded whole", dir, PartName)
	}
	if err != nil {
		return nil, err
	}
	var m Part
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &m, nil
}

// PartDirs expands shell patterns naming parts (parts/*), as a shell
// would, for callers that get them unexpanded (Mage, CI steps on Windows):
// * does not match hidden names (the parts' caches beside them), a name
// that exists is taken as it is (a shell expanded it already), and a
// pattern that matches nothing stays as it is, for Merge to name.
func PartDirs(patterns []string) []string {
	var dirs []string
	for _, pat := range patterns {
		if _, err := os.Lstat(pat); err == nil {
			dirs = append(dirs, pat) // a name (the shell globbed already), even with [ or *
			continue
		}
		matches, err := filepath.Glob(pat)
		if err != nil || len(matches) == 0 {
			dirs = append(dirs, pat)
			continue
		}
		for _, m := range matches {
			if !strings.HasPrefix(filepath.Base(m), ".") || strings.HasPrefix(filepath.Base(pat), ".") {
				dirs = append(dirs, m)
			}
		}
	}
	return dirs
}

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
// them: each one's manifest (or why it could not be read) and the digests
// of the files it lists, computed in the background from the moment the
// manifests are read, while the config loads.
type Parts struct {
	read []partRead
	done chan struct{} // closed when every digest is in
}

// partRead is one part's directory, manifest or the error reading it, and
// the digests of its artifacts' files, by index in m.Artifacts.
type partRead struct {
	dir     string
	m       *Part
	err     error
	digests []fileDigest
}

// OpenParts reads the manifests of the parts in dirs and starts hashing
// the files they list, o.Parallelism files at a time (every core by
// default), until done or ctx ends. What it finds is checked by Merge.
func OpenParts(ctx context.Context, dirs []string, o Options) *Parts {
	ps := &Parts{read: make([]partRead, len(dirs)), done: make(chan struct{})}
	var names []string
	var into []*fileDigest
	for i, dir := range dirs {
		r := &ps.read[i]
		r.dir = dir
		r.m, r.err = ReadPart(dir)
		if r.err != nil {
			continue
		}
		r.digests = make([]fileDigest, len(r.m.Artifacts))
		for j, a := range r.m.Artifacts {
			// Only plain paths inside the part are read (Merge refuses the
			// others without reading them).
			if filepath.IsLocal(filepath.FromSlash(a.Path)) && path.Clean(a.Path) == a.Path {
				names = append(names, filepath.Join(dir, filepath.FromSlash(a.Path)))
				into = append(into, &r.digests[j])
			}
		}
	}
	go func() {
		defer close(ps.done)
		for i, d := range digestFiles(ctx, names, o.Parallelism) {
			*into[i] = d
		}
	}()
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

// mergedPart is a checked part.
type mergedPart struct {
	dir string
	m   *Part
}

// checkParts checks the parts against want (this checkout's part
// description, with every target) and each other.
func checkParts(ctx context.Context, s *config.Spec, want Part, ps *Parts, dist string) ([]mergedPart, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	owner := map[string]string{} // target -> part dir
	paths := map[string]string{} // artifact path -> part dir
	var parts []mergedPart
	var files []partFile        // hashed by OpenParts
	goPart, goVersion := "", "" // the first part read, and its Go
	seen := map[string]string{}
	distAbs, err := filepath.Abs(dist)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	for _, r := range ps.read {
		dir := r.dir
		// A part named through a link is the folder it leads to: that is
		// what is read, walked and compared with dist.
		root, err := filepath.EvalSymlinks(dir)
		if err != nil {
			root = dir
		}
		abs, err := filepath.Abs(root)
		if err != nil {
			bad("part %s: %v", dir, err)
			continue
		}
		if prev, ok := seen[abs]; ok {
			bad("part %s: named twice (also as %s)", dir, prev)
			continue
		}
		seen[abs] = dir
		// The merge replaces dist: a part inside it would be lost, and a
		// part around it would hold the merged release.
		if within(distAbs, abs) || within(abs, distAbs) {
			bad("part %s: the merged release goes to %s, which is this part, inside it or around it: download the parts elsewhere", dir, dist)
			continue
		}
		m := r.m
		if r.err != nil {
			bad("part %v", r.err)
			continue
		}
		if m.Format != partFormat {
			bad("part %s: part format %d, but this svcpack merges format %d: make every part with the same svcpack", dir, m.Format, partFormat)
			continue
		}
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
				bad("part %s: %s %q, but the merge has %q (%s)", dir, d.what, d.got, d.want, d.hint)
			}
		}
		// The merge builds nothing, so its own Go does not matter; the
		// parts' binaries must come from one toolchain.
		if goPart == "" {
			goPart, goVersion = dir, m.Go
		} else if m.Go != goVersion {
			bad("part %s: Go toolchain %q, but part %s has %q (every job must build with the same Go: setup-go with go-version-file, or a toolchain line in go.mod)", dir, m.Go, goPart, goVersion)
		}
		if m.Contract != want.Contract {
			bad("part %s: decided %s, but the merge has %s (the program's imports or service.wrap/service.linux.notify differ)", dir, contractText(m.Contract), contractText(want.Contract))
		}
		mine := map[platform.Target]bool{}
		for _, ts := range m.Targets {
			t, err := platform.Parse(ts)
			if err != nil || !slices.Contains(s.Targets, t) {
				bad("part %s: target %q is not among %s's targets", dir, ts, s.Path)
				continue
			}
			if o, ok := owner[ts]; ok {
				bad("target %s is in two parts: %s and %s", ts, o, dir)
				continue
			}
			owner[ts] = dir
			mine[t] = true
		}
		// A combined target (darwin/universal) is the part's when it holds
		// every target combined into it (splitsNoCombined).
		var own []platform.Target
		for t := range mine {
			own = append(own, t)
		}
		declared, err := partArtifacts(s, own)
		if err != nil {
			bad("part %s: %v", dir, err)
			continue
		}
		listed := map[string]bool{PartName: true}
		for j, a := range m.Artifacts {
			listed[a.Path] = true
			if o, ok := paths[a.Path]; ok {
				bad("artifact %s is in two parts: %s and %s", a.Path, o, dir)
				continue
			}
			paths[a.Path] = dir
			// Only what svcpack.yaml makes for the part's targets, as the
			// packager that makes it says: a manifest cannot add a file (a
			// path outside the part, a name the merge writes, a line
			// break for checksums.txt), give one another kind (a
			// program's mode), or leave one out.
			d, ok := declared[a.Path]
			if !ok {
				bad("part %s: artifact %q is not one svcpack.yaml makes for the part's targets", dir, a.Path)
				continue
			}
			if d.Kind != a.Kind || d.Platform() != a.Platform() {
				bad("part %s: artifact %s is listed as %s for %q, but svcpack.yaml makes it as %s for %q", dir, a.Path, a.Kind, a.Target(), d.Kind, d.Target())
			}
			files = append(files, partFile{dir: dir, a: a, got: &r.digests[j]})
		}
		for _, rel := range slices.Sorted(maps.Keys(declared)) {
			if !listed[rel] {
				bad("part %s lacks %s, which svcpack.yaml makes for %s", dir, rel, declared[rel].Target())
			}
		}
		// A file the manifest does not list is not the part's (a stray, or
		// another part unpacked into this one).
		// Only regular files are merged: a symbolic link (to anywhere) is
		// refused like a stray.
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			rel, _ := filepath.Rel(root, p)
			switch {
			case err != nil:
				bad("part %s: %v", dir, err)
			case d.IsDir():
			case !d.Type().IsRegular():
				bad("part %s: %s is not a regular file (%s)", dir, filepath.ToSlash(rel), d.Type())
			case !listed[filepath.ToSlash(rel)]:
				bad("part %s: %s is not listed in its %s", dir, filepath.ToSlash(rel), PartName)
			}
			return nil
		})
		parts = append(parts, mergedPart{dir: dir, m: m})
	}
	// Every file must be the one its part made.
	select {
	case <-ps.done:
	case <-ctx.Done():
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	for _, f := range files {
		switch d, a := f.got, f.a; {
		case d.err != nil:
			bad("part %s: artifact %s: %v (an incomplete download?)", f.dir, a.Path, d.err)
		case d.sum != a.SHA256 || d.size != a.Size:
			bad("part %s: artifact %s is not the file the part made (sha256 %s, %d bytes; listed %s, %d bytes): damaged in transfer?", f.dir, a.Path, d.sum, d.size, a.SHA256, a.Size)
		}
	}
	var missing []string
	for _, t := range s.Targets {
		if _, ok := owner[t.String()]; !ok {
			missing = append(missing, t.String())
		}
	}
	if len(missing) > 0 && len(problems) == 0 {
		bad("no part has target(s) %s: add a part made with -targets matching them", strings.Join(missing, " "))
	} else if len(missing) > 0 {
		bad("no part (that could be read) has target(s) %s", strings.Join(missing, " "))
	}
	if len(problems) > 0 {
		return nil, &MergeError{Problems: problems}
	}
	return parts, nil
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

// partFile is an artifact of a part and what its file holds.
type partFile struct {
	dir string
	a   Artifact
	got *fileDigest
}

// fileDigest is the SHA-256 and size of a file's content, or why they
// could not be read.
type fileDigest struct {
	sum  string
	size int64
	err  error
}

// digestFiles hashes the files, workers at a time (GOMAXPROCS when 0), the
// largest first so that no worker is left with a large file at the end;
// once ctx ends, the files left get its error.
// Merge checks the very digest checksums.txt publishes, SHA-256.
func digestFiles(ctx context.Context, paths []string, workers int) []fileDigest {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]fileDigest, len(paths))
	order := make([]int, len(paths))
	size := make([]int64, len(paths))
	for i, p := range paths {
		order[i] = i
		if fi, err := os.Stat(p); err == nil {
			size[i] = fi.Size()
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := &out[i]
				if d.err = ctx.Err(); d.err == nil { // after Ctrl-C, no more reading
					d.sum, d.size, d.err = hashRegularFile(paths[i])
				}
			}
		}()
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// hashRegularFile is hashFile for a file that must be a regular one: a
// part's symbolic link to /dev/zero or a named pipe must not hang the
// merge (Merge refuses them).
func hashRegularFile(path string) (string, int64, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !os.SameFile(fi, st) {
		return "", 0, fmt.Errorf("%s changed while it was read", path)
	}
	return hashOpen(f)
}

// Merge makes the release of s from parts made by Release with
// Options.Partial (their dist directories, opened by OpenParts): it checks
// them (see checkParts), then writes dist/ as Release does, through a staging
// directory, with the parts' artifacts (hard-linked where the file system
// allows), the release-wide artifacts, checksums.txt, its signature and
// artifacts.json. A refused merge returns a *MergeError and writes nothing.
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
	// The parts' files go in first (hard-linked where the file system
	// allows), then the release-wide jobs run on them.
	fill := func(p *Plan) error {
		for _, part := range parts {
			for _, a := range part.m.Artifacts {
				src := filepath.Join(part.dir, filepath.FromSlash(a.Path))
				if err := p.claim(a.Path, "part "+part.dir); err != nil { // no release-wide job may write it too
					return err
				}
				if err := linkOrCopy(src, p.Abs(a.Path), artifactMode(a.Kind)); err != nil {
					return fmt.Errorf("part %s: %s: %w", part.dir, a.Path, err)
				}
				p.add(a)
			}
			rep.printf(Normal, "  %-10s %-15s %s\n", "part", part.dir, strings.Join(part.m.Targets, " "))
		}
		return nil
	}
	p, err := runStaged(ctx, s, o, staged{what: "merge", fill: fill, pks: once, end: finish})
	if err != nil {
		return nil, err
	}
	arts := p.Artifacts()
	rep.table(dist, arts)
	rep.printf(Normal, "svcpack: merged %d parts of %s %s: %d artifacts in %.1fs\n", len(parts), s.Name, s.Version, len(arts), time.Since(start).Seconds())
	return &Result{Dist: dist, Artifacts: arts}, nil
}

// linkOrCopy puts src at dst with mode: a hard link where the file system
// allows and src has that mode, otherwise a copy. (A part's files may
// have lost their modes on the way: actions/upload-artifact keeps none.)
func linkOrCopy(src, dst string, mode fs.FileMode) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() == mode && link(src, dst) == nil {
		return nil
	}
	return packager.CopyFile(src, dst, mode)
}

// artifactMode is the mode a release gives an artifact of kind k: the
// programs are executable.
func artifactMode(k packager.Kind) fs.FileMode {
	if k == packager.KindBinary || k == packager.KindWrapper {
		return 0o755
	}
	return 0o644
}
