// Package binary is the format of the programs themselves: go build writes
// each target's raw binary into the cache (the release core runs it); the
// binary packager copies it into the release (<name>_<os>_<arch>/<name>),
// and for Windows the exe packager also patches in the resources (version
// information, icon, manifest) and signs.
package binary

import (
	"context"
	"os"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/windows"
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
		Write:   writeBinary,
	}
}

// notWindows is Binary's Applies: every target but Windows (the exe) and
// the universal darwin binary (the universal format).
func notWindows(_ *config.Spec, t platform.Target) bool { return t.OS != "windows" && !t.IsUniversal() }

func writeBinary(_ context.Context, j *packager.Job) error {
	return writeProgram(j, func(raw, path string) error { return packager.CopyFile(raw, path, 0o755) })
}

// writeProgram makes the program of the job's target by finish, from the
// raw build.
func writeProgram(j *packager.Job, finish func(raw, path string) error) error {
	raw, err := j.MustInput(packager.KindRawBinary)
	if err != nil {
		return err
	}
	rel, err := packager.BinaryPath(j.Spec, j.Target)
	if err != nil {
		return err
	}
	return j.CreateFile(rel, packager.KindBinary, func(path string) error { return finish(raw, path) })
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
				probs.Add("windows.icon", "%q: %v", s.Rel(icon), err)
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
	return writeProgram(j, func(raw, path string) error {
		return windows.FinishExe(ctx, j, raw, path, windows.ResourceOptions(j.Spec))
	})
}
