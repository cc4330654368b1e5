package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
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
		fmt.Fprintf(h, "%s %s\n", s.Rel(string(f)), d)
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

// ReadPart reads a part's manifest from its directory, opened as every
// file of a part is (openPartFile): a link, a named pipe or a device in
// its place is refused without reading it.
func ReadPart(dir string) (*Part, error) {
	data, err := readPartManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, packager.ManifestName)); err == nil {
			return nil, fmt.Errorf("%s holds a whole release (%s), not a part: make parts with svcpack release -partial", dir, packager.ManifestName)
		}
		return nil, fmt.Errorf("%s has no %s: a part is the dist directory of svcpack release -partial, uploaded whole", dir, PartName)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var m Part
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, PartName), err)
	}
	return &m, nil
}

// readPartManifest reads the part manifest of the part folder dir.
func readPartManifest(dir string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return readPartFile(root, PartName, maxPartManifest)
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
