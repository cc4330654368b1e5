package provenance

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

// python returns Debian's python3 with securesystemslib and
// pyca/cryptography, or skips (fails under SVCPACK_REQUIRE_TOOLS=1).
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	const what = "python3 modules securesystemslib and cryptography (Debian packages python3-securesystemslib, " +
		"pulled in by in-toto, and python3-cryptography)"
	if _, err := os.Stat(py); err != nil {
		testtool.Missing(t, what)
	}
	if out, err := exec.Command(py, "-c", "import securesystemslib.signer, cryptography").CombinedOutput(); err != nil {
		testtool.Missing(t, what+": "+strings.TrimSpace(string(out)))
	}
	return py
}

// witness runs testdata/witness.py on an envelope and the public key, and
// returns what it printed, or the error and its message.
func witness(t *testing.T, py string, env []byte, pub crypto.PublicKey) (map[string]any, error) {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, envFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "hello.intoto.jsonl")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(envFile, env, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "witness.py"), envFile, keyFile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, &witnessError{err, stderr.String()}
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("witness output: %v\n%s", err, out)
	}
	return got, nil
}

type witnessError struct {
	err    error
	stderr string
}

func (e *witnessError) Error() string { return e.err.Error() + ": " + e.stderr }

// TestPythonWitness has an implementation nobody here wrote check each kind
// of envelope: Python computes the PAE from the DSSE specification and
// verifies the signature with securesystemslib's key API (Debian's version
// has no DSSE class), recomputes the key id, and checks the Statement's
// _type, predicateType, subject digests and the SLSA fields against the
// specifications; the Statement it read must equal ours. A changed signature
// and a wrong key must make it fail, so it is seen to be able to.
func TestPythonWitness(t *testing.T) {
	py := python(t)
	minimal := example()
	minimal.SourceURI, minimal.Commit, minimal.Date = "", "", time.Time{}
	minimal.InvocationID = "https://ci.example.com/run/42"
	for _, k := range keys() {
		for _, c := range []struct {
			name string
			b    Build
		}{{"full", example()}, {"minimal", minimal}} {
			b := c.b
			t.Run(k.name+"/"+c.name, func(t *testing.T) {
				env := seal(t, b, k.key)
				got, err := witness(t, py, env, k.key.Public())
				if err != nil {
					t.Fatalf("the witness rejects the envelope: %v\n%s", err, env)
				}
				if got["keyid"] != mustSigner(t, k.key).KeyID() {
					t.Errorf("witness key id %v, ours %s", got["keyid"], mustSigner(t, k.key).KeyID())
				}
				st, err := b.Statement()
				if err != nil {
					t.Fatal(err)
				}
				if want := decode(t, st); !reflect.DeepEqual(got["statement"], any(want)) {
					t.Errorf("witness read\n%v\nwant\n%v", got["statement"], want)
				}
			})
		}
	}
	t.Run("rejects", func(t *testing.T) {
		env := seal(t, example(), edKey)
		bad := edit(t, env, func(e *dsseEnvelope) { flip(t, &e.Signatures[0].Sig) })
		for name, tt := range map[string]struct {
			env []byte
			key crypto.PublicKey
		}{"changed signature": {append(bad, '\n'), edKey.Public()}, "wrong key": {env, rsaKey().Public()}} {
			_, err := witness(t, py, tt.env, tt.key)
			if err == nil || !strings.Contains(err.Error(), "UnverifiedSignatureError") {
				t.Errorf("%s: the witness said %v, want an UnverifiedSignatureError", name, err)
			}
		}
	})
}
