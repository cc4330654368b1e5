package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/workflow"
)

// ActionRepository is svcpack's action, at the root of its repository.
const ActionRepository = "svcpack/svcpack"

// WorkflowPath is where the release workflow goes, from the repository's
// top.
const WorkflowPath = ".github/workflows/release.yml"

// RunningVersion is the module version of the running svcpack (v1.2.3), as
// go run ...@version, go install ...@version or a tools module's go.mod
// gives it; "" for a local build ((devel), or a replaced module).
func RunningVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	mod := &bi.Main
	if mod.Path != svcpackModule {
		mod = nil
		for _, d := range bi.Deps {
			if d.Path == svcpackModule {
				mod = d
			}
		}
	}
	if mod == nil || mod.Replace != nil || mod.Version == "(devel)" {
		return ""
	}
	return mod.Version
}

// Workflow maps the spec onto the release workflow of its project, whose
// git repository's top is top, running svcpack at version: a part per
// operating system of the targets, the secrets its keys need, the served
// site its repositories grow from, and publish when it names somewhere to
// publish.
func Workflow(s *config.Spec, top, version string) (workflow.Workflow, error) {
	rel := func(p string) (string, error) {
		r, err := filepath.Rel(top, s.Abs(p))
		if err != nil || !filepath.IsLocal(r) {
			return "", fmt.Errorf("workflow: %s is outside the repository %s: the workflow runs in its checkout", p, top)
		}
		return filepath.ToSlash(r), nil
	}
	w := workflow.Workflow{Version: version, Action: ActionRepository, Tags: []string{s.TagPrefix + "v*"}}
	var err error
	for _, f := range []struct {
		dst *string
		p   string
	}{{&w.Config, s.Path}, {&w.GoVersionFile, filepath.Join(s.Dir, "go.mod")}, {&w.Dist, s.Dist}} {
		if *f.dst, err = rel(f.p); err != nil {
			return w, err
		}
	}
	if mod, err := goModOf(s.Dir); err == nil {
		if w.GoVersionFile, err = rel(mod); err != nil {
			return w, err
		}
	}
	w.Parts = parts(s.Targets)
	if err := secrets(s, &w, rel); err != nil {
		return w, err
	}
	if err := site(s, &w, rel); err != nil {
		return w, err
	}
	w.Publish = s.Wants("oci") && len(s.OCI.Push) > 0 || s.Homebrew.Tap.Repository != "" ||
		s.Scoop.Bucket.Repository != "" || s.Pages.Repository != ""
	return w, nil
}

// parts groups the targets by operating system, one part each, in the
// order of the targets (a universal darwin binary is made in the darwin
// part from both of its targets).
func parts(targets []platform.Target) []workflow.Part {
	var out []workflow.Part
	for _, t := range targets {
		if !slices.ContainsFunc(out, func(p workflow.Part) bool { return p.Name == t.OS }) {
			out = append(out, workflow.Part{Name: t.OS, Targets: t.OS + "/*", Runner: "ubuntu-latest"})
		}
	}
	return out
}

// secrets names the secrets each key file and passphrase comes from.
func secrets(s *config.Spec, w *workflow.Workflow, rel func(string) (string, error)) error {
	file := func(field string, p config.Path, secret string, base64 bool) error {
		if p == "" {
			return nil
		}
		r, err := rel(string(p))
		if err != nil {
			return fmt.Errorf("workflow: %s %s is outside the repository: the workflow writes it from secrets.%s "+
				"into its checkout; name a path inside it, such as keys/%s, and keep that file out of git "+
				"(.gitignore)", field, p, secret, filepath.Base(string(p)))
		}
		w.Files = append(w.Files, workflow.SecretFile{Path: r, Secret: secret, Base64: base64})
		return nil
	}
	env := func(name, secret string) {
		if name != "" && !slices.ContainsFunc(w.Env, func(e workflow.SecretEnv) bool { return e.Var == name }) {
			w.Env = append(w.Env, workflow.SecretEnv{Var: name, Secret: secret})
		}
	}
	var errs []error
	if g := s.GPG; g != nil {
		errs = append(errs, file("gpg.key_file", g.KeyFile, "SVCPACK_GPG_KEY", false))
		env(g.PassphraseEnv, "SVCPACK_GPG_PASSPHRASE")
	}
	if sg := s.Windows.Sign; sg != nil {
		errs = append(errs, file("windows.sign.pkcs12", sg.PKCS12, "SVCPACK_SIGN_PKCS12", true),
			file("windows.sign.key", sg.Key, "SVCPACK_SIGN_KEY", false))
		if sg.PKCS11 == nil { // with a token, the certificate is public: committed, not a secret
			errs = append(errs, file("windows.sign.cert", sg.Cert, "SVCPACK_SIGN_CERT", false))
		} else {
			errs = append(errs, committed("windows.sign.cert", sg.Cert, rel))
		}
		env(sg.PasswordEnv, "SVCPACK_SIGN_PASSWORD")
	}
	if s.GPG != nil && s.GPG.PublicKey != "" {
		errs = append(errs, committed("gpg.public_key", s.GPG.PublicKey, rel))
	}
	for _, g := range []config.GitRepo{s.Pages, s.Homebrew.Tap, s.Scoop.Bucket} {
		env(g.TokenEnv, g.TokenEnv)
	}
	for _, tok := range tokens(s) { // a token's PIN: the secret of the variable's name
		env(tok.PINEnv, tok.PINEnv)
	}
	if s.OCI.Sign.Key != "" {
		errs = append(errs, file("oci.sign.key", s.OCI.Sign.Key, "SVCPACK_IMAGE_KEY", false))
	}
	if s.Wants("oci") && len(s.OCI.Push) > 0 {
		if slices.ContainsFunc(s.OCI.Push, func(r string) bool { return strings.HasPrefix(r, "ghcr.io/") }) {
			w.Packages = true
			env("SVCPACK_REGISTRY_USERNAME", "GITHUB_ACTOR")
			env("SVCPACK_REGISTRY_PASSWORD", "GITHUB_TOKEN")
		} else {
			env("SVCPACK_REGISTRY_USERNAME", "SVCPACK_REGISTRY_USERNAME")
			env("SVCPACK_REGISTRY_PASSWORD", "SVCPACK_REGISTRY_PASSWORD")
		}
	}
	return errors.Join(errs...)
}

// site fetches the pages branch into the previous trees.
func site(s *config.Spec, w *workflow.Workflow, rel func(string) (string, error)) error {
	if s.Pages.Repository == "" || s.Apt.Previous == "" && s.Dnf.Previous == "" {
		return nil
	}
	st := &workflow.Site{Branch: s.Pages.Branch, Folder: s.Pages.Folder}
	if strings.Contains(s.Pages.Repository, "://") {
		st.Remote = s.Pages.Repository // else a folder of the release machine: the workflow's own repository
	}
	for _, p := range []struct {
		dst  *string
		tree config.Path
	}{{&st.Apt, s.Apt.Previous}, {&st.Dnf, s.Dnf.Previous}} {
		if p.tree == "" {
			continue
		}
		r, err := rel(string(p.tree))
		if err != nil {
			return err
		}
		*p.dst = r
	}
	w.Site = st
	return nil
}

// goModOf is the go.mod of the module holding dir.
func goModOf(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "go.mod"), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod")
		}
	}
}

// pinnedRE finds the svcpack version a workflow runs.
var pinnedRE = regexp.MustCompile(`uses:\s*` + regexp.QuoteMeta(ActionRepository) + `@(v[0-9][^\s#]*)`)

// WorkflowDrift is the warning `svcpack check` gives when the release
// workflow at top runs another svcpack than running, the version of the
// one running (RunningVersion); "" when they agree, or either is unknown.
func WorkflowDrift(top, running string) string {
	b, err := os.ReadFile(filepath.Join(top, filepath.FromSlash(WorkflowPath)))
	if err != nil || running == "" {
		return ""
	}
	for _, m := range pinnedRE.FindAllStringSubmatch(string(b), -1) {
		if m[1] != running {
			return fmt.Sprintf("%s runs svcpack %s, and this is svcpack %s: run svcpack init -ci github -force "+
				"to write it for this version, or run the version it pins", WorkflowPath, m[1], running)
		}
	}
	return ""
}

// tokens are the PKCS#11 tokens the spec signs with.
func tokens(s *config.Spec) []*config.PKCS11 {
	var out []*config.PKCS11
	if s.Windows.Sign != nil && s.Windows.Sign.PKCS11 != nil {
		out = append(out, s.Windows.Sign.PKCS11)
	}
	if s.GPG != nil && s.GPG.PKCS11 != nil {
		out = append(out, s.GPG.PKCS11)
	}
	if s.OCI.Sign.PKCS11 != nil {
		out = append(out, s.OCI.Sign.PKCS11)
	}
	return out
}

// committed checks that a public file the release reads (a certificate)
// is in the repository, where the workflow's checkout has it.
func committed(field string, p config.Path, rel func(string) (string, error)) error {
	if _, err := rel(string(p)); err != nil {
		return fmt.Errorf("workflow: %s %s is outside the repository: the workflow's checkout has only what is "+
			"committed; put it in the repository (it is public) and name it there", field, p)
	}
	return nil
}

// UsesToken reports whether the spec signs with a PKCS#11 token.
func UsesToken(s *config.Spec) bool { return len(tokens(s)) > 0 }
