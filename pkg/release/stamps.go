package release

import (
	"bytes"
	"cmp"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/stamp"
)

// xFlag is one -X importpath.name=value of the ldflags.
type xFlag struct {
	item       int    // the ldflags item holding importpath.name=value
	arg        string // importpath.name=value
	pkg, name  string // importpath and name, "" when arg is malformed
	flagString string // "-X importpath.name", for messages
}

// xFlags finds the -X flags in the rendered ldflags items, as the linker
// reads them once the go command has joined the items and split them at
// spaces: -X arg, -X=arg, --X, and -X and its argument as two items.
func xFlags(items []string) []xFlag {
	type field struct {
		item int
		text string
	}
	var fields []field
	for i, it := range items {
		for _, f := range splitQuoted(it) {
			fields = append(fields, field{i, f})
		}
	}
	var out []xFlag
	for i := 0; i < len(fields); i++ {
		f := strings.TrimPrefix(fields[i].text, "-")
		var x xFlag
		switch {
		case f == "-X" || f == "X":
			if i+1 == len(fields) {
				out = append(out, xFlag{item: fields[i].item, flagString: "-X"})
				continue
			}
			i++
			x = xFlag{item: fields[i].item, arg: fields[i].text}
		case strings.HasPrefix(f, "X="), strings.HasPrefix(f, "-X="):
			_, arg, _ := strings.Cut(f, "=")
			x = xFlag{item: fields[i].item, arg: arg}
		default:
			continue
		}
		// The linker's own split: the name ends at the first '=', the
		// import path at the last '.' before it.
		if eq := strings.IndexByte(x.arg, '='); eq > 0 {
			if dot := strings.LastIndexByte(x.arg[:eq], '.'); dot > 0 && dot < eq-1 {
				x.pkg, x.name = x.arg[:dot], x.arg[dot+1:eq]
			}
		}
		x.flagString = "-X " + strings.SplitN(x.arg, "=", 2)[0]
		out = append(out, x)
	}
	return out
}

// splitQuoted splits s at spaces, a field that starts with a quote running
// to the matching quote, as the go command splits -ldflags.
func splitQuoted(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return out
		}
		if q := s[0]; q == '"' || q == '\'' {
			if end := strings.IndexByte(s[1:], q); end >= 0 {
				out = append(out, s[1:1+end])
				s = s[2+end:]
				continue
			}
		}
		end := strings.IndexAny(s, " \t\n\r")
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

// checkStamps reports each -X of the rendered ldflags items that would
// stamp nothing: the linker ignores, silently, a name that is not a
// package-level string variable initialised with a constant. The package
// is read for every target (the files differ by GOOS); only the packages
// the flags name are read.
func checkStamps(s *config.Spec, items []string, probs *config.Problems) {
	xs := xFlags(items)
	if len(xs) == 0 || len(s.Targets) == 0 {
		return // no targets: the config's rules say so
	}
	// svcpack's default ldflags stamp main.version where a program has
	// one: only a main.version that -X cannot set is a problem.
	defaulted := s.Line("ldflags") == 0
	st := stamper{s: s, dirs: map[string]pkgDir{}, optional: defaulted}
	for _, x := range xs {
		msg := st.check(x)
		if msg == "" {
			continue
		}
		field := fmt.Sprintf("ldflags[%d]", x.item)
		if defaulted {
			probs.AddAt(field, []string{"main"}, "svcpack's default %s: %s; or set ldflags in %s",
				x.flagString, msg, filepath.Base(s.Path))
		} else {
			probs.Add(field, "%s: %s", x.flagString, msg)
		}
	}
}

// stamper checks -X flags against the spec's packages.
type stamper struct {
	s        *config.Spec
	optional bool // a missing name is no problem
	dirs     map[string]pkgDir
	loader   stamp.Loader
}

// pkgDir is where an import path's package is, or why it is not found.
type pkgDir struct {
	dir, err string
	outside  bool // the package is not the main module's
}

// check says why x stamps nothing, and how to fix it, or "" when it
// stamps (or cannot be judged).
func (st *stamper) check(x xFlag) string {
	if x.pkg == "" {
		return fmt.Sprintf("want -X importpath.name=value (%q is not), as the linker reads it", x.arg)
	}
	pd := st.dir(x.pkg)
	switch {
	case pd.err != "":
		return pd.err
	case pd.dir == "":
		return "" // a main that does not exist: its rule says so
	}
	byMsg := map[string][]string{}
	var order []string
	for _, t := range st.targets() {
		msg := st.checkIn(x, pd.dir, pd.outside, t)
		if msg == "" {
			continue
		}
		if byMsg[msg] == nil {
			order = append(order, msg)
		}
		byMsg[msg] = append(byMsg[msg], t.OS+"/"+t.Arch)
	}
	if len(order) == 0 {
		return ""
	}
	if len(order) == 1 && len(byMsg[order[0]]) == len(st.targets()) {
		return order[0]
	}
	var parts []string
	for _, m := range order {
		parts = append(parts, fmt.Sprintf("for %s, %s", strings.Join(byMsg[m], ", "), m))
	}
	return strings.Join(parts, "; ")
}

// targets are the spec's targets, one for each GOOS/GOARCH (the variants
// select the same files).
func (st *stamper) targets() []platform.Target {
	var out []platform.Target
	for _, t := range st.s.Targets {
		t.Variant = ""
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// checkIn checks x in the package at dir as built for t; outside says the
// package is not the module's (a dependency's, the standard library's), so
// its source is not the user's to change.
func (st *stamper) checkIn(x xFlag, dir string, outside bool, t platform.Target) string {
	ctxt := build.Default
	ctxt.GOOS, ctxt.GOARCH, ctxt.CgoEnabled, ctxt.BuildTags = t.OS, t.Arch, false, st.s.Tags
	p, err := st.loader.Load(&ctxt, dir)
	if err != nil {
		return fmt.Sprintf("cannot read package %s: %v", x.pkg, err)
	}
	if x.pkg != "main" && p.Name == "main" {
		return fmt.Sprintf("%s is a main package, which the linker calls main: write -X main.%s=...", x.pkg, x.name)
	}
	v := p.Lookup(x.name)
	at := ""
	if v.Kind != stamp.Missing {
		at = fmt.Sprintf("%s:%d", st.s.Rel(v.Pos.Filename), v.Pos.Line)
	}
	fix := fmt.Sprintf("make it `var %s = \"dev\"`", x.name)
	if outside {
		// Not the user's to edit: in the module cache, vendor or GOROOT.
		fix = others(p, x)
	}
	switch v.Kind {
	case stamp.Missing:
		if st.optional {
			return ""
		}
		if outside {
			return fmt.Sprintf("no variable %s in package %s (outside the module, in %s), so the linker sets nothing; %s",
				x.name, x.pkg, dir, fix)
		}
		declare := fmt.Sprintf("declare `var %s = \"dev\"` there", x.name)
		if near := p.Nearest(x.name); near != "" {
			declare = fmt.Sprintf("did you mean -X %s.%s? Else %s", x.pkg, near, declare)
		}
		return fmt.Sprintf("no variable %s in package %s (%s), so the linker sets nothing: %s",
			x.name, x.pkg, st.local(dir), declare)
	case stamp.Const:
		return fmt.Sprintf("%s.%s is a const in %s, which -X cannot set; %s", x.pkg, x.name, at, fix)
	case stamp.NotString:
		what := "a variable of type " + v.Type
		if v.Type == "func" || v.Type == "type" {
			what = "a " + v.Type
		}
		return fmt.Sprintf("%s.%s is %s in %s, and -X sets only a variable of type string; %s", x.pkg, x.name, what, at, fix)
	case stamp.Computed:
		return fmt.Sprintf("%s.%s in %s is initialised with a non-constant expression, which replaces what -X sets when "+
			"the program starts; %s and compute from it elsewhere", x.pkg, x.name, at, fix)
	}
	return "" // Settable, or Unknown: its value comes from a package not read
}

// dir finds the directory of the package an import path names: the main
// package for "main", else what go list says in the project.
func (st *stamper) dir(pkg string) pkgDir {
	if pd, ok := st.dirs[pkg]; ok {
		return pd
	}
	var pd pkgDir
	if pkg == "main" {
		if d := st.s.Abs(st.s.Main); isDir(d) {
			pd.dir = d
		}
	} else {
		pd = st.list(pkg)
	}
	st.dirs[pkg] = pd
	return pd
}

// list runs go list in the project for the directory of pkg.
func (st *stamper) list(pkg string) pkgDir {
	// "main:" for a package of the main module (or of a workspace's),
	// then the directory.
	args := []string{"list", "-f", "{{with .Module}}{{if .Main}}main{{end}}{{end}}:{{.Dir}}"}
	if len(st.s.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(st.s.Tags, ","))
	}
	cmd := exec.Command("go", append(args, "--", pkg)...)
	cmd.Dir, cmd.Env = st.s.Dir, matrix.Env(os.Environ(), st.targets()[0])
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	mod, dir, _ := strings.Cut(strings.TrimSpace(string(out)), ":")
	switch {
	case err != nil:
		why := strings.TrimSuffix(firstLine(stderr.String()), "; to add it:")
		return pkgDir{err: fmt.Sprintf("go list finds no package %s (%s), so the linker sets nothing",
			pkg, cmp.Or(why, err.Error()))}
	case dir == "":
		return pkgDir{err: fmt.Sprintf("go list names no directory for package %s, so it cannot be checked", pkg)}
	default:
		return pkgDir{dir: dir, outside: mod != "main"}
	}
}

// maxListed is how many names others lists.
const maxListed = 8

// others says which variable to name instead of x, in a package whose
// source is not the user's to change: the nearest name -X can set there,
// else the names it can set, else that it can set none.
func others(p *stamp.Package, x xFlag) string {
	if near := p.Nearest(x.name); near != "" {
		return fmt.Sprintf("did you mean -X %s.%s, the nearest name -X can set there?", x.pkg, near)
	}
	names := p.Settable()
	switch {
	case len(names) == 0:
		return "-X can set no variable there: remove this -X"
	case len(names) > maxListed:
		names = append(names[:maxListed:maxListed], fmt.Sprintf("and %d more", len(names)-maxListed))
	}
	return "-X can set only " + strings.Join(names, ", ") + " there"
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// local is a directory as go build names a package in the project
// (./cmd/x), or the directory itself when it is elsewhere.
func (st *stamper) local(dir string) string {
	rel := st.s.Rel(dir)
	switch {
	case rel == ".":
		return "."
	case filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../"):
		return dir
	}
	return "./" + rel
}
