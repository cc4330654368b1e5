package rpmrepo

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// date is the release date of the test repositories.
var date = time.Unix(1700000000, 0).UTC()

// signingKey makes a gpg key and its signer.
func signingKey(t *testing.T) (*testgpg.Key, *pgpsign.Signer) {
	t.Helper()
	k := testgpg.New(t, "rsa2048", "")
	s, err := pgpsign.Load(k.SecretFile, "", date)
	if err != nil {
		t.Fatal(err)
	}
	return k, s
}

// writeRPM writes a signed rpm of hello at version into dir/packages and
// returns it as the repository lists it.
func writeRPM(t *testing.T, dir, version string, s linuxpkg.Signer) RPM {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho hello "+version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := linuxpkg.Options{
		Name: "hello", Version: version, Arch: "amd64", Maintainer: "Acme Corp <ops@example.com>",
		Vendor: "Acme Corp", Homepage: "https://example.com/hello", License: "MIT",
		Description: "Says hello <over> & \"HTTP\"", Binary: bin,
		Files:   []linuxpkg.File{{Src: bin, Dst: "config.yaml", Config: true}},
		Service: linuxpkg.Service{Name: "hello", Restart: "on-failure", RestartDelay: time.Second},
		Date:    date, Signer: s,
	}
	name, err := linuxpkg.FileName(o, "rpm")
	if err != nil {
		t.Fatal(err)
	}
	href := "packages/" + name
	path := filepath.Join(dir, filepath.FromSlash(href))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := linuxpkg.Package(o, "rpm", f); err != nil {
		t.Fatal(err)
	}
	return RPM{File: path, Href: href}
}

// writeRepo writes the metadata of rpms into dir.
func writeRepo(t *testing.T, dir string, rpms []RPM, o Options) []File {
	t.Helper()
	files, err := Metadata(rpms, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(f.Path)), f.Data)
	}
	return files
}

// grow grows the repository in prev by added, keeping keep versions, and
// writes the grown tree (the rpms copied, the metadata signed by s) into a
// new folder, which it returns.
func grow(t *testing.T, prev string, s *pgpsign.Signer, added []RPM, keep int) (string, error) {
	t.Helper()
	key, err := s.PublicKeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	rpms, err := Grow(prev, key, added, keep)
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	for _, r := range rpms {
		data, err := os.ReadFile(r.File)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, filepath.FromSlash(r.Href)), data)
	}
	writeRepo(t, dir, rpms, Options{Date: date, Signer: s})
	return dir, nil
}

// writeFile writes data at path, making its folder.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readTree returns every file under dir by slash path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
