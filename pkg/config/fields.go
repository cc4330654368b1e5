package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// Field is one leaf of the schema: a value users set in svcpack.yaml.
type Field struct {
	// Path is the field path ("service.linux.user"); list items and map
	// entries are not expanded ("files.src", "service.env").
	Path string
	// Type is the Go type of the value.
	Type reflect.Type
}

// Fields lists every leaf field of svcpack.yaml's schema, in declaration
// order, so that tests can cover every field, including ones added later.
func Fields() []Field {
	var out []Field
	var visit func(t reflect.Type, prefix string)
	visit = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct && !isText(t.Elem()) {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || isText(t) {
			out = append(out, Field{Path: prefix, Type: t})
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := yamlName(f)
			if name == "" {
				continue
			}
			visit(f.Type, join(prefix, name))
		}
	}
	visit(reflect.TypeOf(Spec{}), "")
	return out
}

func isText(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeOf((*interface{ UnmarshalText([]byte) error })(nil)).Elem())
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// specName is a field's path segment for Project: its YAML key, or the
// name in its spec tag for a resolved field that is not in the file.
func specName(f reflect.StructField) string {
	if n := yamlName(f); n != "" {
		return n
	}
	if !f.IsExported() {
		return ""
	}
	return f.Tag.Get("spec")
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// walkValues calls fn for every value reachable from v through YAML
// fields, list items and map entries, with its field path ("files[0].src",
// "service.env.PORT"); map keys are passed as values of their own, with the
// path of the entry and isKey set.
func walkValues(v reflect.Value, path string, fn func(path string, v reflect.Value, isKey bool)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkValues(v.Elem(), path, fn)
		}
		return
	case reflect.Struct:
		if isText(v.Type()) {
			fn(path, v, false)
			return
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if name := yamlName(t.Field(i)); name != "" {
				walkValues(v.Field(i), join(path, name), fn)
			}
		}
		return
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkValues(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
		return
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			p := path + "." + k.String()
			fn(p, k, true)
			walkValues(v.MapIndex(k), p, fn)
		}
		return
	}
	fn(path, v, false)
}

// resolvePaths makes every Path in the spec absolute (found by reflection,
// so a new Path field cannot be forgotten) and the dist directory too.
func (c *Spec) resolvePaths() {
	pathType := reflect.TypeOf(Path(""))
	walkValues(reflect.ValueOf(c).Elem(), "", func(_ string, v reflect.Value, _ bool) {
		if v.Type() == pathType && v.CanSet() {
			v.SetString(c.Abs(v.String()))
		}
	})
	c.Dist = c.Abs(c.Dist)
}

// Project returns a copy of s holding only the fields named by paths
// (field paths as in Fields, plus the resolved fields' spec tags such as
// "date" or "service.contract.wrap"); every other field is zero. Maps,
// lists and pointers are copied, so the projection shares nothing with s.
// A path that names no field is an error.
func (s *Spec) Project(paths []string) (*Spec, error) {
	out := &Spec{Dir: s.Dir, Path: s.Path, lines: s.lines}
	src, dst := reflect.ValueOf(s).Elem(), reflect.ValueOf(out).Elem()
	for _, p := range paths {
		from, to, err := locate(src, dst, p)
		if err != nil {
			return nil, err
		}
		to.Set(deepCopy(from))
	}
	return out, nil
}

// locate finds the field at path in src and the same field in dst,
// allocating dst's pointers on the way.
func locate(src, dst reflect.Value, path string) (reflect.Value, reflect.Value, error) {
	for _, seg := range strings.Split(path, ".") {
		for src.Kind() == reflect.Pointer {
			if src.IsNil() {
				return src, dst, nil // nothing set below: the zero value is right
			}
			if dst.IsNil() {
				dst.Set(reflect.New(dst.Type().Elem()))
			}
			src, dst = src.Elem(), dst.Elem()
		}
		if src.Kind() != reflect.Struct {
			return src, dst, fmt.Errorf("config: field path %q: %q is not a field", path, seg)
		}
		t := src.Type()
		found := false
		for i := 0; i < t.NumField(); i++ {
			if specName(t.Field(i)) == seg {
				src, dst, found = src.Field(i), dst.Field(i), true
				break
			}
		}
		if !found {
			return src, dst, fmt.Errorf("config: field path %q: no field %q", path, seg)
		}
	}
	return src, dst, nil
}

// deepCopy copies v so that the copy shares no map, slice or pointer
// with it (unexported fields are shared: they hold no mutable state).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for _, k := range v.MapKeys() {
			c.SetMapIndex(k, deepCopy(v.MapIndex(k)))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	}
	return v
}

// PathsIn returns every non-empty Path held in s, in field order: the
// files whose content a projection depends on.
func (s *Spec) PathsIn() []Path {
	var out []Path
	pathType := reflect.TypeOf(Path(""))
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				visit(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					visit(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				visit(v.Index(i))
			}
		case reflect.String:
			if v.Type() == pathType && v.String() != "" {
				out = append(out, Path(v.String()))
			}
		}
	}
	visit(reflect.ValueOf(s).Elem())
	return out
}

// Published is Portable for a record others read (the provenance): a path
// outside the project folder (a key kept beside it, say) is its base name
// under "outside/", so that where the release machine keeps it is neither
// told nor part of the digest.
func (s *Spec) Published() *Spec {
	c := s.Portable()
	pathType := reflect.TypeOf(Path(""))
	walkValues(reflect.ValueOf(c).Elem(), "", func(_ string, v reflect.Value, _ bool) {
		if v.Type() != pathType || !v.CanSet() || !strings.HasPrefix(v.String(), "..") {
			return
		}
		v.SetString("outside/" + filepath.Base(v.String()))
	})
	return c
}

// Portable returns a copy of s that does not depend on where the checkout
// lies: every Path relative to the config file's directory, with forward
// slashes, and no dist directory. Parts of a split release, made on other
// machines, are compared by it.
func (s *Spec) Portable() *Spec {
	c := deepCopy(reflect.ValueOf(s).Elem()).Addr().Interface().(*Spec)
	pathType := reflect.TypeOf(Path(""))
	walkValues(reflect.ValueOf(c).Elem(), "", func(_ string, v reflect.Value, _ bool) {
		if v.Type() != pathType || !v.CanSet() || v.String() == "" {
			return
		}
		v.SetString(s.Rel(v.String()))
	})
	c.Dist, c.Dir, c.Path = "", "", ""
	return c
}
