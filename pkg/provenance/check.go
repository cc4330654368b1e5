package provenance

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// One regular expression per grammar.
var (
	hexSHA256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	commitRE    = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
	versionRE   = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~_-]*$`)
	goVersionRE = regexp.MustCompile(`^go1(\.[0-9]+){1,2}((rc|beta)[0-9]+)?$`)
	schemeRE    = regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)
)

// check reports every field of b that the Statement cannot carry, joined.
func (b Build) check() error {
	errs := []error{
		checkSubjects(b.Subjects),
		checkURI("BuildType", b.buildType(), "https://example.com/build/v1"),
		checkURI("BuilderID", b.BuilderID, "https://github.com/svcpack/svcpack@v1.0.0"),
		checkPath("Config", b.Config, "svcpack.yaml"),
		checkMatch("ConfigSHA256", b.ConfigSHA256, hexSHA256RE, "64 lowercase hex digits"),
		checkMatch("Version", b.Version, versionRE, "letters, digits and .+~_- like 1.2.3-rc.1"),
		checkMatch("GoVersion", b.GoVersion, goVersionRE, "a release as runtime.Version prints it, like go1.22.3"),
		checkText("InvocationID", b.InvocationID),
		checkDate(b),
	}
	if b.SourceURI != "" {
		errs = append(errs, checkURI("SourceURI", b.SourceURI, "git+https://github.com/acme/hello@refs/tags/v1.2.3"))
	}
	if b.Commit != "" {
		errs = append(errs, checkMatch("Commit", b.Commit, commitRE, "a git commit id, 40 or 64 lowercase hex digits"))
	}
	return errors.Join(errs...)
}

// checkSubjects requires at least one subject, each with a valid name and
// digest, and no name twice.
func checkSubjects(subjects []Subject) error {
	if len(subjects) == 0 {
		return errors.New("provenance: Subjects: empty; want at least one released file")
	}
	var errs []error
	seen := map[string]bool{}
	for i, s := range subjects {
		field := fmt.Sprintf("Subjects[%d]", i)
		errs = append(errs, checkPath(field+".Name", s.Name, "hello_1.2.3_linux_amd64.tar.gz"),
			checkMatch(field+".SHA256", s.SHA256, hexSHA256RE, "64 lowercase hex digits"))
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("provenance: %s.Name: %q is listed twice; want each file once",
				field, s.Name))
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}

// checkText refuses invalid UTF-8, control characters (C0, DEL, C1) and the
// Unicode line and paragraph separators: text from the config is data.
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("provenance: %s: %q is not valid UTF-8; want UTF-8 text", field, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("provenance: %s: %q contains the control character %U; want printable text", field, s, r)
		}
	}
	return nil
}

// checkMatch requires s to be printable text matching re, described by want.
func checkMatch(field, s string, re *regexp.Regexp, want string) error {
	if err := checkText(field, s); err != nil {
		return err
	}
	if !re.MatchString(s) {
		return fmt.Errorf("provenance: %s: %q is not valid; want %s", field, s, want)
	}
	return nil
}

// checkPath requires a plain relative slash path: not empty, no leading
// slash, backslash, drive letter, empty, "." or ".." element, and no
// surrounding spaces.
func checkPath(field, s, example string) error {
	if err := checkText(field, s); err != nil {
		return err
	}
	bad := s == "" || strings.HasPrefix(s, "/") || strings.ContainsAny(s, `\:`) || path.Clean(s) != s ||
		s == "." || s == ".." || strings.HasPrefix(s, "../") || strings.TrimSpace(s) != s
	if bad {
		return fmt.Errorf("provenance: %s: %q is not a plain relative slash path; want one like %s", field, s, example)
	}
	return nil
}

// checkURI requires an absolute URI: a lowercase scheme, no characters RFC 3986
// excludes, and a host unless the URI is opaque (pkg:, urn:).
func checkURI(field, s, example string) error {
	if err := checkText(field, s); err != nil {
		return err
	}
	u, err := url.Parse(s)
	switch {
	case s == "":
		return fmt.Errorf("provenance: %s: empty; want an absolute URI like %s", field, example)
	case err != nil:
		return fmt.Errorf("provenance: %s: %w; want an absolute URI like %s", field, err, example)
	case strings.ContainsAny(s, " \"<>\\^`{|}"):
		return fmt.Errorf("provenance: %s: %q has characters a URI cannot hold; want one like %s", field, s, example)
	case !schemeRE.MatchString(u.Scheme):
		return fmt.Errorf("provenance: %s: %q has no lowercase scheme; want an absolute URI like %s", field, s, example)
	case u.Opaque == "" && u.Host == "":
		return fmt.Errorf("provenance: %s: %q has no host; want an absolute URI like %s", field, s, example)
	}
	return nil
}

// checkDate requires a date RFC 3339 can write, after 1970 like
// SOURCE_DATE_EPOCH, or the zero time.
func checkDate(b Build) error {
	if b.Date.IsZero() {
		return nil
	}
	if y := b.Date.UTC().Year(); b.Date.Unix() < 0 || y > 9999 {
		return fmt.Errorf("provenance: Date: %v is out of range; want a time from 1970 to 9999, or the zero time",
			b.Date)
	}
	return nil
}
