package doclinks

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// maxREADMELines bounds the README: it is the entry page, and reference text
// belongs on a page under docs/.
const maxREADMELines = 160

// TestDocsLinks: every relative link in README.md and docs/*.md resolves to
// a file or folder of the repository, and every #anchor into a Markdown file
// to one of its headings.
func TestDocsLinks(t *testing.T) {
	root := repoRoot(t)
	for _, p := range check(root, docFiles(t, root)) {
		t.Error(p)
	}
}

// TestDocsREADMELength keeps the README an entry page.
func TestDocsREADMELength(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := lineCount(data); n > maxREADMELines {
		t.Errorf("README.md has %d lines, at most %d: move reference text to a page under docs/ and link it from there", n, maxREADMELines)
	}
}

// TestDocsPagesLinked: the README and the docs index each link every page
// under docs/, so that no page is reachable only by knowing its name.
func TestDocsPagesLinked(t *testing.T) {
	root := repoRoot(t)
	var pages []string
	for _, f := range docFiles(t, root) {
		if strings.HasPrefix(f, "docs/") {
			pages = append(pages, f)
		}
	}
	for _, index := range []string{"README.md", "docs/README.md"} {
		d := parseFile(t, root, index)
		linked := map[string]bool{}
		for _, l := range d.links {
			if rel, _, ok := resolve(index, l.target); ok {
				linked[rel] = true
			}
		}
		for _, p := range pages {
			if p != index && !linked[p] {
				t.Errorf("%s does not link %s", index, p)
			}
		}
	}
}

// TestDocsAnchors pins the anchor rule to what GitHub makes of headings
// these pages have.
func TestDocsAnchors(t *testing.T) {
	for heading, want := range map[string]string{
		"Set up (a fresh machine with Go 1.26)":                 "set-up-a-fresh-machine-with-go-126",
		"Programs that do not speak to the SCM: `service.wrap`": "programs-that-do-not-speak-to-the-scm-servicewrap",
		"The wrapper's memory":                                  "the-wrappers-memory",
		"Upgrades, install-time settings and removal":           "upgrades-install-time-settings-and-removal",
		"`svcpack.yaml`":                                        "svcpackyaml",
		"Links [to a page](x.md) keep their text":               "links-to-a-page-keep-their-text",
		"Ünïcode — dash":                                        "ünïcode--dash",
		"snake_case *stays*":                                    "snake_case-stays",
	} {
		if got := anchor(heading); got != want {
			t.Errorf("anchor(%q) = %q, want %q", heading, got, want)
		}
	}
}

// TestDocsLinkCheckerCatchesBrokenLinks runs the checker on a small tree
// with broken links of every kind it knows, and links it must leave alone.
func TestDocsLinkCheckerCatchesBrokenLinks(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pkg/x/x.go", "package x\n")
	write("README.md", "# Title\n"+
		"\n"+
		"See [the guide](docs/guide.md), [its set-up](docs/guide.md#set-up-a-fresh-machine), [gone](docs/nope.md),\n"+
		"[a gone heading](docs/guide.md#nowhere), [self](#title), [a folder](pkg/x), [web](https://example.com/x),\n"+
		"`[in code](nope.md)`, [the second Notes](docs/guide.md#notes-1) and [a fenced heading](#not-a-heading).\n"+
		"\n"+
		"```sh\n"+
		"[in a fence](nope2.md)\n"+
		"# not a heading\n"+
		"```\n"+
		"<!-- [in a comment](nope3.md) -->\n"+
		"[ref]: docs/missing.md\n")
	write("docs/guide.md", "# Guide\n"+
		"\n"+
		"## Set up (a fresh machine)\n"+
		"\n"+
		"## Notes\n"+
		"\n"+
		"## Notes\n"+
		"\n"+
		"[back](../README.md#title), [out](../../outside.md), [code](../pkg/x/x.go#L1), [gone](../README.md#Title)\n")
	got := check(root, []string{"README.md", "docs/guide.md"})
	want := []string{
		"README.md:3: docs/nope.md: no such file or folder",
		"README.md:4: docs/guide.md#nowhere: docs/guide.md has no heading with the anchor #nowhere",
		"README.md:5: #not-a-heading: README.md has no heading with the anchor #not-a-heading",
		"README.md:12: docs/missing.md: no such file or folder",
		"docs/guide.md:9: ../../outside.md: leaves the repository",
		"docs/guide.md:9: ../README.md#Title: README.md has no heading with the anchor #Title",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// repoRoot is the folder holding go.mod, found by walking up from the
// test's working directory (the package's folder).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// docFiles are README.md and docs/*.md, as slash paths relative to root.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("docs/ holds no Markdown page")
	}
	files := []string{"README.md"}
	for _, p := range pages {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	slices.Sort(files[1:])
	return files
}

func parseFile(t *testing.T, root, rel string) doc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return parse(string(data))
}

// check returns every broken link of files (slash paths relative to root)
// as "file:line: target: what is wrong".
func check(root string, files []string) []string {
	var problems []string
	anchors := map[string]map[string]bool{} // by Markdown file, read once
	anchorsOf := func(rel string) (map[string]bool, error) {
		if a, ok := anchors[rel]; ok {
			return a, nil
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		anchors[rel] = parse(string(data)).anchors
		return anchors[rel], nil
	}
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		for _, l := range parse(string(data)).links {
			bad := func(format string, args ...any) {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", file, l.line, l.target, fmt.Sprintf(format, args...)))
			}
			if isURL(l.target) {
				continue
			}
			rel, frag, ok := resolve(file, l.target)
			if !ok {
				bad("leaves the repository")
				continue
			}
			info, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				bad("no such file or folder")
				continue
			}
			if frag == "" || info.IsDir() || !strings.EqualFold(path.Ext(rel), ".md") {
				continue
			}
			a, err := anchorsOf(rel)
			if err != nil {
				bad("%v", err)
			} else if !a[frag] {
				bad("%s has no heading with the anchor #%s", rel, frag)
			}
		}
	}
	return problems
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// isURL tells links that leave the repository by design (https:, mailto:,
// //host) from relative ones.
func isURL(target string) bool {
	return schemeRE.MatchString(target) || strings.HasPrefix(target, "//")
}

// resolve turns a relative link of file into the slash path it names,
// relative to the repository's root, and its fragment, both unescaped; ok
// is false when the path leaves the repository. An empty path is file
// itself; a leading / is the repository's root, as on GitHub.
func resolve(file, target string) (rel, frag string, ok bool) {
	p, frag, _ := strings.Cut(target, "#")
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	switch {
	case p == "":
		rel = file
	case strings.HasPrefix(p, "/"):
		rel = path.Clean(strings.TrimLeft(p, "/"))
	default:
		rel = path.Clean(path.Join(path.Dir(file), p))
	}
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", "", false
	}
	return rel, frag, true
}

// doc is what the checks need of a Markdown file: its links and the anchors
// of its headings.
type doc struct {
	links   []link
	anchors map[string]bool
}

type link struct {
	line   int
	target string
}

var (
	atxHeadingRE = regexp.MustCompile(`^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	commentRE    = regexp.MustCompile(`(?s)<!--.*?-->`)
	// An inline link or image: [text](destination "title"); the text may
	// not hold brackets, the destination may be in <...>.
	inlineLinkRE = regexp.MustCompile(`!?\[[^\[\]]*\]\(\s*(<[^<>\n]*>|[^\s()<>]*)(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)`)
	// A link reference definition: [label]: destination
	refDefRE = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:[ \t]*(<[^<>\n]*>|\S+)`)
)

// parse reads links and ATX headings (the only kind these pages use) from
// Markdown, skipping fenced code blocks, code spans and HTML comments.
func parse(src string) doc {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	d := doc{anchors: map[string]bool{}}
	seen := map[string]int{}
	prose := make([]string, len(lines)) // fenced lines left empty
	var fence string                    // the opening fence while in a block
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " \t")
		if fence != "" {
			run := leadingRun(trimmed, fence[0])
			if len(run) >= len(fence) && strings.TrimSpace(trimmed[len(run):]) == "" {
				fence = ""
			}
			continue
		}
		if run := leadingRun(trimmed, '`'); len(run) >= 3 && !strings.Contains(trimmed[len(run):], "`") {
			fence = run
			continue
		}
		if run := leadingRun(trimmed, '~'); len(run) >= 3 {
			fence = run
			continue
		}
		prose[i] = l
		if m := atxHeadingRE.FindStringSubmatch(l); m != nil {
			a := anchor(m[1])
			// GitHub numbers repeated anchors: notes, notes-1, notes-2.
			if n := seen[a]; n > 0 {
				seen[a]++
				a = fmt.Sprintf("%s-%d", a, n)
			} else {
				seen[a] = 1
			}
			d.anchors[a] = true
		}
	}
	text := strings.Join(prose, "\n")
	text = commentRE.ReplaceAllStringFunc(text, blank)
	text = blankCodeSpans(text)
	add := func(offset int, target string) {
		target = strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
		d.links = append(d.links, link{line: 1 + strings.Count(text[:offset], "\n"), target: target})
	}
	for _, m := range inlineLinkRE.FindAllStringSubmatchIndex(text, -1) {
		add(m[0], text[m[2]:m[3]])
	}
	for _, m := range refDefRE.FindAllStringSubmatchIndex(text, -1) {
		add(m[0], text[m[2]:m[3]])
	}
	slices.SortStableFunc(d.links, func(a, b link) int { return a.line - b.line })
	return d
}

// leadingRun is the run of c that s starts with.
func leadingRun(s string, c byte) string {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return s[:n]
}

// blank replaces every character of s but line ends with a space, so that
// offsets and line numbers stay as they were.
func blank(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		return ' '
	}, s)
}

// blankCodeSpans blanks every code span: a run of backticks up to the next
// run of the same length, across line ends as in Markdown.
func blankCodeSpans(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		run := leadingRun(s[i:], '`')
		end := -1
		for j := i + len(run); j < len(s); {
			k := strings.IndexByte(s[j:], '`')
			if k < 0 {
				break
			}
			close := leadingRun(s[j+k:], '`')
			if len(close) == len(run) {
				end = j + k + len(close)
				break
			}
			j += k + len(close)
		}
		if end < 0 {
			b.WriteString(run)
			i += len(run)
			continue
		}
		b.WriteString(blank(s[i:end]))
		i = end
	}
	return b.String()
}

var headingLinkRE = regexp.MustCompile(`!?\[([^\[\]]*)\]\([^()]*\)`)

// anchor is the id GitHub gives a heading: of its text (links keep their
// text), lower-cased, letters, digits, '-' and '_' stay, every space becomes
// '-' and everything else (punctuation, backticks, emphasis marks) goes.
func anchor(heading string) string {
	text := headingLinkRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lineCount counts lines as wc -l does, plus a last line without its end.
func lineCount(data []byte) int {
	n := strings.Count(string(data), "\n")
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}
