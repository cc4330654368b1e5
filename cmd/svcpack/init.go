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
	"github.com/svcpack/svcpack/pkg/stamp"
	"github.com/svcpack/svcpack/templates"
)

// cmdInit writes a starter svcpack.yaml with a fresh upgrade code, filled
// from what the module shows: its main package (go list: the module root or
// cmd/...), homepage (a github.com, gitlab.com, ... module path), license
// (the LICENSE file's text), vendor and maintainer (git config, else the
// LICENSE's copyright holder), the variable ldflags stamp the version into
// (pkg/stamp's Find; none, no -X). It adds dist/ and .dist.cache/ to
// .gitignore. It never overwrites an existing config.
func cmdInit(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("init", flag.ContinueOnError)
	fset.SetOutput(stderr)
	path := fset.String("config", config.FileName, "file to write")
	name := fset.String("name", "", "binary and service name (default: the main package's directory, or the module's last path element)")
	mainPkg := fset.String("main", "", "main package (default: found with go list: the module root, else cmd/...)")
	vendor := fset.String("vendor", "", "company or author (default: git config user.name, else the LICENSE's copyright holder)")
	maintainer := fset.String("maintainer", "", "package maintainer, \"Name <email>\" (default: git config user.name and user.email)")
	if err := parse(fset, args); err != nil {
		return err
	}
	if _, err := os.Stat(*path); err == nil {
		return fmt.Errorf("%s already exists; remove it first or pass -config with another name", *path)
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
	gitName, gitEmail := gitConfig("user.name"), gitConfig("user.email")
	if *vendor == "" {
		*vendor = cmp.Or(gitName, lic.holder)
	}
	if *maintainer == "" && gitName != "" && gitEmail != "" {
		*maintainer = gitName + " <" + gitEmail + ">"
	}
	code, err := newGUID()
	if err != nil {
		return err
	}
	stampVar, err := findStamp(dir, mod, *mainPkg)
	if err != nil {
		return err
	}
	tmpl, err := templates.Parse("svcpack.yaml.tmpl", template.FuncMap{"q": yamlQuote})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]string{
		"Name": *name, "Main": *mainPkg, "UpgradeCode": code, "Vendor": *vendor, "Maintainer": *maintainer,
		"Homepage": homepageOf(mod.Path), "License": lic.spdx, "LicenseFile": lic.file,
		"DownloadURL": downloadURLOf(homepageOf(mod.Path)),
		"ImageRef":    imageRefOf(homepageOf(mod.Path), *name),
		"Stamp":       stampVar,
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
	added, err := ignoreOutputs(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return fmt.Errorf(".gitignore: %w", err)
	}
	if stampVar != "" {
		fmt.Fprintf(stdout, "ldflags stamp the version into %s (-X)\n", stampVar)
	} else {
		fmt.Fprintf(stdout, "no string variable version in package main or in a version package: "+
			"ldflags stamp no version (%s says how to add one)\n", *path)
	}
	if len(added) > 0 {
		fmt.Fprintf(stdout, "added %s to %s: commit it before releasing (a release of a work tree with changes is versioned -dirty)\n",
			strings.Join(added, " and "), filepath.Join(dir, ".gitignore"))
	}
	if *vendor == "" || *maintainer == "" {
		fmt.Fprintf(stdout, "set vendor and maintainer (\"Name <email>\") in %s before releasing: the MSI and the Linux packages need them (svcpack check says what is missing)\n", *path)
	}
	return nil
}

// findStamp is the -X target for the version ("main.version",
// "example.com/m/internal/version.Version"; pkg/stamp's Find), or "" when
// the module has no string variable -X can set for it.
func findStamp(dir string, mod module, mainPkg string) (string, error) {
	ctxt := build.Default // the host's target, as go build has it
	ctxt.CgoEnabled = false
	return stamp.Find(&ctxt, filepath.Join(dir, filepath.FromSlash(mainPkg)), mod.Dir, mod.Path)
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
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		have[strings.TrimPrefix(strings.TrimSpace(l), "/")] = true
	}
	var add []string
	for _, p := range []string{"dist/", ".dist.cache/"} {
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
	b = append(b, "# svcpack release output\n"...)
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

// gitConfig returns a git configuration value, or "".
func gitConfig(key string) string {
	out, err := exec.Command("git", "config", "--get", key).Output()
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
