// Package binary is the format of the programs themselves: go build writes
// each target's raw binary into the cache (the release core runs it); the
// binary packager copies it into the release (<name>_<os>_<arch>/<name>),
// and for Windows the exe packager also patches in the resources (version
// information, icon, manifest) and signs.
package binary

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/windows"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/winres"
)

// Binary is the packager of the non-Windows programs, as go build made
// them.
func Binary() *packager.Packager {
	return &packager.Packager{
		Name: "binary", Kind: packager.KindBinary, Internal: true,
		Doc:     "the program, as go build made it",
		Applies: notWindows,
		Reads:   packager.NameReads("name_template.binary_dir"),
		Uses:    []packager.Kind{packager.KindRawBinary},
		Paths:   packager.BinaryPaths,
		Check:   checkLdflags,
		Write:   writeBinary,
	}
}

// notWindows is Binary's Applies: every target but Windows (the exe) and
// the universal darwin binary (the universal format).
func notWindows(_ *config.Spec, t platform.Target) bool { return t.OS != "windows" && !t.IsUniversal() }

// checkLdflags runs every ldflags template as the build will, so that a
// missing field fails at check (every target's build uses them: the check
// lives with the binary packager, which runs for every spec).
func checkLdflags(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	for i, f := range s.Ldflags {
		o := matrix.Options{Ldflags: []string{f}}
		if _, err := o.Args(platform.Target{OS: "linux", Arch: "amd64"}, "out"); err != nil {
			probs.Add(fmt.Sprintf("ldflags[%d]", i), "%v; the fields are {{.Version}}, {{.Commit}}, {{.Date}}, {{.Name}}, {{.Os}}, {{.Arch}}, {{.Variant}} and {{.ArchName}}", err)
		}
	}
}

func writeBinary(_ context.Context, j *packager.Job) error {
	raw, err := j.MustInput(packager.KindRawBinary)
	if err != nil {
		return err
	}
	rel, err := packager.BinaryPath(j.Spec, j.Target)
	if err != nil {
		return err
	}
	return j.CreateFile(rel, packager.KindBinary, func(path string) error { return packager.CopyFile(raw, path, 0o755) })
}

// Exe is the packager of the Windows programs: resources patched in,
// signed when windows.sign is set.
func Exe() *packager.Packager {
	return &packager.Packager{
		Name: "exe", Kind: packager.KindBinary, Internal: true,
		Doc:     "the Windows program with version information, icon and manifest, signed when windows.sign is set",
		Applies: packager.OnOS("windows"),
		Reads:   windows.ExeReads(),
		Uses:    []packager.Kind{packager.KindRawBinary},
		Paths:   packager.BinaryPaths,
		Check:   checkExe,
		Write:   writeExe,
	}
}

func checkExe(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	if !s.HasOS("windows") {
		return
	}
	if _, err := s.Version.Fixed(); err != nil {
		probs.Add("version", "%v", err)
	}
	if icon := string(s.Windows.Icon); icon != "" {
		if _, err := os.Stat(icon); err == nil { // a missing file is the config's to report
			if err := winres.CheckIcon(icon); err != nil {
				probs.Add("windows.icon", "%q: %v", asWritten(s, icon), err)
				return // the resources would only repeat it
			}
		}
	}
	if err := windows.ResourceOptions(s).Validate(); err != nil {
		probs.Add("windows", "%v", err)
	}
	if s.Windows.Sign != nil {
		// The tool, the files and the password, before any build.
		if err := windows.Authenticode(s).Check(context.Background()); err != nil {
			probs.Add("windows.sign", "%v", err)
		}
	}
}

func writeExe(ctx context.Context, j *packager.Job) error {
	raw, err := j.MustInput(packager.KindRawBinary)
	if err != nil {
		return err
	}
	rel, err := packager.BinaryPath(j.Spec, j.Target)
	if err != nil {
		return err
	}
	return j.CreateFile(rel, packager.KindBinary, func(path string) error {
		return windows.FinishExe(ctx, j, raw, path, windows.ResourceOptions(j.Spec))
	})
}

// asWritten is path as svcpack.yaml names it: relative to its folder when
// inside it (Load makes every path absolute).
func asWritten(s *config.Spec, path string) string {
	if rel, err := filepath.Rel(s.Dir, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return rel
	}
	return path
}
