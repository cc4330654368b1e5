// Package workflow writes the GitHub Actions release workflow of a project
// released with svcpack: on a version tag, one job per part of a split
// release (svcpack release -partial, a matrix over the parts), a merge job
// (svcpack merge, sha256sum -c, the GitHub release, svcpack publish), and
// on a pull request a check job (svcpack check and one part, published
// nowhere), so that a broken config is caught before the tag. Every svcpack
// step runs svcpack's own composite action (action.yml at the root of
// svcpack's repository) at the version that wrote the workflow.
//
// Text that reaches the workflow from the project (names, targets, paths,
// variable names) is YAML data, never an expression or a command: the
// workflow is made by a YAML encoder, a value holding "${{" is refused
// (GitHub would evaluate it wherever it stands), and run: scripts are
// fixed text that read such values from env: as quoted shell variables.
// Secrets are named only (secrets.NAME), and written to the files svcpack
// reads by a step of their own. Every action but svcpack's is pinned to a
// commit, with its version in a comment; svcpack's own action is pinned to
// the version tag that wrote the workflow, which `svcpack check` compares
// with the svcpack it runs.
package workflow

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Workflow describes the project's release workflow.
type Workflow struct {
	// Version is the svcpack version the workflow runs (v1.2.3): the
	// action's ref and the module version it runs.
	Version string
	// Action is svcpack's action (svcpack/svcpack), used at Version.
	Action string
	// Tags are the tag patterns that release (v*, or svc/v* with a tag
	// prefix).
	Tags []string
	// Config is svcpack.yaml's path from the repository's top.
	Config string
	// GoVersionFile is go.mod's path, which setup-go reads the Go version
	// from.
	GoVersionFile string
	// Dist is the release's dist folder from the repository's top
	// (default dist).
	Dist string
	// Parts are the parts of the split release, one job each.
	Parts []Part
	// Files are a file's secret each: written before svcpack runs.
	Files []SecretFile
	// Env are variables set from secrets for svcpack (passphrases,
	// tokens).
	Env []SecretEnv
	// Site, when set, fetches the branch a static host serves into the
	// previous trees of the repositories before svcpack runs.
	Site *Site
	// Publish runs svcpack publish after the GitHub release.
	Publish bool
	// Packages gives the merge job packages: write (an image pushed to
	// ghcr.io with the workflow's token).
	Packages bool
}

// Part is one part of the split release.
type Part struct {
	// Name names the part's job and artifact (linux, darwin, windows).
	Name string
	// Targets are its target patterns (linux/*), comma-separated as
	// svcpack release -targets takes them.
	Targets string
	// Runner is the runner it runs on (ubuntu-latest).
	Runner string
}

// SecretFile is a secret written to a file svcpack reads.
type SecretFile struct {
	// Path is the file's path from the repository's top.
	Path string
	// Secret is the secret's name (secrets.NAME).
	Secret string
	// Base64 decodes the secret first (a PKCS#12 file).
	Base64 bool
}

// SecretEnv is an environment variable set from a secret, or from the
// workflow's own token or actor when Secret is GITHUB_TOKEN or
// GITHUB_ACTOR.
type SecretEnv struct {
	Var, Secret string
}

// Site is the branch a static host serves and where each repository's
// tree from it goes.
type Site struct {
	// Remote is the repository the branch is fetched from: a URL, or ""
	// for the workflow's own (origin).
	Remote string
	// Branch is the served branch (gh-pages); Folder the trees' folder
	// in it (".").
	Branch, Folder string
	// Apt and Dnf are the previous trees' paths from the repository's
	// top ("" for none).
	Apt, Dnf string
}

// action is a pinned third-party action.
type action struct{ name, commit, version string }

// The actions the workflow uses, pinned to the commits of their versions.
var (
	checkout = action{"actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"}
	setupGo  = action{"actions/setup-go", "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", "v7.0.0"}
	cache    = action{"actions/cache", "27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"}
	upload   = action{"actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"}
	download = action{"actions/download-artifact", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"}
	attest   = action{"actions/attest-build-provenance", "977bb373ede98d70efbf0b7b13af9c3d6651dc60", "v4.1.0"}
)

var (
	versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	actionRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Write writes the workflow as YAML.
func (w Workflow) Write(out io.Writer) error {
	if err := w.check(); err != nil {
		return err
	}
	doc := w.document()
	var b bytes.Buffer
	b.WriteString(w.header())
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("workflow: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("workflow: %w", err)
	}
	_, err := out.Write(b.Bytes())
	return err
}

// check refuses what the workflow cannot carry as data.
func (w Workflow) check() error {
	var errs []error
	bad := func(field, v, want string) {
		errs = append(errs, fmt.Errorf("workflow: %s %q: want %s", field, v, want))
	}
	if !versionRE.MatchString(w.Version) {
		bad("Version", w.Version, "a released svcpack version such as v1.2.3")
	}
	if !actionRE.MatchString(w.Action) {
		bad("Action", w.Action, "owner/repository")
	}
	if len(w.Parts) == 0 {
		errs = append(errs, errors.New("workflow: no parts: want one part per group of targets"))
	}
	for _, p := range w.Parts {
		if !nameRE.MatchString(p.Name) {
			bad("part name", p.Name, "lower-case letters, digits, '-' and '_'")
		}
	}
	for _, e := range w.Env {
		if !envRE.MatchString(e.Var) || !envRE.MatchString(e.Secret) {
			bad("variable", e.Var+"="+e.Secret, "names of letters, digits and '_'")
		}
	}
	for _, f := range w.Files {
		if !envRE.MatchString(f.Secret) {
			bad("secret", f.Secret, "a name of letters, digits and '_'")
		}
	}
	for _, v := range w.values() {
		if strings.Contains(v, "${{") {
			bad("value", v, "no ${{, which GitHub would evaluate as an expression")
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			bad("value", v, "no control characters")
		}
	}
	return errors.Join(errs...)
}

// values are every text of the project the workflow holds.
func (w Workflow) values() []string {
	v := append([]string{w.Config, w.GoVersionFile, w.Dist}, w.Tags...)
	for _, p := range w.Parts {
		v = append(v, p.Targets, p.Runner)
	}
	for _, f := range w.Files {
		v = append(v, f.Path)
	}
	if w.Site != nil {
		v = append(v, w.Site.Remote, w.Site.Branch, w.Site.Folder, w.Site.Apt, w.Site.Dnf)
	}
	return slices.DeleteFunc(v, func(s string) bool { return s == "" })
}

func (w Workflow) header() string {
	return fmt.Sprintf(`# Written by svcpack %s (svcpack init -ci github); svcpack check warns when the
# svcpack it runs is not this one. On a version tag: the release in parts (svcpack release
# -partial, one job each), merged (svcpack merge), checked (sha256sum -c), published as the
# GitHub release and then by svcpack publish. On a pull request: svcpack check and one part,
# published nowhere. Secrets are named, never written here: set them in the repository's
# settings (Secrets and variables > Actions).
`, w.Version)
}

// document is the workflow as a YAML node tree, in the order it is read.
func (w Workflow) document() *yaml.Node {
	on := mapping("push", mapping("tags", flow(w.Tags...)), "pull_request", mapping())
	return mapping(
		"name", str("release"),
		"on", on,
		"permissions", mapping("contents", str("read")),
		"jobs", mapping("check", w.checkJob(), "part", w.partJob(), "merge", w.mergeJob()),
	)
}

// checkJob checks the config and makes the first part on a pull request.
func (w Workflow) checkJob() *yaml.Node {
	first := w.Parts[0]
	steps := append(w.setup(false), w.svcpack("Check svcpack.yaml", "check", "-config", w.Config),
		w.svcpack("Release one part, published nowhere", "release", "-partial", "-targets", first.Targets,
			"-config", w.Config))
	return mapping(
		"if", str("github.event_name == 'pull_request'"),
		"runs-on", str(first.Runner),
		"timeout-minutes", num(60),
		"steps", seq(steps...),
	)
}

// partJob makes each part on a version tag.
func (w Workflow) partJob() *yaml.Node {
	var include []*yaml.Node
	for _, p := range w.Parts {
		include = append(include, mapping("part", str(p.Name), "targets", str(p.Targets), "runner", str(p.Runner)))
	}
	steps := append(w.setup(true),
		w.svcpack("Release this part", "release", "-partial", "-targets", "${{ matrix.targets }}", "-config", w.Config),
		step("", upload, mapping("name", str("part-${{ matrix.part }}"), "path", str(w.dist()+"/"),
			"if-no-files-found", str("error")), nil))
	return mapping(
		"name", str("part ${{ matrix.part }}"),
		"if", str("github.event_name == 'push'"),
		"strategy", mapping("fail-fast", boolean(true), "matrix", mapping("include", seq(include...))),
		"runs-on", str("${{ matrix.runner }}"),
		"timeout-minutes", num(60),
		"steps", seq(steps...),
	)
}

// mergeJob merges the parts, checks and publishes them.
func (w Workflow) mergeJob() *yaml.Node {
	perms := mapping("contents", str("write"), "id-token", str("write"), "attestations", str("write"))
	if w.Packages {
		perms.Content = append(perms.Content, str("packages"), str("write"))
	}
	steps := []*yaml.Node{
		step("", checkout, mapping("fetch-depth", num(0)), nil),
		step("", setupGo, mapping("go-version-file", str(w.GoVersionFile)), nil),
		step("", download, mapping("pattern", str("part-*"), "path", str("parts")), nil),
	}
	steps = append(steps, w.secrets()...)
	steps = append(steps,
		w.svcpack("Merge the parts", "merge", "-config", w.Config, "parts/*"),
		run("Check the checksums", mapping("DIST", str(w.dist())), `cd "$DIST" && sha256sum -c --strict checksums.txt`),
		step("Attest the files' provenance (GitHub's artifact attestations)", attest,
			mapping("subject-checksums", str(w.dist()+"/checksums.txt")), nil),
		run("Publish the GitHub release", mapping("GH_TOKEN", str("${{ github.token }}"), "TAG",
			str("${{ github.ref_name }}"), "DIST", str(w.dist())), releaseScript))
	if w.Publish {
		steps = append(steps, w.svcpack("Publish what svcpack.yaml names", "publish", "-if-configured", "-config",
			w.Config))
	}
	return mapping(
		"needs", str("part"),
		"if", str("github.event_name == 'push'"),
		"runs-on", str("ubuntu-latest"),
		"timeout-minutes", num(30),
		"permissions", perms,
		"steps", seq(steps...),
	)
}

// releaseScript creates the GitHub release with the downloadable files.
const releaseScript = `shopt -s nullglob
files=("$DIST"/*.zip "$DIST"/*.msi "$DIST"/*.deb "$DIST"/*.rpm "$DIST"/*.apk "$DIST"/*.tar.gz
  "$DIST"/*.oci.tar "$DIST"/*.sbom.cdx.json "$DIST"/chocolatey/*.nupkg "$DIST"/*.intoto.jsonl
  "$DIST"/checksums.txt "$DIST"/checksums.txt.asc "$DIST"/artifacts.json)
gh release create "$TAG" --verify-tag --title "$TAG" --generate-notes -- "${files[@]}"`

// setup checks out, sets up Go (with svcpack's caches when cached), writes
// the secrets' files and fetches the served site.
func (w Workflow) setup(cached bool) []*yaml.Node {
	goWith := mapping("go-version-file", str(w.GoVersionFile))
	if cached {
		goWith.Content = append(goWith.Content, str("cache"), boolean(false))
	}
	steps := []*yaml.Node{
		step("", checkout, mapping("fetch-depth", num(0)), nil),
		step("", setupGo, goWith, nil),
	}
	if cached {
		steps = append(steps, run("Find Go's caches", nil,
			"echo \"build=$(go env GOCACHE)\" >> \"$GITHUB_OUTPUT\"\necho \"mod=$(go env GOMODCACHE)\" >> \"$GITHUB_OUTPUT\""))
		steps[len(steps)-1].Content = append([]*yaml.Node{str("id"), str("goenv")}, steps[len(steps)-1].Content...)
		paths := "${{ steps.goenv.outputs.build }}\n${{ steps.goenv.outputs.mod }}\n" + w.dist() + "\n" + w.cacheDir() + "\n"
		// No value of the project goes into the expression: the YAML files
		// (svcpack.yaml among them) and go.sum decide the key.
		key := "svcpack-${{ runner.os }}-${{ matrix.part }}-${{ hashFiles('**/go.sum', '**/*.yaml') }}"
		steps = append(steps, step("", cache, mapping("path", literal(paths), "key", str(key+"-${{ github.sha }}"),
			"restore-keys", literal(key+"-\n")), nil))
	}
	return append(steps, w.secrets()...)
}

// secrets writes each secret file and fetches the served site.
func (w Workflow) secrets() []*yaml.Node {
	var steps []*yaml.Node
	for _, f := range w.Files {
		script := `umask 077 && mkdir -p "$(dirname "$FILE")" && printf '%s\n' "$SECRET" > "$FILE"`
		if f.Base64 {
			script = `umask 077 && mkdir -p "$(dirname "$FILE")" && printf '%s' "$SECRET" | base64 -d > "$FILE"`
		}
		steps = append(steps, run("Write "+f.Path+" from secrets."+f.Secret,
			mapping("FILE", str(f.Path), "SECRET", str("${{ secrets."+f.Secret+" }}")), script))
	}
	if s := w.Site; s != nil {
		steps = append(steps, run("Fetch the served package repositories", mapping("REMOTE", str(cmp.Or(s.Remote,
			"origin")), "BRANCH", str(s.Branch), "FOLDER", str(s.Folder), "APT", str(s.Apt), "DNF", str(s.Dnf)),
			siteScript))
	}
	return steps
}

// siteScript copies the trees the branch serves into the previous trees'
// folders (their parents made: on the first release there is no tree).
const siteScript = `site=$(mktemp -d)
if git ls-remote --exit-code --heads -- "$REMOTE" "$BRANCH" >/dev/null 2>&1; then
  git fetch --quiet --depth 1 -- "$REMOTE" "$BRANCH"
  git archive FETCH_HEAD | tar -x -C "$site"
fi
for pair in "apt:$APT" "dnf:$DNF"; do
  tree=${pair%%:*} dst=${pair#*:}
  [ -n "$dst" ] || continue
  mkdir -p -- "$(dirname -- "$dst")"
  if [ -d "$site/$FOLDER/$tree" ]; then rm -rf -- "$dst" && cp -a -- "$site/$FOLDER/$tree" "$dst"; fi
done`

// svcpack is a step running svcpack's action with command and args (one
// per line of the args input).
func (w Workflow) svcpack(name, command string, args ...string) *yaml.Node {
	with := mapping("command", str(command))
	if len(args) > 0 {
		with.Content = append(with.Content, str("args"), literal(strings.Join(args, "\n")+"\n"))
	}
	var env *yaml.Node
	if len(w.Env) > 0 {
		env = mapping()
		for _, e := range w.Env {
			v := "${{ secrets." + e.Secret + " }}"
			switch e.Secret {
			case "GITHUB_TOKEN":
				v = "${{ github.token }}"
			case "GITHUB_ACTOR":
				v = "${{ github.actor }}"
			}
			env.Content = append(env.Content, str(e.Var), str(v))
		}
	}
	s := mapping("name", str(name), "uses", str(w.Action+"@"+w.Version))
	s.Content = append(s.Content, str("with"), with)
	if env != nil {
		s.Content = append(s.Content, str("env"), env)
	}
	return s
}

func (w Workflow) dist() string { return cmp.Or(w.Dist, "dist") }

// cacheDir is svcpack's cache beside dist (.dist.cache).
func (w Workflow) cacheDir() string {
	d := w.dist()
	if i := strings.LastIndex(d, "/"); i >= 0 {
		return d[:i+1] + "." + d[i+1:] + ".cache"
	}
	return "." + d + ".cache"
}

// step uses a pinned action, its version in a comment.
func step(name string, a action, with, env *yaml.Node) *yaml.Node {
	s := mapping()
	if name != "" {
		s.Content = append(s.Content, str("name"), str(name))
	}
	uses := str(a.name + "@" + a.commit)
	uses.LineComment = a.version
	s.Content = append(s.Content, str("uses"), uses)
	if with != nil {
		s.Content = append(s.Content, str("with"), with)
	}
	if env != nil {
		s.Content = append(s.Content, str("env"), env)
	}
	return s
}

// run is a bash step of a fixed script reading its values from env.
func run(name string, env *yaml.Node, script string) *yaml.Node {
	s := mapping("name", str(name), "shell", str("bash"))
	if env != nil {
		s.Content = append(s.Content, str("env"), env)
	}
	s.Content = append(s.Content, str("run"), literal(script+"\n"))
	return s
}

func mapping(pairs ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(pairs); i += 2 {
		n.Content = append(n.Content, str(pairs[i].(string)), pairs[i+1].(*yaml.Node))
	}
	return n
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

func flow(items ...string) *yaml.Node {
	n := seq()
	n.Style = yaml.FlowStyle
	for _, s := range items {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func literal(s string) *yaml.Node {
	n := str(s)
	n.Style = yaml.LiteralStyle
	return n
}

func num(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(n)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

// PartNames are the names of the parts, in order.
func (w Workflow) PartNames() []string {
	var out []string
	for _, p := range w.Parts {
		out = append(out, p.Name)
	}
	return out
}
