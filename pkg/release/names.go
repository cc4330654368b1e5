package release

import (
	"path"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Every artifact's name comes from its packager's Paths; checkNames renders
// them all for the spec's targets, so that check refuses what a release
// could not write.

// nameField is the name_template field a packager's names come from
// ("name_template" when it has none: a fixed name).
func nameField(pk *packager.Packager) string {
	for _, r := range pk.Reads {
		if strings.HasPrefix(r, "name_template.") {
			return r
		}
	}
	return "name_template"
}

// planTargets are the targets packagers run for: the spec's, and the
// targets that combining packagers add (darwin/universal).
func planTargets(s *config.Spec, targets []platform.Target, pks []*packager.Packager) []platform.Target {
	out := slices.Clone(targets)
	for _, pk := range pks {
		if pk.Combines == nil || !pk.Enabled(s) {
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
func checkNames(s *config.Spec, probs *config.Problems) {
	type owner struct {
		pk *packager.Packager
		t  platform.Target
	}
	seen := map[string]owner{}
	dirs := map[string]owner{} // every folder of a path
	for _, f := range []string{packager.ManifestName, packager.ChecksumsName, packager.SignatureName} {
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
	pks := registry()
	reported := map[string]bool{}
	all := planTargets(s, s.Targets, pks)
	for _, pk := range pks {
		if pk.Paths == nil || !pk.Enabled(s) {
			continue
		}
		targets := all
		if pk.ReleaseWide {
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
					probs.Add(field, "%v", err)
				}
				continue
			}
			me := owner{pk, t}
			for _, rel := range paths {
				if o, dup := seen[rel]; dup {
					probs.Add(field, "%q would be written by %s and by %s: each artifact needs a name of its own (put {{.Os}} and {{.ArchName}} in name templates)", rel, what(o), what(me))
					continue
				}
				if o, dup := dirs[rel]; dup {
					probs.Add(field, "%q would be a file of %s and the folder of an artifact of %s: rename one of them", rel, what(me), what(o))
					continue
				}
				seen[rel] = me
				for d := path.Dir(rel); d != "."; d = path.Dir(d) {
					if o, dup := seen[d]; dup {
						probs.Add(field, "%q would be a folder of %s and an artifact of %s: rename one of them", d, what(me), what(o))
					}
					dirs[d] = me
				}
			}
		}
	}
}
