// Command svcpack releases a Go service for every platform it ships to:
// binaries, Windows zips and MSIs, Linux packages and darwin tarballs, with
// checksums and an artifact manifest. It is the same pipeline as the Mage
// targets in pkg/magetargets, for projects without Mage:
//
//	go run github.com/svcpack/svcpack/cmd/svcpack@latest release
//
// Commands:
//
//	svcpack release [-config svcpack.yaml] [-v|-q] [-p N] [-force] [-cpuprofile file]
//	svcpack build   [-config svcpack.yaml] [-v|-q] [-target os/arch]...
//	svcpack check   [-config svcpack.yaml] [-dist-outside]
//	svcpack verify  [-config svcpack.yaml] [-v|-q] [-p N]
//	svcpack publish [-config svcpack.yaml]
//	svcpack init    [-name NAME] [-main ./cmd/NAME]
//
// The config's dist must lie inside the config file's folder unless
// -dist-outside (or SVCPACK_DIST_OUTSIDE=1) allows otherwise; -dist, typed
// by the user, may name any folder. Either way svcpack replaces only a
// dist folder it made.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: svcpack <command> [flags]

commands:
  release   build every target and package it into dist/ (from svcpack.yaml);
            artifacts whose inputs did not change are kept (-force redoes all);
            -partial -targets 'linux/*' makes one part of a split release
  merge     check parts of a split release (their dist directories) and
            merge them into the release dist/
  build     build binaries only (default: this machine's target) into dist/
  check     validate svcpack.yaml and print the resolved version
  verify    release twice into temporary directories and compare every artifact
  publish   deliver the release: push the OCI image index to oci.push's registries,
            commit the formula to homebrew.tap and the manifest to scoop.bucket
  init      write a starter svcpack.yaml with a fresh MSI upgrade code

run 'svcpack <command> -h' for a command's flags
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "release":
		err = cmdRelease(ctx, args[1:], stderr)
	case "build":
		err = cmdBuild(ctx, args[1:], stderr)
	case "check":
		err = cmdCheck(args[1:], stdout, stderr)
	case "verify":
		err = cmdVerify(ctx, args[1:], stderr)
	case "merge":
		err = cmdMerge(ctx, args[1:], stderr)
	case "publish":
		err = cmdPublish(ctx, args[1:], stderr)
	case "init":
		err = cmdInit(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "svcpack: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "svcpack %s: %v\n", args[0], err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "svcpack %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type usageError struct{ error }

// common holds the flags every pipeline command takes.
type common struct {
	config  string
	verbose bool
	quiet   bool
	par     int
	dist    string
	outside bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", config.FileName, "config file")
	fs.BoolVar(&c.verbose, "v", false, "print every command run")
	fs.BoolVar(&c.quiet, "q", false, "print only errors and warnings, no progress")
	fs.IntVar(&c.par, "p", 0, "parallel jobs (default GOMAXPROCS)")
	fs.StringVar(&c.dist, "dist", "", "output directory (default: the config's dist)")
	registerOutside(fs, &c.outside)
}

// registerOutside adds -dist-outside, which allows the config's dist
// outside the project folder.
func registerOutside(fs *flag.FlagSet, v *bool) {
	fs.BoolVar(v, "dist-outside", false, "allow the config's dist (and its cache) outside the config file's folder "+
		"(also "+config.DistOutsideEnv+"=1)")
}

// env is the environment Load sees, with -dist-outside.
func (c *common) env() config.Env {
	e := config.OSEnv()
	e.DistOutside = c.outside
	return e
}

func (c *common) options(stderr io.Writer) release.Options {
	o := release.Options{Log: stderr, Parallelism: c.par}
	if c.dist != "" {
		o.Dist, _ = filepath.Abs(c.dist)
	}
	switch {
	case c.quiet:
		o.Verbosity = release.Quiet
	case c.verbose:
		o.Verbosity = release.Verbose
	}
	return o
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return nil
}

// loadForCommand parses the common flags and loads the config.
func loadForCommand(name string, args []string, stderr io.Writer) (*config.Spec, release.Options, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	if err := parse(fs, args); err != nil {
		return nil, release.Options{}, err
	}
	cfg, err := release.Load(c.config, c.env())
	return cfg, c.options(stderr), err
}

func cmdRelease(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	force := fs.Bool("force", false, "make every artifact again, even those whose inputs did not change")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the release to this file (go tool pprof reads it)")
	partial := fs.Bool("partial", false, "make one part of a split release: per-target artifacts and partial.json, no checksums (then svcpack merge)")
	globs := fs.String("targets", "", "with -partial: the targets of this part, as os/arch patterns (comma-separated, e.g. 'linux/*,darwin/*')")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *globs != "" && !*partial {
		return usageError{errors.New("-targets makes one part of a split release: add -partial, and merge the parts with svcpack merge")}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := release.Load(c.config, c.env())
	if err != nil {
		return err
	}
	o := c.options(stderr)
	o.Force = *force
	o.Partial = *partial
	if *globs != "" {
		if o.Targets, err = release.MatchTargets(cfg, strings.Split(*globs, ",")); err != nil {
			return usageError{err}
		}
	}
	_, err = release.Release(ctx, cfg, o)
	return err
}

// cmdMerge merges the parts named by its arguments (directories or shell
// patterns, see release.PartDirs).
func cmdMerge(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: svcpack merge [flags] PART_DIR...\n\nmerges the dist directories of svcpack release -partial runs into dist/\n\n")
		fs.PrintDefaults()
	}
	var c common
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	dirs := release.PartDirs(fs.Args())
	if len(dirs) == 0 {
		return usageError{errors.New("name the parts to merge: svcpack merge parts/*")}
	}
	o := c.options(stderr)
	parts := release.OpenParts(ctx, dirs, o) // the manifests only: Merge reads the files once it has checked them
	cfg, err := release.LoadForMerge(c.config, c.env(), parts)
	if err != nil {
		return err
	}
	_, err = release.Merge(ctx, cfg, parts, o)
	return err
}

func cmdVerify(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, o, err := loadForCommand("verify", args, stderr)
	if err != nil {
		return err
	}
	if o.Dist != "" {
		return usageError{errors.New("verify releases twice into folders of its own and compares them: -dist has no use here")}
	}
	diffs, err := release.Verify(ctx, cfg, o)
	if err != nil {
		return err
	}
	if len(diffs) > 0 {
		return fmt.Errorf("release is not reproducible: %d artifacts differ", len(diffs))
	}
	return nil
}

// targetList collects repeated -target flags.
type targetList []platform.Target

func (t *targetList) String() string {
	var s []string
	for _, x := range *t {
		s = append(s, x.String())
	}
	return strings.Join(s, ",")
}

func (t *targetList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		x, err := platform.Parse(strings.TrimSpace(part))
		if err != nil {
			return err
		}
		*t = append(*t, x)
	}
	return nil
}

func cmdBuild(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	var targets targetList
	fs.Var(&targets, "target", "os/arch to build (repeatable; default: this machine's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := release.Load(c.config, c.env())
	if err != nil {
		return err
	}
	o := c.options(stderr)
	o.Targets = targets
	if len(o.Targets) == 0 {
		o.Targets = []platform.Target{{OS: runtime.GOOS, Arch: runtime.GOARCH}}
	}
	_, err = release.Build(ctx, cfg, o)
	return err
}

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", config.FileName, "config file")
	var outside bool
	registerOutside(fs, &outside)
	if err := parse(fs, args); err != nil {
		return err
	}
	env := config.OSEnv()
	env.DistOutside = outside
	cfg, err := release.Load(*path, env)
	if err != nil {
		return err
	}
	var targets []string
	for _, t := range cfg.Targets {
		targets = append(targets, t.String())
	}
	fmt.Fprintf(stdout, "%s: ok: %s %s (version from %s), targets %s, formats %s\n",
		*path, cfg.Name, cfg.Version, cfg.Version.From(), strings.Join(targets, " "), strings.Join(cfg.Formats, " "))
	for _, l := range cfg.ContractSummary() {
		fmt.Fprintf(stdout, "  %s\n", l)
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "%s\n", w)
	}
	if top, err := gitTop(cfg.Dir); err == nil {
		if w := release.WorkflowDrift(top, release.RunningVersion()); w != "" {
			fmt.Fprintf(stderr, "%s: warning: %s\n", *path, w)
		}
	}
	return nil
}

// cmdPublish delivers the release in dist/: the image index to the
// registries oci.push names (credentials from the environment or the Docker
// config file), the formula to homebrew.tap and the manifest to
// scoop.bucket.
func cmdPublish(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	ifSet := fs.Bool("if-configured", false, "succeed, saying so, when the config names nowhere to publish "+
		"(a workflow shared by projects that do and do not publish)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := release.Load(c.config, c.env())
	if err != nil {
		return err
	}
	o := c.options(stderr)
	_, err = release.Publish(ctx, cfg, release.PublishOptions{Dist: o.Dist, Getenv: os.Getenv, Log: stderr})
	if *ifSet && errors.Is(err, release.ErrNothingToPublish) {
		fmt.Fprintf(stderr, "svcpack publish: %s names nowhere to publish (oci.push, homebrew.tap, scoop.bucket, "+
			"pages): nothing done\n", cfg.Path)
		return nil
	}
	return err
}
