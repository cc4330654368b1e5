package ci

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/svcpack/svcpack/internal/testtool"
)

// workflow is the part of a GitHub Actions workflow the dry run reads.
type workflow struct {
	Jobs map[string]struct {
		Needs    any `yaml:"needs"`
		Strategy struct {
			Matrix struct {
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []step `yaml:"steps"`
	} `yaml:"jobs"`
}

type step struct {
	Name    string            `yaml:"name"`
	Uses    string            `yaml:"uses"`
	With    map[string]string `yaml:"with"`
	Run     string            `yaml:"run"`
	Env     map[string]string `yaml:"env"`
	Shell   string            `yaml:"shell"`
	WorkDir string            `yaml:"working-directory"`
}

var exprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// dryRun plays a workflow's jobs on this machine, in order, each in a fresh
// copy of one checkout at the same path (as runners check out to the same
// path): run steps run in bash as GitHub runs them (-eo pipefail), the
// artifact actions copy files through a local store (hidden files left out,
// as upload-artifact does by default), checkout and setup-go are what the
// copy and this machine already are. actions/cache restores the paths it
// names inside the checkout (dist, .dist.cache) from what was saved under
// the same key when a job last ended, as the cache action's post step
// does (restore-keys are not tried); the
// paths outside it (Go's caches, from step outputs) are this machine's
// own. Steps that talk to GitHub (gh, artifact attestations) are skipped
// and listed. Anything
// else unknown fails the test, so a new step is either understood or seen.
type dryRun struct {
	t        *testing.T
	pristine string            // the checkout, never modified
	work     string            // where each job runs
	store    string            // uploaded artifacts, by name
	caches   string            // what actions/cache saved, by job
	output   map[string]string // each run step's output, by "job: step"
	skipped  []string
	// vars are the values of the github.* and runner.* expressions the
	// workflow uses beyond the matrix; secrets are empty, as in a fork.
	vars map[string]string
	// action is the composite action.yml that uses: ActionRepository@...
	// steps expand to (svcpack's own), or "" when none is expected.
	action string
}

func (d *dryRun) job(name string, steps []step, matrix map[string]string) {
	t := d.t
	if err := os.RemoveAll(d.work); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(d.work, os.DirFS(d.pristine)); err != nil {
		t.Fatal(err)
	}
	// expand evaluates the matrix's values; the other expressions fail the
	// test, or with keep (in a cache key, where the same text is the same
	// value from run to run) stay as they are.
	expandKeep := func(s string, keep bool) string {
		return exprRE.ReplaceAllStringFunc(s, func(m string) string {
			v, ok := d.eval(exprRE.FindStringSubmatch(m)[1], matrix, nil)
			if !ok && !keep {
				t.Fatalf("job %s: the dry run cannot evaluate %s", name, m)
			}
			if !ok {
				return m
			}
			return v
		})
	}
	expand := func(s string) string { return expandKeep(s, false) }
	var cached []string // paths to save when the job ends
	var key string      // under this key
	defer func() {
		for _, p := range cached {
			saved := filepath.Join(d.caches, key, p)
			if err := os.RemoveAll(saved); err != nil {
				t.Fatal(err)
			}
			if err := os.CopyFS(saved, os.DirFS(filepath.Join(d.work, p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("job %s: saving the cache of %s: %v", name, p, err)
			}
		}
	}()
	for _, s := range steps {
		action, _, _ := strings.Cut(s.Uses, "@")
		switch {
		case action == "actions/checkout" || action == "actions/setup-go":
			continue
		case action == "actions/cache":
			// The key's text, matrix values filled in, names the saved
			// paths: hashFiles and the commit are the same on a re-run.
			key = url.PathEscape(expandKeep(s.With["key"], true))
			for _, p := range strings.Split(strings.TrimSpace(s.With["path"]), "\n") {
				if p = strings.TrimSpace(p); strings.Contains(p, "${{") {
					continue // Go's caches: this machine's
				}
				if !filepath.IsLocal(p) {
					t.Fatalf("job %s: cache path %s is outside the checkout", name, p)
				}
				cached = append(cached, p)
				if err := os.CopyFS(filepath.Join(d.work, p), os.DirFS(filepath.Join(d.caches, key, p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("job %s: restoring the cache of %s: %v", name, p, err)
				}
			}
		case action == "actions/upload-artifact":
			d.upload(expand(s.With["name"]), filepath.Join(d.work, s.With["path"]), s.With["if-no-files-found"] == "error")
		case action == "actions/download-artifact":
			d.download(s.With["pattern"], filepath.Join(d.work, s.With["path"]))
		case d.action != "" && strings.HasPrefix(s.Uses, actionRepository+"@"):
			d.composite(name, s, matrix, expand)
		case strings.Contains(s.Run, "gh release") || action == "actions/attest-build-provenance":
			d.skipped = append(d.skipped, name+": "+s.Name)
		case s.Uses != "":
			t.Fatalf("job %s: the dry run does not know %s", name, s.Uses)
		default:
			d.run(name, s, expand)
		}
	}
}

// run runs a run: step in bash, as GitHub does (-eo pipefail), its env and
// script expanded.
func (d *dryRun) run(job string, s step, expand func(string) string) {
	t := d.t
	if s.Shell != "" && s.Shell != "bash" {
		t.Fatalf("job %s, step %q: shell %s (the dry run runs bash)", job, s.Name, s.Shell)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", expand(s.Run))
	cmd.Dir = filepath.Join(d.work, expand(s.WorkDir))
	cmd.Env = append(os.Environ(), "CI=true", "GITHUB_OUTPUT="+filepath.Join(t.TempDir(), "output"))
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+expand(v))
	}
	var out testtool.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("job %s, step %q: %v\n%s", job, cmp(s.Name, s.Run), err, out.String())
	}
	d.output[job+": "+cmp(s.Name, s.Run)] = out.String()
	t.Logf("job %s, step %q: ok", job, cmp(s.Name, s.Run))
}

// actionRepository is svcpack's action, which the generated workflow uses.
const actionRepository = "svcpack/svcpack"

// composite runs the steps of the composite action d.action for a step
// that uses it: its inputs are the step's with: values (expanded in the
// job) over the action's defaults, github.action_ref the ref it is used at.
func (d *dryRun) composite(job string, s step, matrix map[string]string, expand func(string) string) {
	t := d.t
	b, err := os.ReadFile(d.action)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []step `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil || a.Runs.Using != "composite" {
		t.Fatalf("%s: not a composite action: %v", d.action, err)
	}
	inputs := map[string]string{}
	for k, in := range a.Inputs {
		inputs[k] = in.Default
	}
	for k, v := range s.With {
		if _, ok := a.Inputs[k]; !ok {
			t.Fatalf("job %s, step %q: the action has no input %s", job, s.Name, k)
		}
		inputs[k] = expand(v)
	}
	_, ref, _ := strings.Cut(s.Uses, "@")
	d.vars["github.action_ref"] = ref
	defer delete(d.vars, "github.action_ref")
	inner := func(text string) string {
		return exprRE.ReplaceAllStringFunc(text, func(m string) string {
			v, ok := d.eval(exprRE.FindStringSubmatch(m)[1], matrix, inputs)
			if !ok {
				t.Fatalf("job %s: the dry run cannot evaluate %s in %s", job, m, d.action)
			}
			return v
		})
	}
	for _, cs := range a.Runs.Steps {
		if cs.Uses != "" {
			t.Fatalf("%s: the dry run runs only run: steps of the action", d.action)
		}
		for k, v := range s.Env {
			if cs.Env == nil {
				cs.Env = map[string]string{}
			}
			if _, ok := cs.Env[k]; !ok {
				cs.Env[k] = expand(v) // the step's env reaches the action's steps
			}
		}
		cs.Name = cmp(s.Name, cs.Name)
		d.run(job, cs, inner)
	}
}

// eval evaluates an expression of the workflow: matrix.*, inputs.* (in an
// action), secrets.* (empty), the github.* and runner.* values of d.vars,
// and a || b of those.
func (d *dryRun) eval(e string, matrix, inputs map[string]string) (string, bool) {
	if l, r, ok := strings.Cut(e, "||"); ok {
		lv, lok := d.eval(strings.TrimSpace(l), matrix, inputs)
		if lok && lv != "" {
			return lv, true
		}
		return d.eval(strings.TrimSpace(r), matrix, inputs)
	}
	if k, ok := strings.CutPrefix(e, "matrix."); ok {
		v, ok := matrix[k]
		return v, ok
	}
	if k, ok := strings.CutPrefix(e, "inputs."); ok && inputs != nil {
		v, ok := inputs[k]
		return v, ok
	}
	if strings.HasPrefix(e, "secrets.") {
		return "", true // no secrets here, as in a fork's run
	}
	switch e {
	case "github.token", "github.actor":
		return "", true
	}
	v, ok := d.vars[e]
	return v, ok
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (d *dryRun) upload(name, dir string, mustHave bool) {
	t := d.t
	dst := filepath.Join(d.store, name)
	if _, err := os.Stat(dst); err == nil {
		t.Fatalf("artifact %s uploaded twice", name)
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && p != dir {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		// Artifacts keep no permissions: every file comes back 0644.
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	if n == 0 && mustHave {
		t.Fatalf("upload %s: no files in %s", name, dir)
	}
}

func (d *dryRun) download(pattern, dir string) {
	t := d.t
	names, err := os.ReadDir(d.store)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, e := range names {
		if ok, _ := path.Match(pattern, e.Name()); ok {
			got++
			if err := os.CopyFS(filepath.Join(dir, e.Name()), os.DirFS(filepath.Join(d.store, e.Name()))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got == 0 {
		t.Fatalf("download %s: no artifact matches", pattern)
	}
}

// checkout makes a repository at dir from the files of this one (as they
// are on disk, untracked ones included), committed and tagged as a release
// would be.
func checkout(t *testing.T, git, dir string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(git, "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		testtool.Missing(t, fmt.Sprintf("a git checkout of svcpack to copy (%v)", err))
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree
		}
		fi, _ := os.Stat(filepath.Join(root, f))
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci",
		"GIT_COMMITTER_EMAIL=ci@example.com", "GIT_AUTHOR_DATE=2026-11-01T12:00:00Z", "GIT_COMMITTER_DATE=2026-11-01T12:00:00Z")
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "release"}, {"tag", "v1.4.0"}} {
		cmd := exec.Command(git, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// TestReleaseWorkflowDryRun runs release.yml's jobs here: each part of the
// matrix, then the merge, through their own commands; the merged dist/ must
// be byte for byte what `go run mage.go release` (the README's main job)
// makes from the same checkout.
func TestReleaseWorkflowDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("the dry run releases the example twice")
	}
	git := testtool.Need(t, "git", "git")
	b, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	part, merge := wf.Jobs["part"], wf.Jobs["merge"]
	if len(part.Strategy.Matrix.Include) < 2 || len(merge.Steps) == 0 || fmt.Sprint(merge.Needs) != "part" {
		t.Fatalf("release.yml: want a matrix job part (2+ parts) and a merge job that needs it")
	}
	base := t.TempDir()
	d := &dryRun{t: t, vars: map[string]string{}, pristine: filepath.Join(base, "checkout"), work: filepath.Join(base, "work", "svcpack"), store: filepath.Join(base, "artifacts"),
		caches: filepath.Join(base, "caches"), output: map[string]string{}}
	checkout(t, git, d.pristine)
	if err := os.MkdirAll(d.store, 0o755); err != nil {
		t.Fatal(err)
	}
	merged := d.playRelease(part.Steps, part.Strategy.Matrix.Include, merge.Steps, filepath.Join(base, "merged"))

	// One machine, the README's way, from the same checkout at the same path.
	d.job("single", []step{{Name: "release", Run: "go run mage.go release"}}, nil)
	single := filepath.Join(d.work, "dist")
	g, w := files(t, merged), files(t, single)
	if len(w) == 0 {
		t.Fatal("the single release made nothing")
	}
	var diff []string
	for name, data := range w {
		if !bytes.Equal(g[name], data) {
			diff = append(diff, name)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			diff = append(diff, name+" (merged only)")
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("the workflow's release differs from go run mage.go release in %d files: %s", len(diff), strings.Join(diff, ", "))
	}
	if !strings.Contains(string(g["artifacts.json"]), `"version": "1.4.0"`) {
		t.Errorf("the merged release is not version 1.4.0 (from the tag):\n%.400s", g["artifacts.json"])
	}

	// A re-run of the tag: each part restores its dist and .dist.cache
	// with actions/cache and reuses every artifact.
	d.store = filepath.Join(base, "artifacts-rerun")
	for _, m := range part.Strategy.Matrix.Include {
		name := "part " + m["part"] + " again"
		d.job(name, part.Steps, m)
		made := 0
		for step, out := range d.output {
			if !strings.HasPrefix(step, name+": ") {
				continue
			}
			if sm := summaryRE.FindStringSubmatch(out); sm != nil {
				made++
				if sm[1] != sm[2] || sm[1] == "0" {
					t.Errorf("job %s: %s: want every artifact reused from the cache", name, sm[0])
				}
			}
		}
		if made != 1 {
			t.Errorf("job %s: %d steps said how many artifacts they reused, want 1 (the release)", name, made)
		}
	}
}

// summaryRE is the last line of a release: how many artifacts, how many
// of them reused.
var summaryRE = regexp.MustCompile(`: (\d+) artifacts, (\d+) reused`)

// files reads every file under dir by slash path.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// playRelease plays each part of the matrix, then the merge, moves the
// merged dist/ to merged and returns it; GitHub's steps (gh release, the
// attestation) must be the only ones skipped.
func (d *dryRun) playRelease(part []step, matrix []map[string]string, merge []step, merged string) string {
	t := d.t
	for _, m := range matrix {
		d.job("part "+m["part"], part, m)
	}
	d.job("merge", merge, nil)
	if err := os.Rename(filepath.Join(d.work, "dist"), merged); err != nil {
		t.Fatal(err)
	}
	if want := []string{"merge: Attest the files' provenance (GitHub's artifact attestations)",
		"merge: Publish the GitHub release"}; fmt.Sprint(d.skipped) != fmt.Sprint(want) {
		t.Errorf("skipped steps %q, want %q", d.skipped, want)
	}
	return merged
}
