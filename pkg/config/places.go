package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Place is one of the service's own folders. Each platform puts them
// somewhere else (the install folder on Windows, /etc/<name> and
// /var/lib/<name> under systemd, Homebrew's etc/ and var/), so the config
// names them by variable and each format renders them its own way, at
// install time where the platform decides (the MSI's install folder).
type Place int

// The places a config text can name.
const (
	// ConfigDir is where files[] are shipped.
	ConfigDir Place = iota + 1
	// StateDir is the folder the service may write its data to.
	StateDir
	// LogDir is the folder the service may write logs to.
	LogDir
	// InstallDir is the folder that holds the program.
	InstallDir
)

// Places lists every place, in the order messages name them.
func Places() []Place { return []Place{ConfigDir, StateDir, LogDir, InstallDir} }

// Var is the variable that names p in a config text ("ConfigDir").
func (p Place) Var() string {
	switch p {
	case ConfigDir:
		return "ConfigDir"
	case StateDir:
		return "StateDir"
	case LogDir:
		return "LogDir"
	case InstallDir:
		return "InstallDir"
	}
	return ""
}

// String is the variable as written: {{.ConfigDir}}.
func (p Place) String() string { return "{{." + p.Var() + "}}" }

// PlacePart is a piece of a PlaceText: literal text, or a place when Place
// is not zero.
type PlacePart struct {
	Text  string
	Place Place
}

// PlaceText is a config text split at its place variables.
type PlaceText []PlacePart

// ParsePlaces splits s at its place variables ({{.ConfigDir}},
// {{ .StateDir }}, ...). Any other {{ is an error: service texts are not
// templates of anything else.
func ParsePlaces(s string) (PlaceText, error) {
	var t PlaceText
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				t = append(t, PlacePart{Text: s})
			}
			return t, nil
		}
		if i > 0 {
			t = append(t, PlacePart{Text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("%q opens {{ without closing it: %s", s[i:], placeHelp)
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		p := placeNamed(strings.TrimPrefix(name, "."))
		if p == 0 || !strings.HasPrefix(name, ".") {
			return nil, fmt.Errorf("{{%s}} is not a place variable: %s", s[i+2:i+j], placeHelp)
		}
		t = append(t, PlacePart{Place: p})
		s = s[i+j+2:]
	}
}

// placeHelp is what a message about a bad variable says is valid.
const placeHelp = "the variables are {{.ConfigDir}} (where files[] are shipped), {{.StateDir}} (the service's data), " +
	"{{.LogDir}} (its logs) and {{.InstallDir}} (the program's folder)"

func placeNamed(name string) Place {
	for _, p := range Places() {
		if p.Var() == name {
			return p
		}
	}
	return 0
}

// Uses reports whether t names p.
func (t PlaceText) Uses(p Place) bool {
	for _, part := range t {
		if part.Place == p {
			return true
		}
	}
	return false
}

// Render writes t with each place replaced by dir(place) and each literal
// piece by lit(text); lit nil keeps literal text as it is.
func (t PlaceText) Render(dir func(Place) string, lit func(string) string) string {
	var b strings.Builder
	for _, part := range t {
		switch {
		case part.Place != 0:
			b.WriteString(dir(part.Place))
		case lit != nil:
			b.WriteString(lit(part.Text))
		default:
			b.WriteString(part.Text)
		}
	}
	return b.String()
}

// PlacesIn renders s (a service argument, environment value or health URL
// that Load has checked) with dir; it is s itself when s names no place.
func PlacesIn(s string, dir func(Place) string) string {
	t, err := ParsePlaces(s)
	if err != nil {
		return s // Load refused it; a library caller gets it as written
	}
	return t.Render(dir, nil)
}

// UsesPlace reports whether any service argument or environment value
// names p.
func (s *Spec) UsesPlace(p Place) bool {
	texts := append([]string(nil), s.Service.Args...)
	for _, v := range s.Service.Env {
		texts = append(texts, v)
	}
	for _, v := range texts {
		if t, err := ParsePlaces(v); err == nil && t.Uses(p) {
			return true
		}
	}
	return false
}

// placeText is the rule of the texts that may name places.
func placeText(v string) string {
	if _, err := ParsePlaces(v); err != nil {
		return err.Error()
	}
	return ""
}

// checkPlaces warns when a service argument or environment value names a
// shipped file by a relative path: the working directory differs per
// platform (the install folder, /var/lib/<name>, the image's workdir), so
// the program finds the file on some and not on others.
func (c *Spec) checkPlaces(p *Problems) {
	for i, a := range c.Service.Args {
		c.warnRelative(p, fmt.Sprintf("service.args[%d]", i), a)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Service.Env)) {
		c.warnRelative(p, "service.env."+k, c.Service.Env[k])
	}
}

func (c *Spec) warnRelative(p *Problems, field, v string) {
	for i, f := range c.Files {
		for _, name := range []string{f.Dst, "./" + f.Dst} {
			rest, ok := strings.CutSuffix(v, name)
			if f.Dst == "" || !ok || rest != "" && !strings.HasSuffix(rest, "=") {
				continue
			}
			p.Warn(field, "%q names files[%d] (%s) by a relative path, which is another folder on each platform "+
				"(the working directory is /var/lib/%s under systemd): write %s%s/%s", v, i, f.Dst, c.Service.Name, rest, ConfigDir, f.Dst)
			return
		}
	}
}
