// Package provenance writes the signed build provenance of a release: an
// in-toto Statement v1 whose predicate is SLSA Provenance v1, wrapped in a
// DSSE envelope and written as one JSON line: the `<name>_<version>.intoto.jsonl`
// file, in the JSON Lines form SLSA's provenance generators publish.
//
// Like the other encoders it knows nothing of the config: the caller fills a
// [Build] (the subjects as in checksums.txt, the config file's path and digest,
// the version, the source, the Go toolchain, the builder) and gets bytes back.
//
// # Why DSSE
//
// A DSSE signature covers the payload's bytes exactly as they travel, base64
// encoded in the envelope, so verifying needs no canonical form of JSON that
// producer and consumer could disagree on. It signs PAE(payloadType, payload),
// the pre-authentication encoding "DSSEv1 <len> <type> <len> <payload>", so a
// signature made for an in-toto Statement cannot be replayed as another kind
// of document. It is the envelope in-toto attestations, SLSA provenance and
// cosign's attestations use.
//
// # Build type v1
//
// The predicate's buildType is [BuildTypeV1] unless the caller names another.
// Under it the predicate holds:
//
//   - buildDefinition.externalParameters: the two top-level inputs a user
//     controls, {"config": {"path": P, "digest": {"sha256": D}}, "version": V}:
//     P is the config file's path relative to the project root (svcpack.yaml),
//     D the SHA-256 of the resolved config, V the release version. Everything
//     else that shapes the build (targets, flags, packages) is in that config,
//     so checking its digest checks them; there are no internalParameters.
//   - buildDefinition.resolvedDependencies: the source, when known, as
//     {"uri": U, "digest": {"gitCommit": C}} (U like
//     git+https://github.com/acme/hello@refs/tags/v1.2.3, or a module as
//     pkg:golang/<module>@<version>; either part may be absent), then the Go
//     toolchain as {"name": "go", "uri": "pkg:golang/stdlib@1.22.3"}, "stdlib"
//     being the name Go's vulnerability database gives the standard library
//     the toolchain compiles into every binary.
//   - runDetails.builder.id: the caller's URI for svcpack and its version,
//     like https://github.com/svcpack/svcpack@v1.0.0 (a builder run in another
//     mode of trust, on CI rather than a laptop, should say so in its id).
//   - runDetails.metadata: invocationId when given, and startedOn and
//     finishedOn, both the release date, only when a date is given.
//
// # Reproducibility
//
// The same Build gives the same bytes: subjects are sorted by name, every
// object is a struct with a fixed field order (no map is encoded), no field
// reads the clock (timestamps come from [Build.Date], the release's
// SOURCE_DATE_EPOCH, or are left out) and nothing depends on the machine.
// Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic, so the envelope is
// reproducible too; ECDSA signatures are randomized, so an envelope signed with
// an ECDSA key verifies but differs from run to run.
//
// # Keys
//
// [NewSigner] signs with an Ed25519, RSA (2048 bits or more, PKCS#1 v1.5 with
// SHA-256) or ECDSA P-256 (SHA-256, ASN.1 DER signature) key held by any
// crypto.Signer, a hardware token's included. Its key id is the hex SHA-256 of
// the public key's PKIX (SubjectPublicKeyInfo) DER encoding. [Verify] checks an
// envelope against a public key of the same kinds; the key id is only a hint
// (DSSE forbids trusting it), so every signature is tried against the key.
package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The type URIs this package writes.
const (
	// StatementType is the in-toto Statement v1 `_type`.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType is the SLSA Provenance v1 predicate type.
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildTypeV1 names svcpack's build type, documented under "Build type
	// v1" in this package's documentation, where the URI leads.
	BuildTypeV1 = "https://pkg.go.dev/github.com/svcpack/svcpack/pkg/provenance#hdr-Build_type_v1"
)

// Subject is one released file.
type Subject struct {
	// Name is the file's name as checksums.txt lists it: a relative slash
	// path such as hello_1.2.3_linux_amd64.tar.gz.
	Name string
	// SHA256 is the file's SHA-256, 64 lowercase hex digits.
	SHA256 string
}

// Build describes one release: what it produced and from what.
type Build struct {
	// Subjects are the released files, in any order.
	Subjects []Subject
	// BuildType is the predicate's build type URI; empty means BuildTypeV1.
	BuildType string
	// BuilderID is a URI naming svcpack and its version, such as
	// https://github.com/svcpack/svcpack@v1.0.0.
	BuilderID string
	// Config is the config file's path relative to the project root, as a
	// slash path (svcpack.yaml).
	Config string
	// ConfigSHA256 is the SHA-256 of the resolved config, 64 lowercase hex.
	ConfigSHA256 string
	// Version is the release version (1.2.3, 1.2.3-rc.1).
	Version string
	// SourceURI locates the source, like
	// git+https://github.com/acme/hello@refs/tags/v1.2.3 or
	// pkg:golang/github.com/acme/hello@v1.2.3; empty when unknown.
	SourceURI string
	// Commit is the source's git commit (40 or 64 lowercase hex); empty
	// when unknown.
	Commit string
	// GoVersion is the toolchain's version as runtime.Version prints it for
	// a release (go1.22.3, go1.23rc1).
	GoVersion string
	// InvocationID optionally identifies the run (a CI job's URL); empty
	// leaves it out.
	InvocationID string
	// Date is the release date (SOURCE_DATE_EPOCH), written as startedOn
	// and finishedOn; the zero time writes no timestamp.
	Date time.Time
}

// The Statement's JSON shape: structs only, so the field order is fixed.
type (
	statement struct {
		Type          string       `json:"_type"`
		Subject       []descriptor `json:"subject"`
		PredicateType string       `json:"predicateType"`
		Predicate     predicate    `json:"predicate"`
	}
	// descriptor is an in-toto ResourceDescriptor.
	descriptor struct {
		Name   string  `json:"name,omitempty"`
		URI    string  `json:"uri,omitempty"`
		Digest *digest `json:"digest,omitempty"`
	}
	digest struct {
		SHA256    string `json:"sha256,omitempty"`
		GitCommit string `json:"gitCommit,omitempty"`
	}
	predicate struct {
		BuildDefinition buildDefinition `json:"buildDefinition"`
		RunDetails      runDetails      `json:"runDetails"`
	}
	buildDefinition struct {
		BuildType            string       `json:"buildType"`
		ExternalParameters   parameters   `json:"externalParameters"`
		ResolvedDependencies []descriptor `json:"resolvedDependencies"`
	}
	parameters struct {
		Config  configRef `json:"config"`
		Version string    `json:"version"`
	}
	configRef struct {
		Path   string `json:"path"`
		Digest digest `json:"digest"`
	}
	runDetails struct {
		Builder  builder   `json:"builder"`
		Metadata *metadata `json:"metadata,omitempty"`
	}
	builder struct {
		ID string `json:"id"`
	}
	metadata struct {
		InvocationID string `json:"invocationId,omitempty"`
		StartedOn    string `json:"startedOn,omitempty"`
		FinishedOn   string `json:"finishedOn,omitempty"`
	}
)

// Statement checks b and returns the in-toto Statement as compact JSON, with
// no trailing newline: the payload that [Envelope] signs.
func (b Build) Statement() ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	return marshal(b.statement())
}

// statement maps a checked Build onto the Statement.
func (b Build) statement() statement {
	subjects := slices.Clone(b.Subjects)
	slices.SortFunc(subjects, func(x, y Subject) int { return strings.Compare(x.Name, y.Name) })
	st := statement{Type: StatementType, PredicateType: PredicateType}
	for _, s := range subjects {
		st.Subject = append(st.Subject, descriptor{Name: s.Name, Digest: &digest{SHA256: s.SHA256}})
	}
	st.Predicate = predicate{
		BuildDefinition: buildDefinition{
			BuildType: b.buildType(),
			ExternalParameters: parameters{
				Config:  configRef{Path: b.Config, Digest: digest{SHA256: b.ConfigSHA256}},
				Version: b.Version,
			},
			ResolvedDependencies: b.dependencies(),
		},
		RunDetails: runDetails{Builder: builder{ID: b.BuilderID}, Metadata: b.metadata()},
	}
	return st
}

func (b Build) buildType() string {
	if b.BuildType == "" {
		return BuildTypeV1
	}
	return b.BuildType
}

// dependencies lists the source (when anything about it is known), then the
// Go toolchain.
func (b Build) dependencies() []descriptor {
	var deps []descriptor
	if b.SourceURI != "" || b.Commit != "" {
		src := descriptor{URI: b.SourceURI}
		if b.Commit != "" {
			src.Digest = &digest{GitCommit: b.Commit}
		}
		deps = append(deps, src)
	}
	return append(deps, descriptor{Name: "go", URI: "pkg:golang/stdlib@" + strings.TrimPrefix(b.GoVersion, "go")})
}

// metadata returns nil when there is nothing to say, so the field is left out.
func (b Build) metadata() *metadata {
	m := metadata{InvocationID: b.InvocationID}
	if !b.Date.IsZero() {
		m.StartedOn = b.Date.UTC().Format(time.RFC3339Nano)
		m.FinishedOn = m.StartedOn
	}
	if m == (metadata{}) {
		return nil
	}
	return &m
}

// marshal encodes v as compact JSON without HTML escaping and without the
// encoder's trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("provenance: encoding JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
