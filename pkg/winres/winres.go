// Package winres puts the resources a Windows admin sees into an exe:
// VERSIONINFO (file and product versions, company, description, product
// name, copyright, original and internal names), an application icon made
// from a .png (resized to 16..256 px) or an .ico, and an application manifest
// (execution level, longPathAware, UTF-8 active code page, supportedOS from
// Vista to Windows 10/11).
//
// It is built on github.com/tc-hib/winres, which writes VERSIONINFO, PNG
// icons and arm64 resources; akavel/rsrc, the other common choice, can do
// none of those three. The manifest XML is our own template, since winres's
// manifest type has no activeCodePage setting.
//
// Resources are patched into the linked exe (Patch) rather than compiled
// from a .syso placed in the package directory before go build: the user's
// source tree is never written, so a failed or interrupted run cannot leave a
// stray .syso behind, and the patch is deterministic (no timestamps), so
// builds stay reproducible. Patch runs before any signing.
package winres

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	_ "image/png" // .png icons
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tc-hib/winres"
	"github.com/tc-hib/winres/version"

	"github.com/svcpack/svcpack/templates"
)

// Options is what goes into the exe.
type Options struct {
	// Version is the version string shown as FileVersion and
	// ProductVersion ("1.2.3-rc.1+build.5").
	Version string
	// Fixed is the numeric version of VS_FIXEDFILEINFO (major, minor,
	// patch, 0).
	Fixed [4]uint16
	// CompanyName, FileDescription, ProductName, LegalCopyright,
	// OriginalFilename and InternalName are VERSIONINFO strings.
	CompanyName, FileDescription, ProductName, LegalCopyright, OriginalFilename, InternalName string
	// Icon is a host path to a .png or .ico; empty for no icon.
	Icon string
	// IconImage, when set, is Icon already read (ReadIcon): resource sets
	// for many exes then share one decoded and resized icon.
	IconImage *Icon
	// Manifest sets the application manifest.
	Manifest Manifest
}

// Manifest holds the manifest settings.
type Manifest struct {
	// ExecutionLevel is asInvoker (default), highestAvailable or
	// requireAdministrator.
	ExecutionLevel string
	// LongPathAware opts in to paths longer than MAX_PATH.
	LongPathAware bool
	// UTF8CodePage sets the process's active code page to UTF-8.
	UTF8CodePage bool
}

// LangEnUS and CodepageUnicode form the VERSIONINFO translation 040904B0.
const (
	LangEnUS        = 0x0409
	CodepageUnicode = 1200
)

// iconSizes are the sizes made from a PNG, largest first, down to 16 px.
var iconSizes = [...]int{256, 128, 64, 48, 32, 24, 16}

// Validate checks the options without touching any exe; every error names
// the field or file, the bad value and what is valid.
func (o Options) Validate() error {
	var errs []error
	if o.Version == "" {
		errs = append(errs, errors.New("winres: version is empty"))
	}
	switch o.Manifest.ExecutionLevel {
	case "", "asInvoker", "highestAvailable", "requireAdministrator":
	default:
		errs = append(errs, fmt.Errorf("winres: manifest execution level %q: want asInvoker, highestAvailable or requireAdministrator", o.Manifest.ExecutionLevel))
	}
	if o.Icon != "" && o.IconImage == nil {
		if err := CheckIcon(o.Icon); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CheckIcon reports whether path is an icon Windows resources can carry:
// an .ico, or a square PNG of at least 16 px. It decodes the image and
// resizes nothing.
func CheckIcon(path string) error {
	_, err := readIcon(path, false)
	return err
}

// Icon is an icon read once (a PNG decoded and resized to the usual
// sizes), for any number of resource sets and .ico files. Safe for
// concurrent use: it holds the .ico file's bytes, and each use decodes its
// own copy (the library's icon sorts its images in place when saved).
type Icon struct {
	path string
	ico  []byte
}

// ReadIcon reads an .ico, or a square PNG of at least 16 px resized to the
// usual sizes no larger than itself.
func ReadIcon(path string) (*Icon, error) {
	icon, err := readIcon(path, true)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := icon.SaveICO(&b); err != nil {
		return nil, fmt.Errorf("winres: icon %s: %w", path, err)
	}
	return &Icon{path: path, ico: b.Bytes()}, nil
}

// WriteICO writes the icon as an .ico file with the sizes an exe gets.
func (i *Icon) WriteICO(w io.Writer) error {
	if _, err := w.Write(i.ico); err != nil {
		return fmt.Errorf("winres: icon %s: %w", i.path, err)
	}
	return nil
}

// decode returns a copy of the icon of the library's own.
func (i *Icon) decode() (*winres.Icon, error) {
	icon, err := winres.LoadICO(bytes.NewReader(i.ico))
	if err != nil {
		return nil, fmt.Errorf("winres: icon %s: %w", i.path, err)
	}
	return icon, nil
}

// readIcon reads an .ico, or a square PNG of at least 16 px; resize makes
// the PNG's icon (resized to the usual sizes no larger than itself), else
// only the checks run and the icon is nil.
func readIcon(path string, resize bool) (*winres.Icon, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("winres: icon: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ico":
		icon, err := winres.LoadICO(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("winres: icon %s: not a valid .ico file: %w", path, err)
		}
		return icon, nil
	case ".png":
		img, format, err := image.Decode(bytes.NewReader(data))
		if err != nil || format != "png" {
			return nil, fmt.Errorf("winres: icon %s: not a valid PNG image: %v", path, err)
		}
		b := img.Bounds()
		if b.Dx() != b.Dy() {
			return nil, fmt.Errorf("winres: icon %s: %dx%d px is not square: want a square PNG of 16 to 256 px or more (256x256 is best)", path, b.Dx(), b.Dy())
		}
		if b.Dx() < 16 {
			return nil, fmt.Errorf("winres: icon %s: %d px is smaller than the 16 px Windows needs: want a square PNG of 256x256", path, b.Dx())
		}
		if !resize {
			return nil, nil
		}
		var sizes []int
		for _, s := range iconSizes {
			if s <= b.Dx() {
				sizes = append(sizes, s)
			}
		}
		icon, err := winres.NewIconFromResizedImage(img, sizes)
		if err != nil {
			return nil, fmt.Errorf("winres: icon %s: %w", path, err)
		}
		return icon, nil
	}
	return nil, fmt.Errorf("winres: icon %s: want a .png or .ico file", path)
}

// manifestXML renders the application manifest.
func manifestXML(o Options) ([]byte, error) {
	t, err := templates.Parse("app.manifest.tmpl", nil)
	if err != nil {
		return nil, err
	}
	fv := o.Fixed
	level := o.Manifest.ExecutionLevel
	if level == "" {
		level = "asInvoker"
	}
	name := strings.TrimSuffix(o.OriginalFilename, ".exe")
	if name == "" {
		name = "app"
	}
	var b bytes.Buffer
	err = t.Execute(&b, map[string]any{
		"Name":           xmlEscape(name),
		"Version":        fmt.Sprintf("%d.%d.%d.%d", fv[0], fv[1], fv[2], fv[3]),
		"ExecutionLevel": level,
		"LongPathAware":  o.Manifest.LongPathAware,
		"UTF8":           o.Manifest.UTF8CodePage,
	})
	return b.Bytes(), err
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// resourceSet builds the resources for o.
func resourceSet(o Options) (*winres.ResourceSet, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	rs := &winres.ResourceSet{}
	fv := o.Fixed
	vi := version.Info{FileVersion: fv, ProductVersion: fv}
	for _, kv := range [][2]string{
		{version.CompanyName, o.CompanyName},
		{version.FileDescription, o.FileDescription},
		{version.FileVersion, o.Version},
		{version.InternalName, o.InternalName},
		{version.LegalCopyright, o.LegalCopyright},
		{version.OriginalFilename, o.OriginalFilename},
		{version.ProductName, o.ProductName},
		{version.ProductVersion, o.Version},
	} {
		if kv[1] == "" {
			continue
		}
		if err := vi.Set(LangEnUS, kv[0], kv[1]); err != nil {
			return nil, fmt.Errorf("winres: version info %s: %w", kv[0], err)
		}
	}
	rs.SetVersionInfo(vi)
	if o.Icon != "" || o.IconImage != nil {
		icon := o.IconImage
		if icon == nil {
			var err error
			if icon, err = ReadIcon(o.Icon); err != nil {
				return nil, err
			}
		}
		decoded, err := icon.decode()
		if err != nil {
			return nil, err
		}
		if err := rs.SetIcon(winres.Name("APPICON"), decoded); err != nil {
			return nil, fmt.Errorf("winres: icon %s: %w", icon.path, err)
		}
	}
	m, err := manifestXML(o)
	if err != nil {
		return nil, err
	}
	if err := rs.Set(winres.RT_MANIFEST, winres.ID(1), winres.LCIDDefault, m); err != nil {
		return nil, fmt.Errorf("winres: manifest: %w", err)
	}
	return rs, nil
}

// Resources are prepared resources (the icon decoded and resized once),
// ready to patch into any number of exes. Safe for concurrent use.
type Resources struct {
	mu sync.Mutex
	rs *winres.ResourceSet
}

// New validates o and prepares its resources.
func New(o Options) (*Resources, error) {
	rs, err := resourceSet(o)
	if err != nil {
		return nil, err
	}
	return &Resources{rs: rs}, nil
}

// Patch writes the resources into the exe at exePath, replacing any it
// had. It is New(o) followed by Resources.Patch.
func Patch(exePath string, o Options) error {
	r, err := New(o)
	if err != nil {
		return fmt.Errorf("%w (patching %s)", err, exePath)
	}
	return r.Patch(exePath)
}

// Patch writes the resources into the exe at exePath, replacing any it
// had. The new exe is written to a temporary file beside it and renamed over
// it, so a failure leaves the original untouched.
func (r *Resources) Patch(exePath string) error {
	src, err := os.Open(exePath)
	if err != nil {
		return fmt.Errorf("winres: %w", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return fmt.Errorf("winres: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(exePath), ".tmp-winres-*")
	if err != nil {
		return fmt.Errorf("winres: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// The library's resource set is not documented as safe for concurrent
	// writers; patching is quick, so serialise it.
	r.mu.Lock()
	err = r.rs.WriteToEXE(tmp, src)
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("winres: %s: %w", exePath, err)
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		return fmt.Errorf("winres: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("winres: %w", err)
	}
	src.Close()
	if err := os.Rename(tmp.Name(), exePath); err != nil {
		return fmt.Errorf("winres: %s: %w", exePath, err)
	}
	ok = true
	return nil
}

// WriteICO writes the icon at path (.png or .ico) as an .ico file with the
// same sizes the exe gets, for installers (the MSI's Add/Remove Programs
// icon).
func WriteICO(path string, w io.Writer) error {
	icon, err := ReadIcon(path)
	if err != nil {
		return err
	}
	return icon.WriteICO(w)
}
