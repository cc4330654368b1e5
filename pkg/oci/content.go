package oci

import (
	"archive/zip"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"path"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// RootCertificates is a PEM bundle of the TLS root certificates Mozilla's
// NSS trusts, as the golang.org/x/crypto/x509roots/fallback module of this
// build carries them (so the same svcpack gives the same bundle anywhere).
// Roots NSS trusts only with constraints (certificates issued before a
// distrust date) are left out: a PEM bundle cannot say so, and Go would
// then trust them without the constraint.
func RootCertificates() []byte {
	var b bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
	}
	return b.Bytes()
}

// ZoneinfoFiles reads a zoneinfo.zip (the Go toolchain's
// $GOROOT/lib/time/zoneinfo.zip) into files under dir, mode 0644, owned by
// root: the layout /usr/share/zoneinfo has, where Go's time package looks
// first on Linux.
func ZoneinfoFiles(zipFile, dir string) ([]File, error) {
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		return nil, fmt.Errorf("oci: time zone data: %w", err)
	}
	defer zr.Close()
	var out []File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("oci: time zone data: %s: %w", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("oci: time zone data: %s: %w", f.Name, err)
		}
		out = append(out, File{Name: path.Join(dir, f.Name), Mode: 0o644, Data: data})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("oci: time zone data: %s holds no zones", zipFile)
	}
	return out, nil
}
