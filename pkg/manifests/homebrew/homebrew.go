// Package homebrew writes a Homebrew formula (Ruby) that installs a
// program from release tarballs, one per platform and CPU (or one
// universal macOS tarball), with a service block that runs it as
// brew services does: its arguments, environment, restart policy, working
// folder and log file. Every value is a Ruby double-quoted string with \ "
// and # escaped, so no text becomes code; Validate refuses what Ruby or
// Homebrew cannot take.
package homebrew

import (
	"fmt"
	"maps"
	"math"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Formula is what the formula says.
type Formula struct {
	// Name is the formula's name (lower case: hello, hello-server).
	Name string
	// Desc, Homepage, Version and License (an SPDX expression) describe
	// it; License may be empty.
	Desc, Homepage, Version, License string
	// MacOS and Linux are the tarballs. A macOS tarball of Arch
	// "universal" serves every Mac alone.
	MacOS, Linux []Archive
	// Binary is the program in the tarballs, installed into bin.
	Binary string
	// Configs are configuration files in the tarballs (paths with /),
	// installed under etc/<name>/, where Homebrew keeps a changed file on
	// upgrades.
	Configs []string
	// Service, when set, is the service block.
	Service *Service
}

// Archive is one tarball.
type Archive struct {
	// Arch is its GOARCH (amd64, arm64) or "universal".
	Arch string
	// URL is where Homebrew downloads it; SHA256 its hex digest.
	URL, SHA256 string
}

// Folder marks: a service argument or environment value may hold these,
// which the formula writes as the Homebrew folder they name (Ruby
// interpolation: "#{etc}/<name>/app.yaml"). They are control characters,
// which no other text may hold.
const (
	// EtcMark is etc/<name>, where Configs are installed.
	EtcMark = "\x00etc\x00"
	// StateMark is var/lib/<name>, the service's working directory.
	StateMark = "\x00var/lib\x00"
	// LogMark is var/log/<name>, made for the service's own logs (its
	// output goes to var/log/<name>.log).
	LogMark = "\x00var/log\x00"
	// BinMark is the folder of the installed program (opt_bin).
	BinMark = "\x00opt_bin\x00"
)

// Service is how brew services runs the program.
type Service struct {
	// Args follow the program; they may hold folder marks (EtcMark).
	Args []string
	// Always restarts the program whenever it exits; else only when it
	// fails.
	Always bool
	// RestartDelay is the least time between starts (whole seconds, at
	// least 1).
	RestartDelay time.Duration
	// Env is the program's environment; values may hold folder marks.
	Env map[string]string
}

// rbMarked is s as a Ruby double-quoted string in which the folder marks
// interpolate the folders of the formula name.
func rbMarked(s, name string) string {
	r := strings.NewReplacer(EtcMark, `#{etc}/`+name, StateMark, `#{var}/lib/`+name, LogMark, `#{var}/log/`+name, BinMark, `#{opt_bin}`)
	parts := strings.Split(s, "\x00")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = strings.TrimSuffix(strings.TrimPrefix(rb(parts[i]), `"`), `"`)
	}
	return `"` + r.Replace(strings.Join(parts, "\x00")) + `"`
}

// unmarked is s without its folder marks.
func unmarked(s string) string {
	return strings.NewReplacer(EtcMark, "", StateMark, "", LogMark, "", BinMark, "").Replace(s)
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9._+-]*$`)
	envRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	sha256RE  = regexp.MustCompile(`^[a-fA-F0-9]{64}$`)
	urlRE     = regexp.MustCompile(`^https?://[^\s"]+$`)
	versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._+~-]*$`)
)

// ClassName is the Ruby class Homebrew looks for in the file of a formula
// name (Formulary's class_s): the name capitalised (its first letter upper
// case, the rest lower case); a separator ('-', '_', '.' or white space)
// followed by an ASCII letter or digit dropped and that character upper
// case (hello-server: HelloServer; a separator before anything else
// stays); every '+' spelled x; and the first '@' between a character and a
// digit spelled AT (node@18: NodeAT18). Homebrew adds no prefix to a name
// that starts with a digit: its class is no Ruby constant, which
// Validate refuses.
func ClassName(name string) string {
	rs := []rune(strings.ToLower(name))
	if len(rs) > 0 {
		rs[0] = unicode.ToUpper(rs[0])
	}
	var out []rune
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case strings.ContainsRune("-_. \t\n\r\f\v", r) && i+1 < len(rs) && isASCIIAlnum(rs[i+1]):
			out = append(out, unicode.ToUpper(rs[i+1]))
			i++
		case r == '+':
			out = append(out, 'x')
		default:
			out = append(out, r)
		}
	}
	for i := 1; i+1 < len(out); i++ {
		if out[i] == '@' && out[i-1] != '\n' && out[i+1] >= '0' && out[i+1] <= '9' {
			out = append(out[:i], append([]rune("AT"), out[i+1:]...)...)
			break
		}
	}
	return string(out)
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// rubyConstRE is a Ruby constant (class) name of ASCII characters.
var rubyConstRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)

// checkClassName refuses a name whose class (ClassName) is no Ruby
// constant: brew could not load the formula, whatever class it declared.
func checkClassName(name string) error {
	c := ClassName(name)
	switch {
	case c != "" && c[0] >= '0' && c[0] <= '9':
		return fmt.Errorf("homebrew: formula name %q starts with a digit: Homebrew looks for the class %q in it, "+
			"and a Ruby class name cannot start with a digit (homebrew-core spells such names out: 6tunnel is sixtunnel)", name, c)
	case !rubyConstRE.MatchString(c):
		return fmt.Errorf("homebrew: formula name %q: Homebrew looks for the class %q in it, which is no Ruby class name: "+
			"want a letter first and '-', '_' or '.' only between letters and digits", name, c)
	}
	return nil
}

// Validate reports what the formula cannot say.
func (f Formula) Validate() error {
	switch {
	case !nameRE.MatchString(f.Name):
		return fmt.Errorf("homebrew: formula name %q: want lower-case letters, digits and . _ + -, starting with a letter or digit", f.Name)
	case checkClassName(f.Name) != nil:
		return checkClassName(f.Name)
	case strings.TrimSpace(f.Desc) == "":
		return fmt.Errorf("homebrew: a formula needs a description (desc)")
	case !urlRE.MatchString(f.Homepage):
		return fmt.Errorf("homebrew: homepage %q: want an http(s) URL", f.Homepage)
	case !versionRE.MatchString(f.Version):
		return fmt.Errorf("homebrew: version %q: want letters, digits and . _ + ~ -", f.Version)
	case f.Binary == "" || strings.ContainsAny(f.Binary, "/\\"):
		return fmt.Errorf("homebrew: program %q: want a file name", f.Binary)
	case len(f.MacOS) == 0 && len(f.Linux) == 0:
		return fmt.Errorf("homebrew: no tarballs")
	}
	if f.License != "" {
		if _, err := licenseRuby(f.License); err != nil {
			return err
		}
	}
	for _, os := range []struct {
		name     string
		archives []Archive
	}{{"macOS", f.MacOS}, {"Linux", f.Linux}} {
		seen := map[string]bool{}
		for _, a := range os.archives {
			switch {
			case a.Arch != "amd64" && a.Arch != "arm64" && !(a.Arch == "universal" && os.name == "macOS"):
				return fmt.Errorf("homebrew: a %s tarball for %q: Homebrew runs on amd64 and arm64 (and macOS on universal binaries)", os.name, a.Arch)
			case seen[a.Arch]:
				return fmt.Errorf("homebrew: two %s tarballs for %s", os.name, a.Arch)
			case a.Arch == "universal" && len(os.archives) > 1:
				return fmt.Errorf("homebrew: a universal macOS tarball serves every Mac: give no other")
			case !urlRE.MatchString(a.URL):
				return fmt.Errorf("homebrew: tarball URL %q: want an http(s) URL", a.URL)
			case !sha256RE.MatchString(a.SHA256):
				return fmt.Errorf("homebrew: tarball SHA-256 %q: want 64 hex digits", a.SHA256)
			}
			seen[a.Arch] = true
		}
	}
	for _, c := range f.Configs {
		if c == "" || path.IsAbs(c) || slices.Contains(strings.Split(c, "/"), "..") {
			return fmt.Errorf("homebrew: configuration file %q: want a path inside the tarball", c)
		}
	}
	if s := f.Service; s != nil {
		for k := range s.Env {
			if !envRE.MatchString(k) {
				return fmt.Errorf("homebrew: environment variable %q: want letters, digits and '_', not starting with a digit", k)
			}
		}
	}
	for _, s := range f.strings() {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("homebrew: %q holds a control character", s)
		}
	}
	return nil
}

// strings are every text the formula writes.
func (f Formula) strings() []string {
	out := []string{f.Desc, f.Homepage, f.Version, f.License, f.Binary}
	out = append(out, f.Configs...)
	if s := f.Service; s != nil {
		for _, a := range s.Args {
			out = append(out, unmarked(a))
		}
		for k, v := range s.Env {
			out = append(out, k, unmarked(v))
		}
	}
	return out
}

// rb is s as a Ruby double-quoted string: \ and " escaped, and # so that
// no #{...} interpolates.
func rb(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `#`, `\#`).Replace(s) + `"`
}

// Ruby returns the formula.
func (f Formula) Ruby() ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var b strings.Builder
	w := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\n")
	}
	w(0, "# typed: false")
	w(0, "# frozen_string_literal: true")
	w(0, "")
	w(0, "# Generated by svcpack.")
	w(0, "class %s < Formula", ClassName(f.Name))
	w(1, "desc %s", rb(f.Desc))
	w(1, "homepage %s", rb(f.Homepage))
	w(1, "version %s", rb(f.Version))
	if f.License != "" {
		lic, _ := licenseRuby(f.License) // checked by Validate
		w(1, "license %s", lic)
	}
	tarballs := func(block string, archives []Archive) {
		if len(archives) == 0 {
			return
		}
		b.WriteString("\n")
		w(1, "%s do", block)
		if len(archives) == 1 && archives[0].Arch == "universal" {
			w(2, "url %s", rb(archives[0].URL))
			w(2, "sha256 %s", rb(strings.ToLower(archives[0].SHA256)))
		}
		for _, cpu := range []struct{ arch, block string }{{"amd64", "on_intel"}, {"arm64", "on_arm"}} {
			for _, a := range archives {
				if a.Arch != cpu.arch {
					continue
				}
				w(2, "%s do", cpu.block)
				w(3, "url %s", rb(a.URL))
				w(3, "sha256 %s", rb(strings.ToLower(a.SHA256)))
				w(2, "end")
			}
		}
		w(1, "end")
	}
	tarballs("on_macos", f.MacOS)
	tarballs("on_linux", f.Linux)

	b.WriteString("\n")
	w(1, "def install")
	w(2, "bin.install %s", rb(f.Binary))
	for _, c := range f.Configs {
		dir := path.Join(f.Name, path.Dir(c))
		w(2, "(etc/%s).install %s", rb(dir), rb(c))
	}
	w(1, "end")

	if s := f.Service; s != nil {
		b.WriteString("\n")
		w(1, "def post_install")
		w(2, "(var/%s).mkpath", rb("lib/"+f.Name))
		w(2, "(var/%s).mkpath", rb("log/"+f.Name))
		w(1, "end")
		b.WriteString("\n")
		w(1, "service do")
		run := []string{"opt_bin/" + rb(f.Binary)}
		for _, a := range s.Args {
			run = append(run, rbMarked(a, f.Name))
		}
		w(2, "run [%s]", strings.Join(run, ", "))
		if s.Always {
			w(2, "keep_alive true")
		} else {
			w(2, "keep_alive successful_exit: false")
		}
		w(2, "throttle_interval %d", max(1, int(math.Ceil(s.RestartDelay.Seconds()))))
		if len(s.Env) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(s.Env)) {
				kv = append(kv, k+": "+rbMarked(s.Env[k], f.Name))
			}
			w(2, "environment_variables %s", strings.Join(kv, ", "))
		}
		w(2, "working_dir var/%s", rb("lib/"+f.Name))
		w(2, "log_path var/%s", rb("log/"+f.Name+".log"))
		w(2, "error_log_path var/%s", rb("log/"+f.Name+".log"))
		w(1, "end")
	}

	b.WriteString("\n")
	w(1, "test do")
	w(2, "assert_predicate bin/%s, :exist?", rb(f.Binary))
	w(1, "end")
	w(0, "end")
	return []byte(b.String()), nil
}

// licenseRuby is an SPDX expression as Homebrew's license DSL writes it:
// an identifier as a string; OR and AND as any_of: and all_of: lists; WITH
// as { "id" => { with: "exception" } }.
func licenseRuby(expr string) (string, error) {
	toks := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr))
	p := &licenseParser{toks: toks}
	v, err := p.or()
	if err == nil && p.i != len(toks) {
		err = fmt.Errorf("unexpected %q", toks[p.i])
	}
	if err != nil {
		return "", fmt.Errorf("homebrew: license %q is no SPDX expression Homebrew can write: %v", expr, err)
	}
	// The top level's lists take no brackets around the keyword argument.
	return strings.TrimSuffix(strings.TrimPrefix(v, "{ "), " }"), nil
}

type licenseParser struct {
	toks []string
	i    int
}

var licenseIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)

func (p *licenseParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

// list parses operands joined by op, each with next.
func (p *licenseParser) list(op, key string, next func() (string, error)) (string, error) {
	first, err := next()
	if err != nil {
		return "", err
	}
	items := []string{first}
	for p.peek() == op {
		p.i++
		v, err := next()
		if err != nil {
			return "", err
		}
		items = append(items, v)
	}
	if len(items) == 1 {
		return first, nil
	}
	return "{ " + key + ": [" + strings.Join(items, ", ") + "] }", nil
}

func (p *licenseParser) or() (string, error) { return p.list("OR", "any_of", p.and) }

func (p *licenseParser) and() (string, error) { return p.list("AND", "all_of", p.operand) }

func (p *licenseParser) operand() (string, error) {
	t := p.peek()
	switch {
	case t == "(":
		p.i++
		v, err := p.or()
		if err != nil {
			return "", err
		}
		if p.peek() != ")" {
			return "", fmt.Errorf("missing )")
		}
		p.i++
		return v, nil
	case licenseIDRE.MatchString(t) && t != "AND" && t != "OR" && t != "WITH":
		p.i++
		if p.peek() != "WITH" {
			return rb(t), nil
		}
		p.i++
		ex := p.peek()
		if !licenseIDRE.MatchString(ex) {
			return "", fmt.Errorf("WITH needs an exception")
		}
		p.i++
		return "{ " + rb(t) + " => { with: " + rb(ex) + " } }", nil
	}
	return "", fmt.Errorf("unexpected %q", t)
}
