package workflow

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"go.yaml.in/yaml/v3"
)

// base is a workflow of every feature: three parts, secret files (one
// base64), variables, the site, publish and packages.
func base() Workflow {
	return Workflow{Version: "v1.2.3", Action: "svcpack/svcpack", Tags: []string{"v*"}, Config: "svcpack.yaml",
		GoVersionFile: "go.mod", Dist: "dist",
		Parts: []Part{{"windows", "windows/*", "ubuntu-latest"}, {"linux", "linux/*", "ubuntu-latest"},
			{"darwin", "darwin/*", "ubuntu-latest"}},
		Files: []SecretFile{{Path: "keys/release.asc", Secret: "SVCPACK_GPG_KEY"},
			{Path: "keys/code.p12", Secret: "SVCPACK_SIGN_PKCS12", Base64: true}},
		Env: []SecretEnv{{"GPG_PASS", "SVCPACK_GPG_PASSPHRASE"}, {"GITHUB_TOKEN", "GITHUB_TOKEN"},
			{"SVCPACK_REGISTRY_USERNAME", "GITHUB_ACTOR"}},
		Site:    &Site{Branch: "gh-pages", Folder: ".", Apt: "site/apt", Dnf: "site/dnf"},
		Publish: true, Packages: true}
}

// Lint writes w and lints it with actionlint, as generated and with the
// action used from this repository's action.yml (uses: ./), which checks
// every with: against the action's inputs; it returns the workflow.
func Lint(t *testing.T, w Workflow) string {
	t.Helper()
	var b bytes.Buffer
	if err := w.Write(&b); err != nil {
		t.Fatal(err)
	}
	action, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	testtool.Actionlint(t, b.String(), action, w.Action+"@"+w.Version)
	if t.Failed() {
		t.Logf("the workflow:\n%s", b.String())
	}
	return b.String()
}

// TestActionlint: actionlint accepts the workflow of every shape, and
// action.yml with the inputs the workflow gives it.
func TestActionlint(t *testing.T) {
	for name, edit := range map[string]func(*Workflow){
		"everything": func(*Workflow) {},
		"one part": func(w *Workflow) {
			w.Parts = w.Parts[:1]
			w.Files, w.Env, w.Site, w.Publish, w.Packages = nil, nil, nil, false, false
		},
		"tag prefix":  func(w *Workflow) { w.Tags = []string{"svc/v*"}; w.Config, w.Dist = "svc/svcpack.yaml", "svc/dist" },
		"no site":     func(w *Workflow) { w.Site = nil },
		"apt only":    func(w *Workflow) { w.Site.Dnf = "" },
		"no packages": func(w *Workflow) { w.Packages = false },
	} {
		t.Run(name, func(t *testing.T) {
			w := base()
			edit(&w)
			Lint(t, w)
		})
	}
}

// TestValuesAreData: values that mean something to a shell, to YAML or to
// an expression are either refused (${{, control characters) or carried
// as data: found as written in with: and env:, never in a run: script,
// and the workflow still lints.
func TestValuesAreData(t *testing.T) {
	for _, v := range []string{`a'b"c`, "$(touch pwned) `id`", "x; rm -rf / #", "a: b", "[x]", "{y}", "&anchor",
		"*alias", "- item", "# comment", "%tag", "-f", "a\\b", "é/€"} {
		t.Run(v, func(t *testing.T) {
			w := base()
			w.Config, w.Dist, w.Site.Apt = "cfg/"+v+"/svcpack.yaml", v+"/dist", v
			w.Files[0].Path = v
			text := Lint(t, w)
			var doc struct {
				Jobs map[string]struct {
					Steps []struct {
						Run  string            `yaml:"run"`
						Env  map[string]string `yaml:"env"`
						With map[string]string `yaml:"with"`
					} `yaml:"steps"`
				} `yaml:"jobs"`
			}
			if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, j := range doc.Jobs {
				for _, s := range j.Steps {
					if strings.Contains(s.Run, v) {
						t.Errorf("a run: script holds %q:\n%s", v, s.Run)
					}
					for _, val := range s.Env {
						if val == v {
							found++
						}
					}
					if strings.Contains(s.With["args"], "\n"+"cfg/"+v+"/svcpack.yaml\n") {
						found++
					}
				}
			}
			if found == 0 {
				t.Errorf("%q is nowhere as written", v)
			}
		})
	}
	for _, v := range []string{"${{ secrets.X }}", "a${{b", "a\nb", "a\rb", "a\x00b"} {
		w := base()
		w.Config = v
		if err := w.Write(io.Discard); err == nil {
			t.Errorf("Write accepted Config %q", v)
		}
	}
}

// TestRefuses: what is not a name where a name goes is refused.
func TestRefuses(t *testing.T) {
	for name, edit := range map[string]func(*Workflow){
		"no version":     func(w *Workflow) { w.Version = "" },
		"devel version":  func(w *Workflow) { w.Version = "(devel)" },
		"action":         func(w *Workflow) { w.Action = "svcpack/svcpack@main" },
		"no parts":       func(w *Workflow) { w.Parts = nil },
		"part name":      func(w *Workflow) { w.Parts[0].Name = "Linux Part" },
		"env name":       func(w *Workflow) { w.Env[0].Var = "A-B" },
		"secret name":    func(w *Workflow) { w.Files[0].Secret = "X Y" },
		"expression tag": func(w *Workflow) { w.Tags = []string{"${{ github.token }}"} },
	} {
		w := base()
		edit(&w)
		if err := w.Write(io.Discard); err == nil {
			t.Errorf("%s: Write accepted it", name)
		}
	}
}
