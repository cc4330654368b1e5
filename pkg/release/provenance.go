package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/provenance"
)

// ProvenanceName is the provenance file of a release: an in-toto Statement
// with a SLSA Provenance predicate over every artifact of checksums.txt, in
// a DSSE envelope signed with the release key.
func ProvenanceName(name, version string) string { return name + "_" + version + ".intoto.jsonl" }

// writeProvenance writes the release's provenance, signed with the gpg
// key; subjects are the artifacts checksums.txt lists. It depends only on
// the release's inputs: the artifacts, the resolved config, the commit,
// the Go toolchain and the release date (never the clock).
func writeProvenance(p *Plan, listed []Artifact) error {
	s := p.spec
	key, err := p.pgp.CryptoSigner()
	if err != nil {
		return err
	}
	signer, err := provenance.NewSigner(key)
	if err != nil {
		return err
	}
	js, err := json.Marshal(s.Published())
	if err != nil {
		return err
	}
	sum := sha256.Sum256(js)
	cfg := hex.EncodeToString(sum[:])
	goVersion, err := p.goVersion()
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(s.Dir, s.Path)
	if err != nil || !filepath.IsLocal(rel) {
		rel = filepath.Base(s.Path)
	}
	b := provenance.Build{
		BuilderID: "https://github.com/svcpack/svcpack", Config: filepath.ToSlash(rel), ConfigSHA256: cfg,
		Version: s.Version.String(), Commit: s.Commit, GoVersion: goVersion, Date: s.Date,
	}
	if v := RunningVersion(); v != "" {
		b.BuilderID += "@" + v
	}
	for _, a := range listed {
		b.Subjects = append(b.Subjects, provenance.Subject{Name: a.Path, SHA256: a.SHA256})
	}
	statement, err := b.Statement()
	if err != nil {
		return err
	}
	envelope, err := provenance.Envelope(statement, signer)
	if err != nil {
		return err
	}
	return p.small(ProvenanceName(s.Name, s.Version.String()), packager.KindProvenance, envelope)
}

// goVersion is the Go toolchain the release builds with (go env
// GOVERSION), as runtime.Version prints it.
func (p *Plan) goVersion() (string, error) {
	cmd := exec.Command(p.goTool, "env", "GOVERSION")
	cmd.Dir = p.spec.Dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s env GOVERSION: %w", p.goTool, err)
	}
	return strings.TrimSpace(string(out)), nil
}
