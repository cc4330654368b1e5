// Package magetargets holds svcpack's Mage targets. A project adopts svcpack
// by adding an svcpack.yaml and importing these targets in its magefile:
//
//	//go:build mage
//
//	package main
//
//	import (
//		//mage:import
//		_ "github.com/svcpack/svcpack/pkg/magetargets"
//	)
//
// Targets read the config named by SVCPACK_CONFIG (default svcpack.yaml in
// the current directory); SVCPACK_FORCE=1 makes a release redo every
// artifact instead of reusing those whose inputs did not change, and
// SVCPACK_DIST_OUTSIDE=1 lets the config's dist lie outside the project
// folder (config.Load reads it). They are thin: parse config, call pkg/release.
package magetargets

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/release"
)

func configPath() string {
	if p := os.Getenv("SVCPACK_CONFIG"); p != "" {
		return p
	}
	return config.FileName
}

func options() release.Options {
	o := release.Options{Log: os.Stderr, Force: os.Getenv("SVCPACK_FORCE") == "1"}
	if mg.Verbose() {
		o.Verbosity = release.Verbose
	}
	return o
}

// Check validates svcpack.yaml and prints the resolved version and what
// the packages do with the program (wrapped, Type=notify) and why.
func Check() error {
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: ok: %s %s (version from %s), %d targets\n", configPath(), c.Name, c.Version, c.Version.From(), len(c.Targets))
	for _, l := range c.ContractSummary() {
		fmt.Fprintf(os.Stderr, "  %s\n", l)
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(os.Stderr, "%s\n", w)
	}
	return nil
}

// Build compiles the binary for this machine only (GOOS/GOARCH of the host),
// with its Windows resources, into dist/.
func Build(ctx context.Context) error {
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		return err
	}
	o := options()
	o.Targets = []platform.Target{{OS: runtime.GOOS, Arch: runtime.GOARCH}}
	_, err = release.Build(ctx, c, o)
	return err
}

// Windows builds windows/amd64 only, with version info, icon and manifest
// (and signature when configured): the quickest path to app.exe.
func Windows(ctx context.Context) error {
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		return err
	}
	o := options()
	o.Targets = []platform.Target{{OS: "windows", Arch: "amd64"}}
	_, err = release.Build(ctx, c, o)
	return err
}

// Release runs the full pipeline from svcpack.yaml into dist/.
func Release(ctx context.Context) error {
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		return err
	}
	_, err = release.Release(ctx, c, options())
	return err
}

// Part makes one part of a split release into dist/: the targets matching
// the comma-separated os/arch patterns (mage part linux/*,darwin/*),
// with partial.json; Merge joins the parts.
func Part(ctx context.Context, targets string) error {
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		return err
	}
	o := options()
	o.Partial = true
	if o.Targets, err = release.MatchTargets(c, strings.Split(targets, ",")); err != nil {
		return err
	}
	_, err = release.Release(ctx, c, o)
	return err
}

// Merge checks the parts of a split release (their dist directories:
// shell patterns such as 'parts/*', separated by spaces, or one folder
// whose name holds spaces) and merges them into dist/.
func Merge(ctx context.Context, parts string) error {
	o := options()
	ps := release.OpenParts(ctx, release.PartDirs(partPatterns(parts)), o)
	c, err := release.LoadForMerge(configPath(), config.OSEnv(), ps)
	if err != nil {
		return err
	}
	_, err = release.Merge(ctx, c, ps, o)
	return err
}

// Publish delivers the release in dist/: the OCI image index to the
// registries oci.push names (credentials from SVCPACK_REGISTRY_USERNAME and
// SVCPACK_REGISTRY_PASSWORD, else the Docker config file), the Homebrew
// formula to homebrew.tap and the Scoop manifest to scoop.bucket.
func Publish(ctx context.Context) error {
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		return err
	}
	_, err = release.Publish(ctx, c, release.PublishOptions{Dist: options().Dist, Getenv: os.Getenv, Log: os.Stderr})
	return err
}

// Verify releases twice into temporary directories with the same inputs and
// fails, naming each artifact and where it differs, unless every artifact is
// byte-identical. dist/ is not touched.
func Verify(ctx context.Context) error {
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		return err
	}
	diffs, err := release.Verify(ctx, c, options())
	if err != nil {
		return err
	}
	if len(diffs) > 0 {
		return fmt.Errorf("release is not reproducible: %d artifacts differ:\n%s", len(diffs), release.FormatDifferences(diffs))
	}
	return nil
}

// Test runs go test ./... for the module in the current directory.
func Test(ctx context.Context) error {
	args := []string{"test", "./..."}
	if mg.Verbose() {
		args = append(args, "-v")
	}
	cmd := exec.CommandContext(ctx, mg.GoCmd(), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// Clean removes the dist directory named in svcpack.yaml and its
// incremental-release cache, each only if svcpack made it (release.Clean).
func Clean() error {
	dir := ""
	c, err := release.Load(configPath(), config.OSEnv())
	if err != nil {
		// A broken config must not stop a clean of the default dist/.
		dir = filepath.Join(filepath.Dir(configPath()), "dist")
		fmt.Fprintf(os.Stderr, "svcpack: %v\nsvcpack: removing %s\n", err, dir)
	} else {
		dir = c.Dist
	}
	return release.Clean(dir)
}

// partPatterns splits Merge's argument into patterns at spaces, unless it
// names an existing folder as a whole (one whose name holds spaces).
func partPatterns(arg string) []string {
	if _, err := os.Lstat(arg); err == nil {
		return []string{arg}
	}
	return strings.Fields(arg)
}
