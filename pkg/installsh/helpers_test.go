package installsh_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/installsh"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

var date = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newKey makes a key pair with gpg, and returns it, a Signer of it and its
// fingerprint as gpg prints it.
func newKey(t *testing.T) (*testgpg.Key, *pgpsign.Signer, string) {
	t.Helper()
	k := testgpg.New(t, "ed25519", "")
	s, err := pgpsign.Load(k.SecretFile, "", date)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(k.Run(t, "--with-colons", "--fingerprint")) {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return k, s, f[9]
		}
	}
	t.Fatal("gpg printed no fingerprint")
	return nil, nil, ""
}

// publicKey is the signer's public key, binary.
func publicKey(t *testing.T, s *pgpsign.Signer) []byte {
	t.Helper()
	b, err := s.PublicKeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toolbox makes a folder to be the whole PATH: links to the named host
// programs (a missing one skips the test) and stub scripts (name: body of
// a #!/bin/sh script).
func toolbox(t *testing.T, links []string, stubs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range links {
		p := testtool.Need(t, name, name)
		if err := os.Symlink(p, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, script := range stubs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// baseTools are the programs the tarball path runs on any system, and
// touch, which the hostile values would run.
var baseTools = []string{"sh", "mktemp", "rm", "mkdir", "sed", "head", "tr", "awk", "base64", "cat", "cut",
	"tar", "gzip", "sha256sum", "dirname", "install", "chmod", "touch"}

// runScript runs the script with dash from dir with PATH=path and the
// extra environment, and returns what it printed.
func runScript(t *testing.T, script []byte, dir, path string, env []string, args ...string) (string, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "install.sh")
	if err := os.WriteFile(p, script, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testtool.Need(t, "dash", "dash"), append([]string{p}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + path, "TMPDIR=" + t.TempDir()}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// tarGz is a tarball of the files (name: content; names ending in the
// program's name or .sh are executable), as pkg/archive writes them.
func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var list []archive.File
	for name, data := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") || !strings.Contains(name, ".") {
			mode = 0o755
		}
		list = append(list, archive.File{Name: name, Mode: mode, Data: []byte(data)})
	}
	var b bytes.Buffer
	if err := archive.WriteTarGz(&b, list, date); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// release is a served release: files by request path (unescaped), and
// the paths requested.
type release struct {
	mu        sync.Mutex
	files     map[string][]byte
	requested []string
	srv       *httptest.Server
}

func serve(t *testing.T) *release {
	r := &release{files: map[string][]byte{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requested = append(r.requested, req.URL.Path)
		data, ok := r.files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *release) put(path string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[path] = data
}

// url is the server's URL of path.
func (r *release) url(path string) string { return r.srv.URL + path }

// publish serves a tarball under the file name and checksums.txt with
// its sum (or sum, when not empty), signed by signer.
func (r *release) publish(t *testing.T, dir, file string, tarball []byte, sum string, signer *pgpsign.Signer) {
	t.Helper()
	if sum == "" {
		sum = fmt.Sprintf("%x", sha256.Sum256(tarball))
	}
	sums := []byte(fmt.Sprintf("%x  other.zip\n%s  %s\n", sha256.Sum256([]byte("other")), sum, file))
	asc, err := signer.SignArmored(bytes.NewReader(sums))
	if err != nil {
		t.Fatal(err)
	}
	r.put(dir+file, tarball)
	r.put(dir+"checksums.txt", sums)
	r.put(dir+"checksums.txt.asc", asc)
}

// tarballScript is a script of tarballs only, downloaded from r under dir.
func tarballScript(t *testing.T, r *release, dir string, key []byte, fpr string, tarballs ...installsh.Tarball) []byte {
	t.Helper()
	s := installsh.Script{Name: "hello", Version: "1.0.0", Key: key, Fingerprint: fpr, Tarballs: tarballs,
		ChecksumsURL: r.url(dir + "checksums.txt"), SignatureURL: r.url(dir + "checksums.txt.asc")}
	return render(t, s)
}
