package release

import (
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/naming"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Artifact names come from the templates of name_template (their defaults
// are the names svcpack has always made), rendered over the variables
// ldflags templates see. The packagers name their artifacts through these
// functions only, and each declares its names in Paths, so that check
// renders every name a release would write and refuses two artifacts of
// one name (checkNames).

// templateData is what name and URL templates see for target t (the zero
// Target leaves the target's variables empty).
func templateData(s *config.Spec, t platform.Target) matrix.TemplateData {
	d := matrix.TemplateData{Name: s.Name, Version: s.Version.String(), Commit: s.Commit, Date: s.Date.UTC().Format(time.RFC3339)}
	if t.IsZero() {
		return d
	}
	return d.For(t)
}

// binaryDir is the folder of target t's binaries (name_template.binary_dir).
func binaryDir(s *config.Spec, t platform.Target) (string, error) {
	return naming.Name(s.NameTemplate.BinaryDir, naming.Data{TemplateData: templateData(s, t)})
}

// binaryPath is the path of the program in its folder.
func binaryPath(s *config.Spec, t platform.Target) (string, error) {
	dir, err := binaryDir(s, t)
	if err != nil {
		return "", err
	}
	return path.Join(dir, matrix.BinaryName(s.Name, t.OS)), nil
}

// archiveName is name_template.archive rendered for t, then ext (the zip,
// tar.gz, MSI and SBOMs).
func archiveName(s *config.Spec, t platform.Target, ext string) (string, error) {
	n, err := naming.Name(s.NameTemplate.Archive, naming.Data{TemplateData: templateData(s, t)})
	if err != nil {
		return "", err
	}
	return n + ext, nil
}

// packageName is name_template.package rendered for t and the Linux
// package format ("deb", "rpm", "apk"), with the format's extension; o
// are the package's options, whose conventional file name the template
// sees as {{.Conventional}}.
func packageName(s *config.Spec, t platform.Target, format string, o linuxpkg.Options) (string, error) {
	conv, err := linuxpkg.FileName(o, format)
	if err != nil {
		return "", err
	}
	ext := "." + format
	n, err := naming.Name(s.NameTemplate.Package, naming.Data{TemplateData: templateData(s, t), Format: format, Conventional: strings.TrimSuffix(conv, ext)})
	if err != nil {
		return "", err
	}
	return n + ext, nil
}

// downloadURL is download_url rendered for the artifact rel of target t
// (the zero Target for a file of the release, such as checksums.txt).
func downloadURL(s *config.Spec, t platform.Target, rel string) (string, error) {
	return naming.URL(s.DownloadURL, naming.URLData{TemplateData: templateData(s, t), File: rel})
}

// checkDownloadURL reports, for the manifests of format, a download_url
// that is not set or does not render a URL for each of the files they
// link (by target).
func checkDownloadURL(s *config.Spec, p *config.Problems, format string, files map[platform.Target]string) {
	if s.DownloadURL == "" {
		p.AddAt("download_url", []string{"formats"}, "is empty: the %s manifests point at the files' download URLs; set it to a template such as https://github.com/OWNER/REPO/releases/download/v{{.Version}}/{{.File}}", format)
		return
	}
	for _, t := range slices.SortedFunc(maps.Keys(files), func(a, b platform.Target) int { return strings.Compare(a.String(), b.String()) }) {
		if _, err := downloadURL(s, t, files[t]); err != nil {
			p.Add("download_url", "%v", err)
			return
		}
	}
}

// required is a spec field a format needs, its value, and why it needs it.
type required struct{ field, value, why string }

// requireFields reports each of the fields format needs that is empty (or
// only spaces), at its field.
func requireFields(p *config.Problems, format string, fields []required) {
	for _, r := range fields {
		if strings.TrimSpace(r.value) == "" {
			p.AddAt(r.field, []string{"formats"}, "is empty: %s; set it, or leave %s out of formats", r.why, format)
		}
	}
}

// archiveNamesRender reports whether name_template.archive renders a name
// for every target: when it does not, checkNames says why, and the
// manifests' checks, which link archives by name, say nothing more.
func archiveNamesRender(s *config.Spec) bool {
	for _, t := range planTargets(s, s.Targets, packagers()) {
		if _, err := archiveName(s, t, ""); err != nil {
			return false
		}
	}
	return true
}

// nameField is the name_template field a packager's names come from
// ("name_template" when it has none: a fixed name).
func nameField(pk *Packager) string {
	for _, r := range pk.Reads {
		if strings.HasPrefix(r, "name_template.") {
			return r
		}
	}
	return "name_template"
}

// planTargets are the targets packagers run for: the spec's, and the
// targets that combining packagers add (darwin/universal).
func planTargets(s *config.Spec, targets []platform.Target, pks []*Packager) []platform.Target {
	out := slices.Clone(targets)
	for _, pk := range pks {
		if pk.Combines == nil || !pk.enabled(s) {
			continue
		}
		for _, c := range pk.Combines(s, targets) {
			if !slices.Contains(out, c.Target) {
				out = append(out, c.Target)
			}
		}
	}
	return out
}

// checkNames renders the name of every artifact the enabled packagers
// would write for the spec's targets (each packager's Paths) and reports a
// name a template cannot make, and two artifacts of one name, or a name
// that is another's folder, at the template field they come from.
func checkNames(s *config.Spec, p *config.Problems) {
	type owner struct {
		pk *Packager
		t  platform.Target
	}
	seen := map[string]owner{}
	dirs := map[string]owner{} // every folder of a path
	for _, f := range []string{ManifestName, ChecksumsName, SignatureName} {
		seen[f] = owner{}
	}
	what := func(o owner) string {
		switch {
		case o.pk == nil:
			return "svcpack itself"
		case o.t.IsZero():
			return o.pk.Name
		}
		return o.pk.Name + " for " + o.t.String()
	}
	pks := packagers()
	reported := map[string]bool{}
	all := planTargets(s, s.Targets, pks)
	for _, pk := range pks {
		if pk.Paths == nil || !pk.enabled(s) {
			continue
		}
		targets := all
		if pk.Once {
			targets = []platform.Target{{}}
		}
		for _, t := range targets {
			if pk.Applies != nil && !pk.Applies(s, t) {
				continue
			}
			field := nameField(pk)
			paths, err := pk.Paths(s, t)
			if err != nil {
				if !reported[field] { // once per template, not per target
					reported[field] = true
					p.Add(field, "%v", err)
				}
				continue
			}
			me := owner{pk, t}
			for _, rel := range paths {
				if o, dup := seen[rel]; dup {
					p.Add(field, "%q would be written by %s and by %s: each artifact needs a name of its own (put {{.Os}} and {{.ArchName}} in name templates)", rel, what(o), what(me))
					continue
				}
				if o, dup := dirs[rel]; dup {
					p.Add(field, "%q would be a file of %s and the folder of an artifact of %s: rename one of them", rel, what(me), what(o))
					continue
				}
				seen[rel] = me
				for d := path.Dir(rel); d != "."; d = path.Dir(d) {
					if o, dup := seen[d]; dup {
						p.Add(field, "%q would be a folder of %s and an artifact of %s: rename one of them", d, what(me), what(o))
					}
					dirs[d] = me
				}
			}
		}
	}
}
