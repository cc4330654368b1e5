package main

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/build"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/release"
	"github.com/svcpack/svcpack/pkg/stamp"
	"github.com/svcpack/svcpack/templates"
)

// cmdInit writes a starter svcpack.yaml with a fresh upgrade code, filled
// from what the module shows: its main package (go list: the module root or
// cmd/...), homepage (a github.com, gitlab.com, ... module path), license
// (the LICENSE file's text), vendor and maintainer (git config, else the
// LICENSE's copyright holder; it says which, and that the vendor names the
// Windows install folder), the variables ldflags stamp the version into
// (findStamps: the program's own, else a well-known version package it
// imports; none, no -X). It adds dist/ and .dist.cache/ to .gitignore. It
// never overwrites an existing config.
func cmdInit(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("init", flag.ContinueOnError)
	fset.SetOutput(stderr)
	path := fset.String("config", config.FileName, "file to write")
	name := fset.String("name", "", "binary and service name (default: the main package's directory, or the module's last path element)")
	mainPkg := fset.String("main", "", "main package (default: found with go list: the module root, else cmd/...)")
	vendor := fset.String("vendor", "", "company or author (default: git config user.name, else the LICENSE's copyright holder)")
	maintainer := fset.String("maintainer", "", "package maintainer, \"Name <email>\" (default: git config user.name and user.email)")
	ci := fset.String("ci", "", "write the release workflow: github (the default when the module or the git remote is on "+
		"github.com; with an existing config, only the workflow), or none")
	force := fset.Bool("force", false, "with -ci github: replace an existing "+release.WorkflowPath)
	version := fset.String("svcpack-version", "", "with -ci github: the svcpack version the workflow runs "+
		"(default: this svcpack's own, which a local build does not have)")
	if err := parse(fset, args); err != nil {
		return err
	}
	if *ci != "" && *ci != "github" && *ci != "none" {
		return usageError{fmt.Errorf("-ci %q: want github or none", *ci)}
	}
	wf := workflowInit{explicit: *ci == "github", force: *force, version: *version}
	if _, err := os.Stat(*path); err == nil {
		if wf.explicit {
			return wf.write(*path, stdout)
		}
		return fmt.Errorf("%s already exists; remove it first or pass -config with another name "+
			"(svcpack init -ci github writes only the release workflow for it)", *path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(*path)
	mod, err := readModule(dir)
	if err != nil {
		return err
	}
	if *mainPkg == "" {
		if *mainPkg, err = findMain(dir, mod, stdout); err != nil {
			return err
		}
	}
	if *name == "" {
		*name = defaultName(*mainPkg, mod.Path)
	} else if !config.ValidName(*name) {
		// It goes into the starter file as written, comments included.
		return usageError{fmt.Errorf("-name %q: want letters, digits, '.', '_' and '-', starting with a letter or digit (it names the artifacts and the service)", *name)}
	}
	lic := detectLicense(dir)
	gitName, gitEmail := gitConfig(dir, "user.name"), gitConfig(dir, "user.email")
	vendorFrom, maintainerFrom := "-vendor", "-maintainer"
	if *vendor == "" {
		switch {
		case gitName != "":
			*vendor, vendorFrom = gitName, "git config user.name"
		case lic.holder != "":
			*vendor, vendorFrom = lic.holder, lic.file+"'s copyright holder"
		}
	}
	if *maintainer == "" && gitName != "" && gitEmail != "" {
		*maintainer, maintainerFrom = gitName+" <"+gitEmail+">", "git config user.name and user.email"
	}
	code, err := newGUID()
	if err != nil {
		return err
	}
	stamps, stampNote, err := findStamps(dir, mod, *mainPkg)
	if err != nil {
		return err
	}
	tmpl, err := templates.Parse("svcpack.yaml.tmpl", template.FuncMap{"q": yamlQuote})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]any{
		"Name": *name, "Main": *mainPkg, "UpgradeCode": code, "Vendor": *vendor, "Maintainer": *maintainer,
		"Homepage": homepageOf(mod.Path), "License": lic.spdx, "LicenseFile": lic.file,
		"DownloadURL": downloadURLOf(homepageOf(mod.Path)),
		"ImageRef":    imageRefOf(homepageOf(mod.Path), *name),
		"Stamps":      stamps,
		"Formats":     formatNames(),
	}); err != nil {
		return err
	}
	f, err := os.OpenFile(*path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		os.Remove(*path)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s for %s (main %s; MSI upgrade code %s: keep it fixed for this product forever)\n", *path, mod.Path, *mainPkg, code)
	if lic.spdx != "" {
		fmt.Fprintf(stdout, "license: %s, from %s%s\n", lic.spdx, lic.file, lic.note)
	}
	if *vendor != "" {
		advice := ""
		if vendorFrom == "git config user.name" {
			advice = ": set vendor: to your organisation" // a person's name, most likely
		}
		fmt.Fprintf(stdout, "vendor: %s (from %s; it names the Windows install folder C:\\Program Files\\%s\\%s%s)\n",
			*vendor, vendorFrom, *vendor, *name, advice)
	}
	if *maintainer != "" {
		fmt.Fprintf(stdout, "maintainer: %s (from %s; the Linux packages' maintainer field)\n",
			*maintainer, maintainerFrom)
	}
	added, err := ignoreOutputs(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return fmt.Errorf(".gitignore: %w", err)
	}
	if len(stamps) > 0 {
		fmt.Fprintf(stdout, "ldflags stamp %s (-X): %s\n", describeStamps(stamps), stampNote)
	} else {
		fmt.Fprintf(stdout, "no string variable version in package main or in a version package%s: "+
			"ldflags stamp no version (%s says how to add one)\n", stampNote, *path)
	}
	if len(added) > 0 {
		fmt.Fprintf(stdout, "added %s to %s: commit it before releasing (a release of a work tree with changes is versioned -dirty)\n",
			strings.Join(added, " and "), filepath.Join(dir, ".gitignore"))
	}
	if *vendor == "" || *maintainer == "" {
		fmt.Fprintf(stdout, "set vendor and maintainer (\"Name <email>\") in %s before releasing: the MSI and the Linux packages need them (svcpack check says what is missing)\n", *path)
	}
	if *ci == "" && onGitHub(dir, mod.Path) || wf.explicit {
		if err := wf.write(*path, stdout); err != nil {
			if wf.explicit {
				return err
			}
			fmt.Fprintf(stdout, "release workflow not written: %v\n", err)
		}
	}
	return nil
}

// A knownStamp is a version package that programs import from a
// dependency and stamp with -X, rather than declaring a variable of their
// own.
type knownStamp struct {
	path  string   // the package's import path
	about string   // what it is, for init's output
	vars  []string // name=template: its variables and the ldflags value for each
}

// knownStamps are the well-known version packages init looks for among the
// main package's dependencies (go list -deps) when the program has no
// version variable of its own, first match first; init stamps only the
// variables of each that pkg/stamp finds settable. Keep it to packages
// many programs share, whose variables svcpack's ldflags values fill.
var knownStamps = []knownStamp{
	{
		path:  "github.com/prometheus/common/version",
		about: "the Prometheus projects' version package",
		vars:  []string{"Version={{.Version}}", "Revision={{.Commit}}"},
	},
}

// findStamps is what ldflags stamp, as -X arguments
// ("main.version={{.Version}}"), and why, for init to say: the program's
// or the module's own version variable (pkg/stamp's Find), else the
// variables of a well-known version package the main package imports
// (knownStamps), else none (and the note says why, or is "").
func findStamps(dir string, mod module, mainPkg string) ([]string, string, error) {
	ctxt := build.Default // the host's target, as go build has it
	ctxt.CgoEnabled = false
	own, err := stamp.Find(&ctxt, filepath.Join(dir, filepath.FromSlash(mainPkg)), mod.Dir, mod.Path)
	if err != nil {
		return nil, "", err
	}
	known, listErr := importedStamp(dir, mainPkg)
	if own != "" {
		why := "the program's own variable"
		if !strings.HasPrefix(own, "main.") {
			why = "the module's own version package"
		}
		if known != nil {
			why += fmt.Sprintf(", chosen over %s (%s), which it also imports: a program prints its own; "+
				"add that package's -X lines too if it prints that one as well", known.path, known.about)
		}
		return []string{own + "={{.Version}}"}, why, nil
	}
	if listErr != nil {
		return nil, fmt.Sprintf(" (nor a well-known one among its imports: %v)", listErr), nil
	}
	if known == nil {
		return nil, "", nil
	}
	out, err := goCmd(dir, "list", "-f", "{{.Dir}}", "--", known.path)
	if err != nil {
		return nil, fmt.Sprintf(" (%s is imported, but not found: %v)", known.path, err), nil
	}
	p, err := stamp.Load(&ctxt, strings.TrimSpace(string(out)))
	if err != nil {
		return nil, fmt.Sprintf(" (%s is imported, but not read: %v)", known.path, err), nil
	}
	var xs, names []string
	for _, v := range known.vars {
		name, _, _ := strings.Cut(v, "=")
		names = append(names, name)
		if p.Lookup(name).Kind == stamp.Settable {
			xs = append(xs, known.path+"."+v)
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Sprintf(" (the program imports %s, but -X can set none of %s there)",
			known.path, strings.Join(names, ", ")), nil
	}
	return xs, fmt.Sprintf("the program declares no version variable of its own, and imports %s (%s)",
		known.path, known.about), nil
}

// stampValues name what the ldflags templates of knownStamps stamp.
var stampValues = map[string]string{"{{.Version}}": "the version", "{{.Commit}}": "the commit"}

// describeStamps says what -X arguments stamp where: "the version into
// main.version", "the version into p.Version and the commit into
// p.Revision".
func describeStamps(xs []string) string {
	var parts []string
	for _, x := range xs {
		target, value, _ := strings.Cut(x, "=")
		parts = append(parts, cmp.Or(stampValues[value], value)+" into "+target)
	}
	return strings.Join(parts, " and ")
}

// importedStamp is the first of knownStamps that the main package imports,
// directly or through its dependencies, or nil.
func importedStamp(dir, mainPkg string) (*knownStamp, error) {
	out, err := goCmd(dir, "list", "-deps", "-f", "{{.ImportPath}}", "--", mainPkg)
	if err != nil {
		return nil, fmt.Errorf("listing the imports of %s: %w", mainPkg, err)
	}
	deps := strings.Fields(string(out))
	for i, k := range knownStamps {
		if slices.Contains(deps, k.path) {
			return &knownStamps[i], nil
		}
	}
	return nil, nil
}

// module is what `go list -m` says of the module in a directory.
type module struct{ Path, Dir string }

func readModule(dir string) (module, error) {
	var m module
	out, err := goCmd(dir, "list", "-m", "-json")
	if err != nil {
		return m, fmt.Errorf("svcpack releases a Go module, and this is none (%v): run `go mod init <module path>` first, or run init in the module's directory", err)
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return m, fmt.Errorf("go list -m: %w", err)
	}
	return m, nil
}

// findMain picks the module's main package: the module root, else the one
// under cmd/ named like the module, else the only one (or the first, saying
// which others there are).
func findMain(dir string, mod module, stdout io.Writer) (string, error) {
	out, err := goCmd(dir, "list", "-f", "{{if eq .Name \"main\"}}{{.Dir}}{{end}}", "./...")
	if err != nil {
		return "", fmt.Errorf("listing the module's packages: %w", err)
	}
	var mains []string
	for _, d := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(mod.Dir, d)
		if err != nil {
			continue
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return ".", nil
		}
		mains = append(mains, "./"+rel)
	}
	if len(mains) == 0 {
		return "", fmt.Errorf("no package main in %s (go list ./...): pass -main with the program's package", mod.Path)
	}
	want := "./cmd/" + path.Base(strings.TrimSuffix(mod.Path, "/"+majorSuffix(mod.Path)))
	if slices.Contains(mains, want) {
		return want, nil
	}
	cmds := slices.DeleteFunc(slices.Clone(mains), func(m string) bool { return !strings.HasPrefix(m, "./cmd/") })
	if len(cmds) == 0 {
		cmds = mains
	}
	if len(mains) > 1 {
		fmt.Fprintf(stdout, "the module has %d main packages (%s): chose %s; pass -main for another\n", len(mains), strings.Join(mains, " "), cmds[0])
	}
	return cmds[0], nil
}

// majorSuffix is a module path's major version element ("v2"), or "".
func majorSuffix(p string) string {
	last := path.Base(p)
	if len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		return last
	}
	return ""
}

// defaultName is the main package's directory name, or for a main package
// at the module root the module's last path element (without a /vN).
func defaultName(mainPkg, modPath string) string {
	if mainPkg != "." {
		return sanitize(path.Base(mainPkg))
	}
	p := modPath
	if v := majorSuffix(p); v != "" {
		p = path.Dir(p)
	}
	return sanitize(path.Base(p))
}

// homepageOf is the project page of a module hosted where the module path
// is the repository's address, else "".
func homepageOf(modPath string) string {
	parts := strings.Split(modPath, "/")
	switch parts[0] {
	case "github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht":
		if len(parts) >= 3 {
			return "https://" + strings.Join(parts[:3], "/")
		}
	}
	return ""
}

// downloadURLOf is a download_url template for a project's home page: its
// GitHub releases, or a stand-in to edit.
func downloadURLOf(homepage string) string {
	if strings.HasPrefix(homepage, "https://github.com/") {
		return homepage + "/releases/download/v{{.Version}}/{{.File}}"
	}
	return "https://example.com/downloads/v{{.Version}}/{{.File}}"
}

// imageRefOf is the registry reference the starter config suggests for
// oci.push: GitHub's registry for a GitHub module, in the lower case
// references need.
func imageRefOf(homepage, name string) string {
	if rest, ok := strings.CutPrefix(homepage, "https://github.com/"); ok {
		return "ghcr.io/" + strings.ToLower(rest)
	}
	return "registry.example.com/" + strings.ToLower(name)
}

// license is what a LICENSE file shows.
type license struct {
	file   string // as found: LICENSE, LICENSE.md, COPYING, ...
	spdx   string // the identifier, when the text is one svcpack knows
	holder string // the copyright holder named in it
	note   string // a caveat for the user
}

// licenseTexts recognise a licence by phrases of its text, most specific
// first.
var licenseTexts = []struct {
	spdx, note string
	phrases    []string
}{
	{"AGPL-3.0-or-later", " (say AGPL-3.0-only if your notices do)", []string{"GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3"}},
	{"LGPL-3.0-or-later", " (say LGPL-3.0-only if your notices do)", []string{"GNU LESSER GENERAL PUBLIC LICENSE", "Version 3"}},
	{"LGPL-2.1-or-later", " (say LGPL-2.1-only if your notices do)", []string{"GNU LESSER GENERAL PUBLIC LICENSE", "Version 2.1"}},
	{"GPL-3.0-or-later", " (say GPL-3.0-only if your notices do)", []string{"GNU GENERAL PUBLIC LICENSE", "Version 3"}},
	{"GPL-2.0-or-later", " (say GPL-2.0-only if your notices do)", []string{"GNU GENERAL PUBLIC LICENSE", "Version 2"}},
	{"MPL-2.0", "", []string{"Mozilla Public License", "2.0"}},
	{"Apache-2.0", "", []string{"Apache License", "Version 2.0"}},
	{"BSD-3-Clause", "", []string{"Redistribution and use in source and binary forms", "Neither the name"}},
	{"BSD-2-Clause", "", []string{"Redistribution and use in source and binary forms"}},
	{"MIT", "", []string{"Permission is hereby granted, free of charge"}},
	{"ISC", "", []string{"Permission to use, copy, modify, and/or distribute this software for any"}},
	{"Unlicense", "", []string{"This is free and unencumbered software released into the public domain"}},
}

var holderRE = regexp.MustCompile(`(?mi)^\s*Copyright\s+(?:\(c\)\s*|©\s*)?(?:[0-9]{4}(?:\s*[-,]\s*[0-9]{4})*\s+)?([^<>\n]*[^<>\s.,])`)

// detectLicense reads the module's licence file, if any.
func detectLicense(dir string) license {
	for _, name := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		l := license{file: name}
		text := strings.Join(strings.Fields(string(b)), " ")
		for _, lt := range licenseTexts {
			if !slices.ContainsFunc(lt.phrases, func(p string) bool { return !strings.Contains(text, p) }) {
				l.spdx, l.note = lt.spdx, lt.note
				break
			}
		}
		if m := holderRE.FindSubmatch(b); m != nil && !strings.Contains(strings.ToLower(string(m[1])), "copyright") {
			l.holder = strings.TrimSpace(string(m[1]))
		}
		return l
	}
	return license{}
}

// ignoreOutputs adds what a release writes beside svcpack.yaml (dist/ and
// its cache) to the .gitignore at path, and returns what it added.
func ignoreOutputs(path string) ([]string, error) {
	return ignore(path, "svcpack release output", []string{"dist/", ".dist.cache/"})
}

// ignore adds the paths (relative to the .gitignore at path, each anchored
// with a leading /) that it does not list yet under a comment, and returns
// what it added.
func ignore(path, comment string, paths []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		have[strings.TrimPrefix(strings.TrimSpace(l), "/")] = true
	}
	var add []string
	for _, p := range paths {
		if !have[p] && !have[strings.TrimSuffix(p, "/")] {
			add = append(add, p)
		}
	}
	if len(add) == 0 {
		return nil, nil
	}
	if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	b = append(b, "# "+comment+"\n"...)
	for _, p := range add {
		b = append(b, "/"+p+"\n"...)
	}
	return add, os.WriteFile(path, b, 0o644)
}

// goCmd runs the go command in dir and returns its standard output.
func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// newGUID returns a random (version 4) GUID in upper case.
func newGUID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])), nil
}

// sanitize turns a directory name into a valid service name.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-._")
	if out == "" {
		return "app"
	}
	return out
}

// gitConfig returns a git configuration value as git reads it in dir, or "".
func gitConfig(dir, key string) string {
	cmd := exec.Command("git", "config", "--get", key)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// yamlQuote writes s as a YAML double-quoted scalar (a JSON string is one),
// without JSON's HTML escapes, so that "Name <email>" reads as written.
func yamlQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// formatList is what the starter's comment lists: the default formats
// and the others, from the packager registry.
type formatList struct{ Default, Other string }

// formatNames lists the formats a config may name, defaults first.
func formatNames() formatList {
	var defaults, others []string
	for _, f := range release.Formats() {
		switch {
		case f.Internal:
		case f.Default:
			defaults = append(defaults, f.Name)
		default:
			others = append(others, f.Name)
		}
	}
	return formatList{strings.Join(defaults, ", "), strings.Join(others, ", ")}
}
