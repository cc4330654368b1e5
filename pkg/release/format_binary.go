package release

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/sign"
	"github.com/svcpack/svcpack/pkg/winres"
)

// The binaries: go build writes each target's raw binary into the cache
// (where its own up-to-date check makes an unchanged build a no-op); the
// binary packager copies it into the release (<name>_<os>_<arch>/<name>),
// and for Windows the exe packager also patches in the resources and signs.

func binaryPackager() *Packager {
	return &Packager{
		Name: "binary", Kind: KindBinary, Internal: true,
		Doc:     "the program, as go build made it",
		Applies: func(_ *config.Spec, t platform.Target) bool { return t.OS != "windows" && !t.IsUniversal() },
		Reads:   nameReads("name_template.binary_dir"),
		Uses:    []Kind{kindRaw},
		Paths:   binaryPaths,
		Write: func(ctx context.Context, j *Job) error {
			raw, err := j.MustInput(kindRaw)
			if err != nil {
				return err
			}
			rel, err := binaryPath(j.Spec, j.Target)
			if err != nil {
				return err
			}
			return j.CreateFile(rel, KindBinary, func(path string) error { return copyFile(raw, path, 0o755) })
		},
	}
}

// binaryPaths is the Paths of the binary and exe packagers.
func binaryPaths(s *config.Spec, t platform.Target) ([]string, error) {
	rel, err := binaryPath(s, t)
	if err != nil {
		return nil, err
	}
	return []string{rel}, nil
}

// nameReads are the fields a packager naming its artifacts with the name
// template field reads: the template and every spec field it may show.
func nameReads(field string) []string {
	return []string{field, "name", "version", "commit", "date"}
}

// exeReads are the fields a Windows exe's resources and signature come
// from (the wrapper's too).
func exeReads() []string {
	return []string{"name", "version", "vendor", "description", "homepage", "date", "service.display_name",
		"windows.icon", "windows.product_name", "windows.copyright", "windows.manifest", "windows.sign", "name_template.binary_dir", "commit"}
}

func exePackager() *Packager {
	return &Packager{
		Name: "exe", Kind: KindBinary, Internal: true,
		Doc:     "the Windows program with version information, icon and manifest, signed when windows.sign is set",
		Applies: onOS("windows"),
		Reads:   exeReads(),
		Uses:    []Kind{kindRaw},
		Paths:   binaryPaths,
		Check: func(s *config.Spec, p *config.Problems) {
			if !s.HasOS("windows") {
				return
			}
			if _, err := s.Version.Fixed(); err != nil {
				p.Add("version", "%v", err)
			}
			if err := resourceOptions(s).Validate(); err != nil {
				p.Add("windows", "%v", err)
			}
			if s.Windows.Sign != nil {
				// The tool, the files and the password, before any build.
				if err := authenticode(s).Check(context.Background()); err != nil {
					p.Add("windows.sign", "%v", err)
				}
			}
		},
		Write: func(ctx context.Context, j *Job) error {
			raw, err := j.MustInput(kindRaw)
			if err != nil {
				return err
			}
			rel, err := binaryPath(j.Spec, j.Target)
			if err != nil {
				return err
			}
			return j.CreateFile(rel, KindBinary, func(path string) error {
				return finishExe(ctx, j, raw, path, resourceOptions(j.Spec))
			})
		},
	}
}

// finishExe copies a raw Windows executable to path, patches its resources
// in, and signs it when the spec says so.
func finishExe(ctx context.Context, j *Job, raw, path string, res winres.Options) error {
	s := j.Spec
	res, err := j.plan.withIcon(res)
	if err != nil {
		return err
	}
	if err := copyFile(raw, path, 0o755); err != nil {
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
		return authenticode(s).Sign(ctx, path)
	}
	return nil
}

// resourceOptions maps the spec onto the exe's resources.
func resourceOptions(s *config.Spec) winres.Options {
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

// authenticode maps the spec's windows.sign onto the signer.
func authenticode(s *config.Spec) *sign.Authenticode {
	sg := s.Windows.Sign
	return &sign.Authenticode{
		PKCS12: string(sg.PKCS12), Cert: string(sg.Cert), Key: string(sg.Key), Password: sg.Password,
		TimestampURL: sg.TimestampURL, Description: s.Windows.ProductName, URL: s.Homepage, Time: s.Date,
	}
}

// rawDir is where go build writes the raw outputs: the cache beside dist.
func (p *Plan) rawDir(sub string) string {
	return filepath.Join(CacheDir(p.distDir()), sub)
}

// MatrixOptions returns the go build settings of the spec's binaries
// (package, name, flags, ldflags data) with outputs under outDir; the caller
// sets targets, parallelism and callbacks. The benchmarks build their
// baseline from it, so that it is the very build svcpack runs.
func MatrixOptions(s *config.Spec, outDir string) matrix.Options {
	return matrix.Options{
		Dir: s.Dir, Main: config.MainPackage(s.Main), Name: s.Name, OutDir: outDir,
		Ldflags: s.Ldflags, Tags: s.Tags,
		Data: templateData(s, platform.Target{}),
	}
}

// buildRaw runs go build for one target into the cache.
func (p *Plan) buildRaw(ctx context.Context, t platform.Target) error {
	mo := MatrixOptions(p.spec, p.rawDir("bin"))
	mo.GoTool = p.goTool
	r, err := p.goBuild(ctx, t, kindRaw, mo)
	if err != nil {
		var be *matrix.BuildError
		if errors.As(err, &be) {
			return &StepError{Step: "build", Target: t.String(), Err: errors.New(strings.TrimPrefix(be.Error(), "build "+t.String()+": "))}
		}
		return err
	}
	p.rep.step("build", t.String(), r.Duration)
	return nil
}

// progressEvery is how often a long go build says what it is doing.
const progressEvery = 5 * time.Second

// goBuild runs one go build into the cache and records its output as a
// raw input of kind, once the cache trusts it (cache.trustRaw): an output
// that changed since go build wrote it is removed and built again.
func (p *Plan) goBuild(ctx context.Context, t platform.Target, kind Kind, mo matrix.Options) (matrix.Result, error) {
	out := matrix.OutputPath(mo.OutDir, mo.Name, t)
	if p.cache.relink {
		if err := os.Remove(out); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return matrix.Result{}, err
		}
	}
	mo.OnStart = func(_ platform.Target, args []string) { p.rep.command(args) }
	// A first build downloads modules and compiles for minutes: say what it
	// is doing every few seconds, so that it never looks hung.
	var mu sync.Mutex
	doing := "starting"
	mo.OnProgress = func(_ platform.Target, line string) {
		mu.Lock()
		defer mu.Unlock()
		if rest, ok := strings.CutPrefix(line, "go: downloading "); ok {
			doing = "downloading " + rest
		} else if line != "" && !strings.ContainsAny(line, " \t") {
			doing = "compiling " + line
		}
	}
	label := t.String()
	if kind == kindRawWrapper {
		label += " svcwrap"
	}
	stop := p.rep.every(progressEvery, func(elapsed time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		p.rep.printf(Normal, "  %-10s %-16s %5.0fs  %s\n", "build", label, elapsed.Seconds(), doing)
	})
	defer stop()
	for attempt := 0; ; attempt++ {
		_, statErr := os.Stat(out)
		r, err := mo.BuildOne(ctx, t)
		if err != nil {
			return r, err
		}
		var sum string
		if statErr != nil {
			sum, err = p.cache.wroteRaw(out)
		} else {
			sum, err = p.cache.trustRaw(out)
		}
		if err != nil {
			return r, err
		}
		if sum != "" {
			p.addRaw(t, rawFile{kind: kind, path: out, sha256: sum})
			return r, nil
		}
		if attempt > 0 {
			return r, fmt.Errorf("go build left %s as it was, with content other than it wrote", out)
		}
		p.rep.printf(Quiet, "svcpack: %s: %s is not known to be what go build wrote there (edited in the cache, or no record): building it again\n", t, out)
		if err := os.Remove(out); err != nil {
			return r, err
		}
	}
}
