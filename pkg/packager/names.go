package packager

import (
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/naming"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Artifact names come from the templates of name_template (their defaults
// are the names svcpack has always made), rendered over the variables
// ldflags templates see. The packagers name their artifacts through these
// functions only, and each declares its names in Paths, so that check
// renders every name a release would write and refuses two artifacts of
// one name.

// TemplateData is what name and URL templates see for target t (the zero
// Target leaves the target's variables empty).
func TemplateData(s *config.Spec, t platform.Target) matrix.TemplateData {
	d := matrix.TemplateData{Name: s.Name, Version: s.Version.String(), Commit: s.Commit, Date: s.Date.UTC().Format(time.RFC3339)}
	if t.IsZero() {
		return d
	}
	return d.For(t)
}

// BinaryDir is the folder of target t's binaries (name_template.binary_dir).
func BinaryDir(s *config.Spec, t platform.Target) (string, error) {
	return naming.Name(s.NameTemplate.BinaryDir, naming.Data{TemplateData: TemplateData(s, t)})
}

// BinaryPath is the path of the program in its folder.
func BinaryPath(s *config.Spec, t platform.Target) (string, error) {
	dir, err := BinaryDir(s, t)
	if err != nil {
		return "", err
	}
	return path.Join(dir, matrix.BinaryName(s.Name, t.OS)), nil
}

// ArchiveName is name_template.archive rendered for t, then ext (the zip,
// tar.gz, MSI and SBOMs).
func ArchiveName(s *config.Spec, t platform.Target, ext string) (string, error) {
	n, err := naming.Name(s.NameTemplate.Archive, naming.Data{TemplateData: TemplateData(s, t)})
	if err != nil {
		return "", err
	}
	return n + ext, nil
}

// ArchivePaths is the Paths of a packager writing one archive-named
// artifact with extension ext per target.
func ArchivePaths(ext string) func(*config.Spec, platform.Target) ([]string, error) {
	return func(s *config.Spec, t platform.Target) ([]string, error) {
		name, err := ArchiveName(s, t, ext)
		if err != nil {
			return nil, err
		}
		return []string{name}, nil
	}
}

// ArchiveNamesRender reports whether name_template.archive renders a name
// for every planned target: when it does not, the release's name check
// says why, and the manifests' checks, which link archives by name, say
// nothing more.
func ArchiveNamesRender(s *config.Spec, planned []platform.Target) bool {
	for _, t := range planned {
		if _, err := ArchiveName(s, t, ""); err != nil {
			return false
		}
	}
	return true
}

// DownloadURL is download_url rendered for the artifact rel of target t
// (the zero Target for a file of the release, such as checksums.txt).
func DownloadURL(s *config.Spec, t platform.Target, rel string) (string, error) {
	return naming.URL(s.DownloadURL, naming.URLData{TemplateData: TemplateData(s, t), File: rel})
}

// CheckDownloadURL reports, for the manifests of format, a download_url
// that is not set or does not render a URL for each of the files they
// link (by target).
func CheckDownloadURL(s *config.Spec, probs *config.Problems, format string, files map[platform.Target]string) {
	if s.DownloadURL == "" {
		probs.AddAt("download_url", []string{"formats"}, "is empty: the %s manifests point at the files' download URLs; set it to a template such as https://github.com/OWNER/REPO/releases/download/v{{.Version}}/{{.File}}", format)
		return
	}
	for _, t := range slices.SortedFunc(maps.Keys(files), func(a, b platform.Target) int { return strings.Compare(a.String(), b.String()) }) {
		if _, err := DownloadURL(s, t, files[t]); err != nil {
			probs.Add("download_url", "%v", err)
			return
		}
	}
}

// Required is a spec field a format needs, its value, and why it needs it.
type Required struct{ Field, Value, Why string }

// RequireFields reports each of the fields format needs that is empty (or
// only spaces), at its field.
func RequireFields(probs *config.Problems, format string, fields []Required) {
	for _, r := range fields {
		if strings.TrimSpace(r.Value) == "" {
			probs.AddAt(r.Field, []string{"formats"}, "is empty: %s; set it, or leave %s out of formats", r.Why, format)
		}
	}
}

// NameReads are the fields a packager naming its artifacts with the name
// template field reads: the template and every spec field it may show.
func NameReads(field string) []string {
	return []string{field, "name", "version", "commit", "date"}
}

// BinaryPaths is the Paths of the packagers of the programs.
func BinaryPaths(s *config.Spec, t platform.Target) ([]string, error) {
	rel, err := BinaryPath(s, t)
	if err != nil {
		return nil, err
	}
	return []string{rel}, nil
}

// ReleaseName is name_template.release rendered for the release-wide
// artifact of format, whose own name is conventional (the chart's
// <name>-<version>, the Compose folder's <name>).
func ReleaseName(s *config.Spec, format, conventional string) (string, error) {
	d := naming.Data{TemplateData: TemplateData(s, platform.Target{}), Format: format, Conventional: conventional}
	return naming.Name(s.NameTemplate.Release, d)
}
