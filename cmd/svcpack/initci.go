package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/release"
)

// workflowInit is what init -ci github was asked for.
type workflowInit struct {
	explicit, force bool
	version         string
}

// write writes the release workflow of the config at path into its git
// repository: it loads the config as check does, and refuses to replace
// an existing workflow without -force.
func (wf workflowInit) write(path string, stdout io.Writer) error {
	version := wf.version
	if version == "" {
		if version = release.RunningVersion(); version == "" {
			return errors.New("-ci github pins the svcpack version that writes the workflow, and this svcpack is a " +
				"local build without one: run a released svcpack (go run github.com/svcpack/svcpack/cmd/svcpack@vX.Y.Z " +
				"init -ci github), or pass -svcpack-version vX.Y.Z")
		}
	}
	cfg, err := release.Load(path, config.OSEnv())
	if err != nil {
		return fmt.Errorf("-ci github writes the workflow from the config, which check refuses (fix it, then run "+
			"svcpack init -ci github):\n%w", err)
	}
	top, err := gitTop(cfg.Dir)
	if err != nil {
		return fmt.Errorf("-ci github: %s is not in a git repository (%v): the workflow goes into one", cfg.Dir, err)
	}
	file := filepath.Join(top, filepath.FromSlash(release.WorkflowPath))
	if _, err := os.Stat(file); err == nil && !wf.force {
		return fmt.Errorf("%s already exists: pass -force to replace it with the workflow of svcpack %s", file, version)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	w, err := release.Workflow(cfg, top, version)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := w.Write(&b); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := packager.WriteFileAtomic(file, 0o644, packager.WriteBytes(b.Bytes())); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: svcpack %s, a part each for %s, on tags %s; svcpack check on pull requests\n",
		file, version, strings.Join(w.PartNames(), ", "), strings.Join(w.Tags, " "))
	var secretFiles []string
	for _, f := range w.Files {
		fmt.Fprintf(stdout, "  set secret %s: the content of %s (never commit that file)\n", f.Secret, f.Path)
		secretFiles = append(secretFiles, f.Path)
	}
	if added, err := ignore(filepath.Join(top, ".gitignore"), "written from secrets by the release workflow",
		secretFiles); err != nil {
		return err
	} else if len(added) > 0 {
		fmt.Fprintf(stdout, "added %s to %s\n", strings.Join(added, " and "), filepath.Join(top, ".gitignore"))
	}
	for _, e := range w.Env {
		if !strings.HasPrefix(e.Secret, "GITHUB_") {
			fmt.Fprintf(stdout, "  set secret %s: given to svcpack as %s\n", e.Secret, e.Var)
		}
	}
	if release.UsesToken(cfg) {
		fmt.Fprintf(stdout, "note: a PKCS#11 token signs: GitHub's runners hold none, so run the jobs on a "+
			"self-hosted runner that does (runs-on), with osslsigncode and libengine-pkcs11-openssl for "+
			"Authenticode; see docs/github-actions.md\n")
	}
	if cfg.Windows.Sign != nil && len(cfg.Windows.Sign.Command) > 0 {
		fmt.Fprintf(stdout, "note: windows.sign.command runs in the part that makes the Windows files: give its "+
			"tool and secrets to that job (env:), see docs/github-actions.md\n")
	}
	return nil
}

// gitTop is the top of the git work tree holding dir.
func gitTop(dir string) (string, error) {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", err
	}
	return filepath.Clean(strings.TrimSpace(string(out))), nil
}

// onGitHub reports whether the project lives on github.com: its module
// path, or its git remote origin.
func onGitHub(dir, modPath string) bool {
	if strings.HasPrefix(modPath, "github.com/") {
		return true
	}
	out, err := exec.Command("git", "-C", dir, "remote", "get-url", "origin").Output()
	return err == nil && strings.Contains(string(out), "github.com")
}
