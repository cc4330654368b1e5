// Package stamp says what the Go linker's -X flag can set in a package: a
// package-level variable of type string, initialised with a constant or not
// at all. The linker ignores -X silently for a name that does not exist, for
// a const, and for a variable whose initialiser is not constant (the program's
// initialisation overwrites what the linker wrote), so a release stamps nothing
// and says nothing; Lookup finds those cases before the build.
//
// A package is read as go build would select its files for one target (the
// non-test files that go/build's matching keeps for a GOOS, GOARCH and tags),
// parsed, and type-checked with go/types against an importer that knows no
// package: only the package's own scope matters, so its dependencies are
// neither read nor needed, and errors they cause are ignored. A variable whose
// type depends on an import is reported as Unknown rather than guessed.
package stamp

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Kind is what -X finds under a name.
type Kind int

const (
	// Missing: no package-level name.
	Missing Kind = iota
	// Settable: a string variable -X sets.
	Settable
	// Const: a constant, which -X cannot set.
	Const
	// NotString: a variable of another type, or not a variable at all.
	NotString
	// Computed: a string variable initialised with a non-constant
	// expression, which replaces what -X set when the program starts.
	Computed
	// Unknown: a variable whose type or initialiser comes from another
	// package, which Lookup does not read.
	Unknown
)

// Var is what a package declares under one name.
type Var struct {
	// Name is the name looked up.
	Name string
	// Kind says whether -X can set it.
	Kind Kind
	// Pos is where it is declared (File is absolute); zero when Missing.
	Pos token.Position
	// Type is its type as go/types writes it ("string", "int"), or what
	// it is when it is no variable ("func"); "" when Missing.
	Type string
}

// Package is one package's files, as go build would compile them for one
// target, type-checked for its own scope.
type Package struct {
	// Name is the package clause's name ("main" for a program).
	Name string
	// Dir is the package's directory.
	Dir   string
	fset  *token.FileSet
	files []*ast.File
	types *types.Package
	info  *types.Info
}

// Load reads the package in dir for the target ctxt describes (GOOS, GOARCH,
// BuildTags, CgoEnabled) and type-checks its scope.
func Load(ctxt *build.Context, dir string) (*Package, error) {
	bp, err := ctxt.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("reading package %s: %w", dir, err)
	}
	return load(bp)
}

// A Loader loads packages for several targets, reading and checking each
// package's set of files once: most targets select the same files.
type Loader struct {
	loaded map[string]*Package // by directory and file names
}

// Load is the package function Load, for a set of files not seen before.
func (l *Loader) Load(ctxt *build.Context, dir string) (*Package, error) {
	bp, err := ctxt.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("reading package %s: %w", dir, err)
	}
	key := strings.Join(append([]string{bp.Dir}, bp.GoFiles...), "\x00")
	if p := l.loaded[key]; p != nil {
		return p, nil
	}
	p, err := load(bp)
	if err != nil {
		return nil, err
	}
	if l.loaded == nil {
		l.loaded = map[string]*Package{}
	}
	l.loaded[key] = p
	return p, nil
}

// load parses and type-checks the files go/build selected.
func load(bp *build.Package) (*Package, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(bp.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", filepath.Join(bp.Dir, name), err)
		}
		files = append(files, f)
	}
	p := &Package{Name: bp.Name, Dir: bp.Dir, fset: fset, files: files}
	p.info = &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{
		Importer:         emptyImporter{},
		IgnoreFuncBodies: true,
		FakeImportC:      true,
		Error:            func(error) {}, // unresolved imports: their objects are not needed
	}
	p.types, _ = conf.Check(bp.ImportPath, fset, files, p.info)
	return p, nil
}

// emptyImporter gives every import as a complete package with nothing in it.
type emptyImporter struct{}

func (emptyImporter) Import(importPath string) (*types.Package, error) {
	name := path.Base(importPath)
	if i := strings.IndexAny(name, ".-"); i > 0 {
		name = name[:i] // gopkg.in/yaml.v3, go-isatty: a guess, as goimports makes it
	}
	pkg := types.NewPackage(importPath, name)
	pkg.MarkComplete()
	return pkg, nil
}

// Lookup says what the package declares under name at package level.
func (p *Package) Lookup(name string) Var {
	v := Var{Name: name}
	obj := p.types.Scope().Lookup(name)
	if obj == nil {
		return v
	}
	v.Pos, v.Type = p.fset.Position(obj.Pos()), types.TypeString(obj.Type(), types.RelativeTo(p.types))
	switch obj := obj.(type) {
	case *types.Const:
		v.Kind = Const
	case *types.Var:
		v.Kind = p.varKind(obj)
	case *types.Func:
		v.Kind, v.Type = NotString, "func"
	case *types.TypeName:
		v.Kind, v.Type = NotString, "type"
	default:
		v.Kind = NotString
	}
	return v
}

// Settable lists the package-level names -X can set in the package (Lookup
// says Settable), sorted.
func (p *Package) Settable() []string {
	var out []string
	for _, name := range p.types.Scope().Names() { // sorted
		if p.Lookup(name).Kind == Settable {
			out = append(out, name)
		}
	}
	return out
}

// Nearest is the name -X can set in the package that is nearest to name, a
// name it cannot (a misspelling: Revision for Revison, version for
// Version), or "" when none is near: at most one edit (an insertion, a
// deletion, a substitution, two neighbours swapped) for every three
// letters, ignoring case. Of two as near, the one nearer in case wins, then
// the first in order.
func (p *Package) Nearest(name string) string {
	limit := max(1, len(name)/3)
	best, bestFolded, bestExact := "", limit+1, 0
	for _, cand := range p.Settable() {
		if cand == name {
			continue
		}
		folded := editDistance(strings.ToLower(cand), strings.ToLower(name))
		exact := editDistance(cand, name)
		if folded < bestFolded || folded == bestFolded && exact < bestExact {
			best, bestFolded, bestExact = cand, folded, exact
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the fewest insertions, deletions, substitutions and swaps of neighbours
// (no substring edited twice) that turn one into the other, by byte.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// varKind is a variable's Kind: its type, then its initialiser.
func (p *Package) varKind(obj *types.Var) Kind {
	t := obj.Type()
	init, ok := p.initializer(obj)
	switch {
	case t != types.Typ[types.Invalid] && !types.Identical(t, types.Typ[types.String]):
		return NotString
	case !ok:
		return Computed // var a, b = f()
	case init == nil && t == types.Typ[types.Invalid]:
		return Unknown // var v other.Type
	case init == nil:
		return Settable
	}
	tv := p.info.Types[init]
	switch {
	case tv.Value != nil:
		return Settable
	case tv.Type != nil && tv.Type != types.Typ[types.Invalid]:
		return Computed
	}
	// The value comes from an import. A call there (strings.TrimSpace(s))
	// is no constant; a name (other.Version) may be one.
	if _, ok := ast.Unparen(init).(*ast.CallExpr); ok {
		return Computed
	}
	return Unknown
}

// initializer finds obj's declaration: its initial value, nil for none, and
// false when one expression (a call) initialises several variables.
func (p *Package) initializer(obj *types.Var) (ast.Expr, bool) {
	for _, f := range p.files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if p.info.Defs[id] != obj {
						continue
					}
					switch {
					case len(vs.Values) == 0:
						return nil, true
					case len(vs.Values) != len(vs.Names):
						return nil, false
					}
					return vs.Values[i], true
				}
			}
		}
	}
	return nil, true
}

// versionNames are the variable names Find looks for, in order.
var versionNames = []string{"version", "Version"}

// Find looks for the variable a release stamps with its version: version or
// Version, a string variable -X sets, in the main package at mainDir, else in
// a package of the module at modDir (module path modPath) in a directory
// named version or buildinfo (.../version, .../internal/version,
// .../buildinfo), the shallowest first. It returns the -X target
// ("main.version", "example.com/m/internal/version.Version"), or "" when
// there is none.
func Find(ctxt *build.Context, mainDir, modDir, modPath string) (string, error) {
	if p, err := Load(ctxt, mainDir); err == nil {
		if name := settable(p); name != "" {
			return "main." + name, nil
		}
	}
	dirs, err := versionDirs(modDir)
	if err != nil {
		return "", err
	}
	for _, rel := range dirs {
		p, err := Load(ctxt, filepath.Join(modDir, filepath.FromSlash(rel)))
		if err != nil || p.Name == "main" {
			continue // no Go files for this target, or a program
		}
		if name := settable(p); name != "" {
			return path.Join(modPath, rel) + "." + name, nil
		}
	}
	return "", nil
}

// settable is the first of versionNames that -X can set in p, or "".
func settable(p *Package) string {
	for _, n := range versionNames {
		if p.Lookup(n).Kind == Settable {
			return n
		}
	}
	return ""
}

// versionDirs lists the module's directories named version or buildinfo
// (slash-separated, relative to modDir), shallowest first; it does not
// enter hidden directories, testdata, vendor, or other modules.
func versionDirs(modDir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(modDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || p == modDir {
			return nil
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
			return filepath.SkipDir // another module
		}
		if name == "version" || name == "buildinfo" {
			rel, err := filepath.Rel(modDir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("looking for a version package in %s: %w", modDir, err)
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.Count(a, "/"), strings.Count(b, "/")), cmp.Compare(a, b))
	})
	return out, nil
}
