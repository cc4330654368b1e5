// Package apt is the format that writes apt/, a signed apt repository of
// the release's debs (pkg/aptrepo): the pool, each architecture's Packages,
// Release, InRelease and Release.gpg under dists/<apt.suite>, and the
// public key as <name>.gpg (for Signed-By) and <name>.asc. Served as is by
// any web server, it is what hosts' apt-get update and upgrade read. With
// apt.previous, the repository grows from the tree served before: its debs
// stay beside the new ones (apt.keep versions of each package and
// architecture) and every index is remade from all of them.
package apt

import (
	"context"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/aptrepo"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/linux"
	"github.com/svcpack/svcpack/pkg/format/linuxpkg"
	enc "github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Dir is the repository's folder in dist/.
const Dir = "apt"

// Packager writes the apt repository of the release's debs.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "apt", Kind: packager.KindApt, ReleaseWide: true,
		Doc:     "Linux: a signed apt repository of the debs (`apt-get install` from any static web server)",
		Applies: func(s *config.Spec, _ platform.Target) bool { return s.HasOS("linux") },
		Reads: []string{"name", "date", "gpg", "apt.suite", "apt.component", "apt.origin", "apt.previous", "apt.keep",
			"name_template.package"},
		Uses:  []packager.Kind{packager.KindDeb},
		Check: check,
		Paths: paths,
		Write: write,
	}
}

func repository(s *config.Spec) aptrepo.Repository {
	return aptrepo.Repository{
		Suite: s.Apt.Suite, Component: s.Apt.Component, Origin: s.Apt.Origin, Date: s.Date, KeyName: s.Name,
		Previous: linux.Previous(s.Apt.Previous), Keep: s.Apt.Keep,
	}
}

func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	if !s.Wants("deb") {
		probs.AddAt("formats", []string{"targets"},
			"apt is set, and the apt repository holds the debs: add deb to formats, or leave apt out")
	}
	if !s.HasOS("linux") {
		probs.AddAt("targets", []string{"formats"},
			"has no linux target: the apt repository holds Linux debs; add one, or leave apt out of formats")
	}
	if s.GPG == nil {
		probs.AddAt("formats", []string{"gpg"},
			"apt is set, and an apt repository must be signed (apt refuses an unsigned one): "+
				"set gpg.key_file to an RSA or Ed25519 secret key, or leave apt out of formats")
		return
	}
	if r := repository(s); r.Previous != "" {
		if signer, err := pgpsign.Load(string(s.GPG.KeyFile), s.GPG.Passphrase, s.Date); err == nil {
			if err := r.CheckPrevious(signer); err != nil {
				probs.Add("apt.previous", "%v", err)
			}
		} // else the gpg check reports the key
	}
}

func write(_ context.Context, j *packager.Job) error {
	var debs []string
	for _, a := range j.Inputs(packager.KindDeb) {
		debs = append(debs, j.Path(a))
	}
	files, err := repository(j.Spec).Build(debs, j.OpenPGP())
	if err != nil {
		return err
	}
	for _, f := range files {
		fill := func(w io.Writer) error {
			_, err := f.WriteTo(w)
			return err
		}
		if err := j.Create(Dir+"/"+f.Path, fill); err != nil {
			return err
		}
	}
	return nil
}

// paths are the tree Build writes for the spec's Linux debs, and the
// previous tree's debs and indexes it may keep.
func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	r := repository(s)
	dists := path.Join(Dir, "dists", r.Suite)
	arches := map[string]bool{}
	var out []string
	if r.Previous != "" {
		prev, err := aptrepo.PreviousPaths(r.Previous, r.Suite, r.Component)
		if err != nil {
			return nil, err
		}
		for _, p := range prev {
			if arch, ok := strings.CutPrefix(path.Base(path.Dir(p)), "binary-"); ok && path.Base(p) == "Packages" {
				arches[arch] = true
			}
			out = append(out, path.Join(Dir, p))
		}
	}
	for _, t := range s.Targets {
		if t.OS != "linux" {
			continue
		}
		o := linux.Options(s, t, "", "deb")
		name, err := linuxpkg.Name(s, t, "deb", o)
		if err != nil {
			return nil, err
		}
		deb := path.Join(Dir, "pool", r.Component, aptrepo.PoolPrefix(o.Name), o.Name, path.Base(name))
		if !slices.Contains(out, deb) { // the previous tree has it: the same bytes, or Build refuses
			out = append(out, deb)
		}
		arch := enc.DebArch(o)
		if !arches[arch] {
			arches[arch] = true
			for _, ext := range []string{"", ".gz", ".xz"} {
				out = append(out, path.Join(dists, r.Component, "binary-"+arch, "Packages"+ext))
			}
		}
	}
	return append(out, dists+"/Release", dists+"/InRelease", dists+"/Release.gpg",
		path.Join(Dir, s.Name+".gpg"), path.Join(Dir, s.Name+".asc")), nil
}
