package release

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/pkcs11key"
)

// registry is the list of formats (pkg/format's), in pipeline order: the
// one place the core learns of any format.
func registry() []*packager.Packager { return format.All() }

// Formats returns what config.Load needs to know of every packager: names,
// defaults and rules (each packager's Check sees the planned targets);
// and, as internal formats of their own, the core's rules: the builds'
// ldflags templates (checkBuildFlags), every artifact name renders and is one
// artifact's (checkNames), the OpenPGP key opens (checkOpenPGPKey).
func Formats() []config.Format {
	pks := registry()
	var out []config.Format
	for _, pk := range pks {
		f := config.Format{Name: pk.Name, Default: pk.Default, Internal: pk.Internal, Reads: pk.Reads}
		if check := pk.Check; check != nil {
			f.Check = func(s *config.Spec, probs *config.Problems) { check(s, planTargets(s, s.Targets, pks), probs) }
		}
		out = append(out, f)
	}
	return append(out,
		config.Format{Name: "build", Internal: true, Check: checkBuildFlags},
		config.Format{Name: "names", Internal: true, Check: checkNames},
		config.Format{Name: "gpg", Internal: true, Check: checkOpenPGPKey})
}

// checkOpenPGPKey opens the OpenPGP key with its passphrase, so that a key that
// does not open (a wrong passphrase) is a config error, caught by check, and
// keeps it in the spec for the release (newPlan).
func checkOpenPGPKey(s *config.Spec, probs *config.Problems) {
	g := s.GPG
	if g != nil && g.PKCS11 != nil {
		openTokenKey(s, probs)
		return
	}
	if g == nil || g.KeyFile == "" || g.PassphraseEnv != "" && g.Passphrase == "" {
		return // reported by the config's rules
	}
	if _, err := os.Stat(string(g.KeyFile)); err != nil {
		return // likewise
	}
	k, err := pgpsign.Load(string(g.KeyFile), g.Passphrase, s.Date)
	if err != nil {
		probs.Add("gpg.key_file", "%v", err)
		return
	}
	g.Key = k // Load's result carries it to the release: opened once

}

// Load reads and validates a config file with every packager's rules: the
// one step `svcpack check` runs, and the first step of every release.
func Load(path string, env config.Env) (*config.Spec, error) {
	if env.ListImports == nil {
		env.ListImports = listImports
	}
	return config.Load(path, env, Formats())
}

// FormatTable is the table of formats in the README, made from the
// registry.
func FormatTable() string {
	var b strings.Builder
	b.WriteString("| format | default | makes |\n| --- | --- | --- |\n")
	for _, pk := range registry() {
		if pk.Internal {
			continue
		}
		def := "yes"
		if !pk.Default {
			def = "no"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", pk.Name, def, pk.Doc)
	}
	return b.String()
}

// producers maps each artifact kind to the packagers that make it.
func producers(pks []*packager.Packager) map[packager.Kind][]*packager.Packager {
	out := map[packager.Kind][]*packager.Packager{}
	for _, pk := range pks {
		out[pk.ArtifactKind()] = append(out[pk.ArtifactKind()], pk)
	}
	return out
}

// checkRegistry reports registry mistakes: duplicate names, a use of a kind
// nothing makes or that is made later, a read of a field that does not
// exist. Tests run it; the pipeline runs it too (it is cheap).
func checkRegistry(pks []*packager.Packager) error {
	seen := map[string]bool{}
	made := map[packager.Kind]bool{packager.KindRawBinary: true, packager.KindRawWrapper: true}
	var spec config.Spec
	for _, pk := range pks {
		if seen[pk.Name] {
			return fmt.Errorf("release: packager %q registered twice", pk.Name)
		}
		seen[pk.Name] = true
		for _, k := range pk.Uses {
			if !made[k] {
				return fmt.Errorf("release: packager %q uses %q, which no earlier packager makes", pk.Name, k)
			}
		}
		if _, err := spec.Project(pk.Reads); err != nil {
			return fmt.Errorf("release: packager %q: %w", pk.Name, err)
		}
		if pk.Write == nil {
			return fmt.Errorf("release: packager %q has no Write", pk.Name)
		}
		made[pk.ArtifactKind()] = true
	}
	return nil
}

// names returns the packagers' names.
func names(pks []*packager.Packager) []string {
	var out []string
	for _, pk := range pks {
		out = append(out, pk.Name)
	}
	return slices.Clip(out)
}

// openTokenKey opens the OpenPGP key whose secret half is on a PKCS#11
// token: the token's key must be the signing key of gpg.public_key's
// certificate (an RSA key). A wrong PIN, a URI that names no key, another
// key: each is a check error naming the token and the key.
func openTokenKey(s *config.Spec, probs *config.Problems) {
	g := s.GPG
	if g.PublicKey == "" || g.PKCS11.PIN == "" {
		return // reported by the config's rules
	}
	cert, err := os.ReadFile(string(g.PublicKey))
	if err != nil {
		return // likewise
	}
	key, err := pkcs11key.Lazy(pkcs11key.Config{Module: g.PKCS11.Module, URI: g.PKCS11.URI, PIN: g.PKCS11.PIN})
	if err != nil {
		probs.Add("gpg.pkcs11", "%v", err)
		return
	}
	signer, err := pgpsign.FromSigner(cert, key, s.Date)
	if err != nil {
		probs.Add("gpg.pkcs11", "%s: %v", g.PKCS11.URI, err)
		return
	}
	g.Key = signer // the token is opened for each signature (pkcs11key.Lazy)
}
