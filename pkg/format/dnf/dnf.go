// Package dnf is the format that writes dnf/, a signed dnf/yum repository
// of the release's rpms (pkg/rpmrepo): the rpms under packages/, repodata/
// with repomd.xml and its signature, the public key as RPM-GPG-KEY-<name>,
// and <name>.repo for /etc/yum.repos.d, which points dnf at dnf.url with
// gpgcheck and repo_gpgcheck on. Served as is by any web server, it is what
// hosts' dnf install and dnf upgrade read. With dnf.previous, the
// repository grows from the tree served before: its rpms stay beside the new
// ones (dnf.keep versions of each package and architecture) and the
// metadata is remade from all of them.
package dnf

import (
	"context"
	"errors"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/linux"
	"github.com/svcpack/svcpack/pkg/format/linuxpkg"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/rpmrepo"
)

// Dir is the repository's folder in dist/.
const Dir = "dnf"

// Packager writes the dnf/yum repository of the release's rpms.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "dnf", Kind: packager.KindDnf, ReleaseWide: true,
		Doc:     "Linux: a signed dnf/yum repository of the rpms, with its `.repo` file (`dnf install` from any static web server)",
		Applies: func(s *config.Spec, _ platform.Target) bool { return s.HasOS("linux") },
		Reads:   []string{"name", "date", "gpg", "dnf.url", "dnf.previous", "dnf.keep", "name_template.package"},
		Uses:    []packager.Kind{packager.KindRPM},
		Check:   check,
		Paths:   paths,
		Write:   write,
	}
}

func keyName(s *config.Spec) string { return "RPM-GPG-KEY-" + s.Name }

func repoName(s *config.Spec) string { return s.Name + ".repo" }

// repo is the .repo file's content for the spec.
func repo(s *config.Spec) rpmrepo.Repo {
	base := s.Dnf.URL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return rpmrepo.Repo{ID: s.Name, Name: s.Name, BaseURL: base, KeyURL: base + keyName(s), Priority: rpmrepo.PreferredPriority}
}

func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	if !s.Wants("rpm") {
		probs.AddAt("formats", []string{"targets"},
			"dnf is set, and the dnf repository holds the rpms: add rpm to formats, or leave dnf out")
	}
	if !s.HasOS("linux") {
		probs.AddAt("targets", []string{"formats"},
			"has no linux target: the dnf repository holds Linux rpms; add one, or leave dnf out of formats")
	}
	switch {
	case s.GPG == nil:
		probs.AddAt("formats", []string{"gpg"},
			"dnf is set, and a dnf repository must be signed (its .repo file turns on gpgcheck and repo_gpgcheck): "+
				"set gpg.key_file to an RSA or Ed25519 secret key, or leave dnf out of formats")
	case !s.GPGSigns("rpm"):
		probs.AddAt("gpg", []string{"formats"},
			"does not sign the rpms, and dnf checks each rpm's signature (gpgcheck=1): "+
				"add rpm to gpg.sign, or leave dnf out of formats")
	}
	if s.Dnf.URL == "" {
		probs.AddAt("formats", []string{"dnf.url"},
			"dnf is set, and its .repo file names where the repository is served: "+
				"set dnf.url to the URL dist/dnf/ is published at, such as https://example.com/dnf/")
		return
	}
	if _, err := repo(s).File(); err != nil {
		probs.Add("dnf.url", "%v", err)
	}
	checkPrevious(s, probs)
}

// checkPrevious makes every check a release makes on the previous tree.
func checkPrevious(s *config.Spec, probs *config.Problems) {
	prev := linux.Previous(s.Dnf.Previous)
	if prev == "" || s.GPG == nil {
		return
	}
	signer, err := pgpsign.Load(string(s.GPG.KeyFile), s.GPG.Passphrase, s.Date)
	if err != nil {
		return // the gpg check reports the key
	}
	pub, err := signer.PublicKeyBinary()
	if err == nil {
		_, err = rpmrepo.Grow(prev, pub, nil, s.Dnf.Keep)
	}
	if err != nil {
		probs.Add("dnf.previous", "%v", err)
	}
}

func write(_ context.Context, j *packager.Job) error {
	s := j.Spec
	var rpms []rpmrepo.RPM
	for _, a := range j.Inputs(packager.KindRPM) {
		rpms = append(rpms, rpmrepo.RPM{File: j.Path(a), Href: "packages/" + path.Base(a.Path)})
	}
	signer := j.OpenPGP()
	if signer == nil {
		return errors.New("dnf: the repository must be signed, and no gpg key is set")
	}
	if prev := linux.Previous(s.Dnf.Previous); prev != "" {
		pub, err := signer.PublicKeyBinary()
		if err != nil {
			return err
		}
		if rpms, err = rpmrepo.Grow(prev, pub, rpms, s.Dnf.Keep); err != nil {
			return err
		}
	}
	files, err := rpmrepo.Metadata(rpms, rpmrepo.Options{Date: s.Date, Signer: signer})
	if err != nil {
		return err
	}
	for _, r := range rpms {
		fill := func(w io.Writer) error {
			_, err := r.WriteTo(w)
			return err
		}
		if err := j.Create(Dir+"/"+r.Href, fill); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := j.Create(Dir+"/"+f.Path, packager.WriteBytes(f.Data)); err != nil {
			return err
		}
	}
	key, err := signer.PublicKey()
	if err != nil {
		return err
	}
	if err := j.Create(Dir+"/"+keyName(s), packager.WriteBytes(key)); err != nil {
		return err
	}
	data, err := repo(s).File()
	if err != nil {
		return err
	}
	return j.Create(Dir+"/"+repoName(s), packager.WriteBytes(data))
}

// paths are the tree write makes for the spec's Linux rpms, and the
// previous tree's rpms it may keep.
func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	var out []string
	if prev := linux.Previous(s.Dnf.Previous); prev != "" {
		kept, err := rpmrepo.PreviousPaths(prev)
		if err != nil {
			return nil, err
		}
		for _, p := range kept {
			out = append(out, path.Join(Dir, p))
		}
	}
	for _, t := range s.Targets {
		if t.OS != "linux" {
			continue
		}
		name, err := linuxpkg.Name(s, t, "rpm", linux.Options(s, t, "", "rpm"))
		if err != nil {
			return nil, err
		}
		if p := path.Join(Dir, "packages", path.Base(name)); !slices.Contains(out, p) {
			out = append(out, p) // else the previous tree has it: the same bytes, or Grow refuses
		}
	}
	for _, p := range rpmrepo.Paths(true) {
		out = append(out, path.Join(Dir, p))
	}
	return append(out, path.Join(Dir, keyName(s)), path.Join(Dir, repoName(s))), nil
}
