// Package naming renders artifact names and download URLs from
// text/templates over the variables ldflags templates see
// (matrix.TemplateData: Name, Version, Commit, Date, Os, Arch, Variant,
// ArchName), and checks the results: a name is one file name that every
// platform, URL and script carries as it is; a URL is an http(s) URL. A
// template naming a variable that does not exist fails when it is
// executed, as ldflags templates do.
package naming

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/svcpack/svcpack/pkg/matrix"
)

// Data is what a name template sees.
type Data struct {
	matrix.TemplateData
	// Format is the package format (deb, rpm, apk) in a package name
	// template, else "".
	Format string
	// Conventional is the package format's own file name for the package
	// without its extension ("hello_1.2.3-1_amd64"), in a package name
	// template, else "".
	Conventional string
}

// URLData is what a download URL template sees: the target's variables
// (empty for a file of no target, such as checksums.txt) and the file's
// name.
type URLData struct {
	matrix.TemplateData
	// File is the artifact's file name ("hello_1.2.3_windows_amd64.msi").
	File string
}

// nameRE is a file name: letters, digits and . _ - + ~ ^ (the characters
// of package versions: rpm writes ^ after a release), starting with a letter
// or digit, not ending with a dot (Windows drops it).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~^-]*$`)

// CheckName reports why name cannot be an artifact's file name, or nil.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the name is empty")
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%q holds a path separator: a template makes one file name, not a path", name)
	case !nameRE.MatchString(name) || strings.HasSuffix(name, "."):
		return fmt.Errorf("%q is not a plain file name: want letters, digits, '.', '_', '-', '+', '~' or '^', starting with a letter or digit and not ending with '.' (names go into URLs, scripts and Windows folders as they are)", name)
	case len(name) > 200:
		return fmt.Errorf("%q is %d characters long: want at most 200", name, len(name))
	}
	return nil
}

// Parse parses a name or URL template as Name and URL execute it.
func Parse(tmpl string) (*template.Template, error) {
	t, err := template.New("name").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", tmpl, err)
	}
	return t, nil
}

func execute(tmpl string, data any) (string, error) {
	t, err := Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// Name renders a name template and checks the result with CheckName.
func Name(tmpl string, d Data) (string, error) {
	s, err := execute(tmpl, d)
	if err != nil {
		return "", err
	}
	if err := CheckName(s); err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	return s, nil
}

// URL renders a download URL template: File is path-escaped segment by
// segment (a name that CheckName passes is its own escape but for ^), and
// the result must be an http(s) URL with a host and no credentials, query
// or fragment.
func URL(tmpl string, d URLData) (string, error) {
	segs := strings.Split(d.File, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	d.File = strings.Join(segs, "/")
	s, err := execute(tmpl, d)
	if err != nil {
		return "", err
	}
	if err := checkURL(s); err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
		// Percent-encoded, the URL is ASCII: the same bytes to every
		// reader, whatever code page a script is read in.
		u, _ := url.Parse(s)
		s = u.String()
	}
	return s, nil
}

// checkURL reports a rendered URL that is not a plain http(s) download URL.
func checkURL(s string) error {
	const want = "want an http(s) URL such as https://example.com/releases/v{{.Version}}/{{.File}}"
	if strings.ContainsAny(s, " \"'<>\\^`{|}") {
		return fmt.Errorf("%q holds characters a URL does not: %s", s, want)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q: %v: %s", s, err, want)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Opaque != "":
		return fmt.Errorf("%q is not an http(s) URL with a host: %s", s, want)
	case u.User != nil:
		return fmt.Errorf("%q holds credentials: %s", s, want)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Errorf("%q holds a query or fragment: %s", s, want)
	}
	return nil
}
