package config

import (
	"bytes"
	"context"
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Env gives Load its view of the process environment and tools, so that
// callers and tests control it without global state.
type Env struct {
	// Getenv looks up environment variables (SVCPACK_VERSION,
	// SOURCE_DATE_EPOCH, the signing secrets). Nil means no variables are
	// set.
	Getenv func(string) string
	// GoTool is the go command used to list valid targets; default "go".
	GoTool string
	// Decided, when set, holds the contract decisions already made from
	// the program's imports at the same commit (by the parts of a split
	// release, which merge compares): an auto decision takes its value
	// from here instead of listing the program's imports.
	Decided *Contract
	// TargetsChecked skips the check of the targets against `go tool dist
	// list`: merge sets it, since every part was made by a release that
	// ran that check on the same targets (the config digest merge compares
	// holds them), so the merge runs no go command at all.
	TargetsChecked bool
	// ListImports lists what the program imports for a target, for the
	// contract decisions left at auto. The release core gives pkg/contract's
	// lister (config imports none of svcpack's tools); nil fails a decision
	// that needs it.
	ListImports func(ctx context.Context, q ImportQuery) (Imports, error)
	// DistOutside lets the config's dist (and the cache folder beside it)
	// lie outside the project folder, the config file's folder: the user
	// allowed it (svcpack -dist-outside). SVCPACK_DIST_OUTSIDE=1 in Getenv
	// does the same.
	DistOutside bool
}

// distOutside reports whether the user allowed a dist outside the project.
func (e Env) distOutside() bool { return e.DistOutside || e.getenv(DistOutsideEnv) == "1" }

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// OSEnv returns an Env over the real process environment.
func OSEnv() Env { return Env{Getenv: os.Getenv} }

// Format is what Load knows of an artifact format: the word users write in
// formats:, whether it is made when formats: is not given, and the checks it
// adds to validation. The release pipeline's packager registry supplies them
// (release.Formats), so that the defaults, formats: validation and every
// rule a format has come from one list.
type Format struct {
	// Name is the word in formats: (zip, msi, deb, ...).
	Name string
	// Default puts the format in the default formats.
	Default bool
	// Internal formats are always made and cannot be named in formats:
	// (the binaries, the service wrapper); their checks always run.
	Internal bool
	// Check adds the format's rules; it runs when the format is enabled,
	// on the spec with defaults filled and paths absolute, and must
	// tolerate values that other checks reject.
	Check func(s *Spec, p *Problems)
	// Reads lists the spec fields the format reads. Load decides a
	// contract setting left at auto (WrapField, NotifyField) only when an
	// enabled format reads it: reading what the program imports costs a
	// `go list`.
	Reads []string
}

// Load reads the config file at path, decodes it strictly, fills defaults,
// resolves version, commit, date and paths, and runs every check: each
// field's own and those of every enabled format. Every error names the
// file and line. The Spec it returns is never modified afterwards.
func Load(path string, env Env, formats []Format) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	s, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	s.Dir = filepath.Dir(abs)
	s.applyDefaults(formats)
	// The go commands Load needs run while it reads git and validates.
	known := func() (map[string]bool, error) { return nil, nil }
	if !env.TargetsChecked {
		known = startDistList(env.GoTool)
	}
	imports := s.startImportLists(env, formats)
	defer imports.wait()
	if err := s.resolveVersion(env); err != nil {
		return nil, err
	}
	p := &Problems{s: s}
	s.validate(p, formats, known)
	s.checkProject(p, env.distOutside())
	s.resolvePaths()
	s.resolveContract(p, imports)
	s.checkWrapper(p)
	s.resolveSecrets(p, env)
	if len(p.errs) == 0 {
		for _, f := range formats {
			if f.Check != nil && (f.Internal || s.Wants(f.Name)) {
				f.Check(s, p)
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	s.Warnings = p.warns
	return s, nil
}

// Parse decodes config data strictly. name is used in messages. It does not
// fill defaults or validate; Load does.
func Parse(data []byte, name string) (*Spec, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty: want at least name, main and targets", name)
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if line, text, ok := strings.Cut(rest, ": "); ok {
				return nil, fmt.Errorf("%s:%s: %s", name, line, text)
			}
		}
		return nil, fmt.Errorf("%s: %s", name, msg)
	}
	c := &Spec{Path: name, lines: map[string]int{}}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	var errs []error
	checkKeys(doc, reflect.TypeOf(*c), "", name, c.lines, &errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := doc.Decode(c); err != nil {
		return nil, decodeError(name, err)
	}
	return c, nil
}

// decodeError rewrites yaml's type errors ("line 3: cannot unmarshal ...")
// into file:line messages.
func decodeError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, e := range te.Errors {
			if rest, ok := strings.CutPrefix(e, "line "); ok {
				line, msg, _ := strings.Cut(rest, ": ")
				errs = append(errs, fmt.Errorf("%s:%s: %s", name, line, msg))
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %s", name, e))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// checkKeys walks a mapping node against a struct type and reports every key
// the struct does not have, with its line and the keys that are valid there.
// It records the line of every known field path in lines.
func checkKeys(n *yaml.Node, t reflect.Type, prefix, file string, lines map[string]int, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if u, ok := reflect.New(t).Interface().(encoding.TextUnmarshaler); ok {
		// Check text-decoded scalars here, where the line is known; the
		// decoder would report their errors without one.
		if n.Kind == yaml.ScalarNode {
			if err := u.UnmarshalText([]byte(n.Value)); err != nil {
				*errs = append(*errs, fmt.Errorf("%s:%d: %s: %v", file, n.Line, prefix, err))
			}
		}
		return
	}
	if want := expectedKind(t); want != 0 && n.Kind != want && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		*errs = append(*errs, fmt.Errorf("%s:%d: %s: got %s, want %s", file, n.Line, prefix, kindName(n.Kind), kindName(want)))
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				where := "at the top level"
				if prefix != "" {
					where = "in " + prefix
				}
				*errs = append(*errs, fmt.Errorf("%s:%d: unknown key %q %s; valid keys are: %s",
					file, k.Line, k.Value, where, strings.Join(names, ", ")))
				continue
			}
			lines[path] = k.Line
			checkKeys(v, ft, path, file, lines, errs)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			lines[p] = item.Line
			checkKeys(item, t.Elem(), p, file, lines, errs)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			lines[prefix+"."+n.Content[i].Value] = n.Content[i].Line
		}
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null" && scalarWant[t.Kind()] != "":
		// Here the field is known; the decoder's message would not name it.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			want := scalarWant[t.Kind()]
			if strings.HasSuffix(prefix, "port") && want == "a whole number" {
				want += " such as 8080"
			}
			*errs = append(*errs, fmt.Errorf("%s:%d: %s: %q is not %s", file, n.Line, prefix, n.Value, want))
		}
	}
}

// scalarWant says what a field of a kind other than string takes.
var scalarWant = map[reflect.Kind]string{
	reflect.Bool: "true or false", reflect.Int: "a whole number", reflect.Int64: "a whole number",
	reflect.Uint: "a whole number", reflect.Uint64: "a whole number", reflect.Float64: "a number such as 1.5",
}

// expectedKind is the YAML node kind a Go type decodes from.
func expectedKind(t reflect.Type) yaml.Kind {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return yaml.MappingNode
	case reflect.Slice:
		return yaml.SequenceNode
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Float64:
		return yaml.ScalarNode
	}
	return 0
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping ({key: value})"
	case yaml.SequenceNode:
		return "a list ([a, b])"
	case yaml.ScalarNode:
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}
