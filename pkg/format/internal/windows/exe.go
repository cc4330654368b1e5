package windows

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/sign"
	"github.com/svcpack/svcpack/pkg/winres"
)

// FinishExe copies a raw Windows executable to path, patches its resources
// in, and signs it when the spec says so.
func FinishExe(ctx context.Context, j *packager.Job, raw, path string, res winres.Options) error {
	s := j.Spec
	if res.Icon != "" {
		icon, err := Icon(j, res.Icon)
		if err != nil {
			return err
		}
		res.IconImage = icon
	}
	if err := packager.CopyFile(raw, path, 0o755); err != nil {
		return err
	}
	r, err := winres.New(res)
	if err != nil {
		return err
	}
	if err := r.Patch(path); err != nil {
		return err
	}
	if s.Windows.Sign != nil {
		return Authenticode(s).Sign(ctx, path)
	}
	return nil
}

// ResourceOptions maps the spec onto the exe's resources.
func ResourceOptions(s *config.Spec) winres.Options {
	desc := s.Description
	if desc == "" {
		desc = s.Service.DisplayName
	}
	fixed, _ := s.Version.Fixed() // checked by the exe packager
	return winres.Options{
		Version:          s.Version.String(),
		Fixed:            fixed,
		CompanyName:      s.Vendor,
		FileDescription:  desc,
		ProductName:      s.Windows.ProductName,
		LegalCopyright:   s.Windows.Copyright,
		OriginalFilename: matrix.BinaryName(s.Name, "windows"),
		InternalName:     s.Name,
		Icon:             string(s.Windows.Icon),
		Manifest: winres.Manifest{
			ExecutionLevel: s.Windows.Manifest.ExecutionLevel,
			LongPathAware:  s.Windows.Manifest.LongPathAware,
			UTF8CodePage:   s.Windows.Manifest.UTF8,
		},
	}
}

// Authenticode maps the spec's windows.sign onto the signer.
func Authenticode(s *config.Spec) *sign.Authenticode {
	sg := s.Windows.Sign
	command := slices.Clone(sg.Command)
	if sg.Program != "" {
		command[0] = string(sg.Program) // a file of the project, by its absolute path
	}
	a := &sign.Authenticode{
		PKCS12: string(sg.PKCS12), Cert: string(sg.Cert), Key: string(sg.Key), Password: sg.Password,
		TimestampURL: sg.TimestampURL, Description: s.Windows.ProductName, URL: s.Homepage, Time: s.Date,
		Command: command, Dir: filepath.Dir(s.Path), Arg: config.SignCommandArg,
	}
	if t := sg.PKCS11; t != nil {
		a.PKCS11Module, a.PKCS11URI, a.PIN = t.Module, t.URI, t.PIN
	}
	return a
}

// MSIs are the Windows targets and their MSIs' names, refusing
// two targets of one architecture (a manifest takes one MSI for each).
func MSIs(s *config.Spec, probs *config.Problems, format string) map[platform.Target]string {
	out := map[platform.Target]string{}
	byArch := map[string]platform.Target{}
	for i, t := range s.Targets {
		if t.OS != "windows" {
			continue
		}
		if other, dup := byArch[t.Arch]; dup {
			probs.Add(fmt.Sprintf("targets[%d]", i), "%s and %s are both %s: the %s manifests take one MSI per architecture; keep one of them, or leave %s out of formats", other, t, t.Arch, format, format)
			continue
		}
		byArch[t.Arch] = t
		if name, err := packager.ArchiveName(s, t, ".msi"); err == nil {
			out[t] = name
		}
	}
	return out
}

// Icon reads the icon at path once per run: decoding and resizing a PNG is
// most of the work of Windows resources, and every exe and MSI of the
// release carries the same icon.
func Icon(j *packager.Job, path string) (*winres.Icon, error) {
	return packager.Shared(j, "windows.icon:"+path, func() (*winres.Icon, error) { return winres.ReadIcon(path) })
}

// ExeReads are the fields a Windows exe's resources and signature come
// from (the wrapper's too).
func ExeReads() []string {
	return []string{"name", "version", "vendor", "description", "homepage", "date", "service.display_name",
		"windows.icon", "windows.product_name", "windows.copyright", "windows.manifest", "windows.sign", "name_template.binary_dir", "commit"}
}
