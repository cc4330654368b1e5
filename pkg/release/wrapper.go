package release

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/msi"
	"github.com/svcpack/svcpack/pkg/winres"
)

// svcpackModule is the module that holds the wrapper's source.
const svcpackModule = "github.com/svcpack/svcpack"

// wrapperPackage is the wrapper's main package inside svcpackModule.
const wrapperPackage = "./cmd/svcwrap"

// wrapperSource finds a directory holding svcpack's module source, from
// which the wrapper is built:
//
//  1. the project's own module graph: `go list -m github.com/svcpack/svcpack`
//     in the project directory answers when the project is svcpack or
//     requires it (a magefile importing pkg/magetargets does), downloading
//     the module when it is not in the module cache yet;
//  2. the running binary's build information, for
//     `go run github.com/svcpack/svcpack/cmd/svcpack@<version>`: that
//     version is downloaded with `go mod download`.
//
// buildInfo is debug.ReadBuildInfo in production.
func wrapperSource(ctx context.Context, goTool, dir string, buildInfo func() (*debug.BuildInfo, bool)) (string, error) {
	if goTool == "" {
		goTool = "go"
	}
	var tried []string
	out, err := goOutput(ctx, goTool, dir, "list", "-m", "-f", "{{.Dir}}\t{{.Version}}", svcpackModule)
	if err == nil {
		d, v, _ := strings.Cut(strings.TrimSpace(out), "\t")
		switch {
		case d != "" && hasWrapper(d):
			return d, nil
		case d != "":
			tried = append(tried, fmt.Sprintf("the project's %s (%s) has no %s", svcpackModule, d, wrapperPackage))
		case v != "":
			d, err := downloadModule(ctx, goTool, dir, v)
			if err == nil && hasWrapper(d) {
				return d, nil
			}
			tried = append(tried, fmt.Sprintf("downloading %s@%s required by the project: %v", svcpackModule, v, errOr(err, "no "+wrapperPackage)))
		}
	} else {
		tried = append(tried, fmt.Sprintf("the project in %s does not require %s (%v)", dir, svcpackModule, firstLine(err.Error())))
	}
	if bi, ok := buildInfo(); ok {
		v := ""
		if bi.Main.Path == svcpackModule {
			v = bi.Main.Version
		}
		for _, m := range bi.Deps {
			if m.Path == svcpackModule {
				v = m.Version
				if m.Replace != nil && m.Replace.Version == "" && filepath.IsAbs(m.Replace.Path) && hasWrapper(m.Replace.Path) {
					return m.Replace.Path, nil
				}
			}
		}
		switch {
		case v == "" || v == "(devel)":
			tried = append(tried, "this svcpack binary carries no module version (it was built from a checkout)")
		default:
			d, err := downloadModule(ctx, goTool, dir, v)
			if err == nil && hasWrapper(d) {
				return d, nil
			}
			tried = append(tried, fmt.Sprintf("downloading %s@%s (this svcpack's version): %v", svcpackModule, v, errOr(err, "no "+wrapperPackage)))
		}
	}
	return "", fmt.Errorf("cannot find the source of svcpack's service wrapper (%s/cmd/svcwrap), which service.wrap needs: %s; "+
		"fix: `go get %s@<version>` in the project (the Mage import does this), or run svcpack as `go run %s/cmd/svcpack@<version>`",
		svcpackModule, strings.Join(tried, "; "), svcpackModule, svcpackModule)
}

func errOr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func hasWrapper(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(wrapperPackage), "main.go"))
	return err == nil
}

// downloadModule fetches svcpack at version into the module cache and
// returns its directory.
func downloadModule(ctx context.Context, goTool, dir, version string) (string, error) {
	out, err := goOutput(ctx, goTool, dir, "mod", "download", "-json", svcpackModule+"@"+version)
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal([]byte(out), &m); jerr == nil && m.Error != "" {
		return "", errors.New(m.Error)
	}
	if err != nil {
		return "", err
	}
	if m.Dir == "" {
		return "", fmt.Errorf("go mod download named no directory")
	}
	return m.Dir, nil
}

// goOutput runs the go command in dir and returns its standard output.
func goOutput(ctx context.Context, goTool, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", goTool, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// wrapperPath is where the wrapper for t goes, beside the program's binary.
func wrapperPath(c *config.Config, t config.Target) string {
	return path.Join(c.Name+"_"+t.Slug(), config.WrapperExe)
}

// wrapperBuildArgs returns the go build arguments for the wrapper: the
// matrix's reproducible flags (-trimpath, -buildvcs=false), stripped.
func wrapperBuildArgs(t config.Target, out string) ([]string, error) {
	o := matrix.Options{Main: wrapperPackage, Ldflags: []string{"-s", "-w"}}
	return o.Args(t, out)
}

// wrapperEnv is the environment of the wrapper's build: the target, no cgo,
// and svcpack's own module (its go.mod and go.sum, no workspace, no
// changes).
func wrapperEnv(t config.Target) []string {
	return append(matrix.Env(os.Environ(), t, "GOWORK", "GOFLAGS"), "GOWORK=off", "GOFLAGS=-mod=readonly")
}

// wrapperStep builds svcwrap.exe for each Windows target when service.wrap
// is set, from the source preflight found.
func wrapperStep() Step {
	return perTarget("svcwrap", isWindows, func(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
		if !p.Config.Service.Wrap {
			return nil, errSkip
		}
		rel := wrapperPath(p.Config, t)
		// In a release, go build writes into the cache, where its
		// up-to-date check makes an unchanged wrapper a no-op.
		out := p.Abs(rel)
		if p.cache != nil {
			out = filepath.Join(p.cache.dir, "wrap", filepath.FromSlash(rel))
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return nil, err
		}
		args, err := wrapperBuildArgs(t, out)
		if err != nil {
			return nil, err
		}
		p.rep.command(append([]string{p.goTool}, args...))
		cmd := exec.CommandContext(ctx, p.goTool, args...)
		cmd.Dir = p.wrapSrc
		cmd.Env = wrapperEnv(t)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building the service wrapper from %s: %v\n%s", p.wrapSrc, err, b)
		}
		if p.cache == nil {
			a, err := newArtifact(p.Dir, rel, KindWrapper, t)
			return []Artifact{a}, err
		}
		res := wrapperResourceOptions(p.Config)
		a, err := p.exe(KindWrapper, t, rel, out, &res)
		return []Artifact{a}, err
	})
}

// Wrapper returns the wrapper artifact built for target t.
func (p *Plan) Wrapper(t config.Target) (Artifact, error) {
	for _, a := range p.Artifacts(KindWrapper) {
		if a.target() == t {
			return a, nil
		}
	}
	return Artifact{}, fmt.Errorf("no service wrapper was built for %s", t)
}

// wrapperResourceOptions gives the wrapper the product's version
// information, described as its service wrapper.
func wrapperResourceOptions(c *config.Config) winres.Options {
	o := resourceOptions(c)
	o.FileDescription = c.Windows.ProductName + " service wrapper (svcpack)"
	o.OriginalFilename = config.WrapperExe
	o.InternalName = strings.TrimSuffix(config.WrapperExe, ".exe")
	return o
}

// wrapperFiles returns the wrapper and its configuration for the Windows
// packages of target t, or nothing when service.wrap is off.
func wrapperFiles(p *Plan, t config.Target) (exe string, cfg []byte, err error) {
	if p.wrapCfg == nil {
		return "", nil, nil
	}
	w, err := p.Wrapper(t)
	if err != nil {
		return "", nil, err
	}
	cfg, err = p.wrapCfg.Marshal()
	if err != nil {
		return "", nil, err
	}
	return p.Abs(w.Path), cfg, nil
}

// logFolderSDDL is the security descriptor of the wrapper's log folder in
// the MSI: SYSTEM and Administrators full control, Users read, and the
// service account modify, so a LocalService, NetworkService or virtual
// account service can write its logs under Program Files. LocalSystem can
// write anywhere: no descriptor then.
func logFolderSDDL(account, service string) string {
	var sid string
	switch account {
	case "LocalService":
		sid = "LS"
	case "NetworkService":
		sid = "NS"
	case `NT SERVICE\` + service:
		sid = serviceSID(service)
	default:
		return ""
	}
	return "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1301bf;;;" + sid + ")"
}

// serviceSID is the SID of the virtual account NT SERVICE\<name>:
// S-1-5-80 followed by the SHA-1 of the upper-cased name in UTF-16LE, read
// as five little-endian 32-bit numbers.
func serviceSID(name string) string {
	u := utf16.Encode([]rune(strings.ToUpper(name)))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	h := sha1.Sum(b)
	parts := []string{"S-1-5-80"}
	for i := 0; i < 5; i++ {
		parts = append(parts, strconv.FormatUint(uint64(binary.LittleEndian.Uint32(h[4*i:])), 10))
	}
	return strings.Join(parts, "-")
}

// wrapperFolders is the wrapper's log folder for the MSI, when it lies
// inside the install folder, with write access for the service account.
func wrapperFolders(p *Plan) []msi.Folder {
	if p.wrapCfg == nil {
		return nil
	}
	// Config validation keeps a relative folder inside the install folder.
	dir := path.Clean(strings.ReplaceAll(p.wrapCfg.Logs.Dir, `\`, "/"))
	if path.IsAbs(dir) || strings.Contains(dir, ":") || dir == "." {
		return nil // absolute: the administrator's to prepare
	}
	c := p.Config
	return []msi.Folder{{Path: dir, SDDL: logFolderSDDL(c.Service.Account, c.Service.Name)}}
}
