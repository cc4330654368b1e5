package rpmrepo

import (
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
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}
