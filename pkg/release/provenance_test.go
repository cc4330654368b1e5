package release

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/provenance"
)

// TestProvenance: a release with a gpg key writes <name>_<version>.intoto.jsonl,
// a DSSE envelope that verifies with the key's public key, whose Statement's
// subjects are exactly checksums.txt's files with the SHA-256 of each file in
// dist/, whose config digest and version are the release's; svcpack verify
// finds it byte-identical across two releases (an RSA key, and an Ed25519
// key: both sign deterministically).
func TestProvenance(t *testing.T) {
	for _, algo := range []string{"rsa2048", "ed25519"} {
		t.Run(algo, func(t *testing.T) {
			k := testgpg.New(t, algo, "")
			yaml := fmt.Sprintf(repoYAML, "deb, tar.gz", fmt.Sprintf("gpg: {key_file: %q, sign: [checksums]}", k.SecretFile))
			c := helloProjectEnv(t, yaml, nil, "linux/amd64")
			res, err := Release(context.Background(), c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(res.Dist, ProvenanceName("hello", "1.4.2"))
			envelope, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := pgpsign.Load(k.SecretFile, "", c.Date)
			if err != nil {
				t.Fatal(err)
			}
			key, _ := signer.CryptoSigner()
			statement, err := provenance.Verify(envelope, key.Public())
			if err != nil {
				t.Fatalf("the provenance does not verify with the release key: %v", err)
			}
			var st struct {
				Subject []struct {
					Name   string            `json:"name"`
					Digest map[string]string `json:"digest"`
				} `json:"subject"`
				Predicate struct {
					BuildDefinition struct {
						ExternalParameters struct {
							Version string `json:"version"`
						} `json:"externalParameters"`
					} `json:"buildDefinition"`
				} `json:"predicate"`
			}
			if err := json.Unmarshal(statement, &st); err != nil {
				t.Fatal(err)
			}
			sums := map[string]string{}
			f, _ := os.Open(filepath.Join(res.Dist, "checksums.txt"))
			for sc := bufio.NewScanner(f); sc.Scan(); {
				sum, name, _ := strings.Cut(sc.Text(), "  ")
				sums[name] = sum
			}
			f.Close()
			if len(st.Subject) != len(sums) || len(sums) == 0 {
				t.Errorf("%d subjects, checksums.txt lists %d files", len(st.Subject), len(sums))
			}
			for _, sub := range st.Subject {
				b, err := os.ReadFile(filepath.Join(res.Dist, filepath.FromSlash(sub.Name)))
				got := sha256.Sum256(b)
				if err != nil || sub.Digest["sha256"] != hex.EncodeToString(got[:]) || sums[sub.Name] != sub.Digest["sha256"] {
					t.Errorf("subject %s: %v, digest %s", sub.Name, err, sub.Digest["sha256"])
				}
			}
			if v := st.Predicate.BuildDefinition.ExternalParameters.Version; v != "1.4.2" {
				t.Errorf("version %q", v)
			}
			diffs, err := Verify(context.Background(), c, Options{})
			if err != nil || len(diffs) != 0 {
				t.Errorf("verify: %v\n%s", err, FormatDifferences(diffs))
			}
		})
	}
}
