package oci

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Layout is a set of blobs by digest: what an OCI image layout holds. Add
// images and indexes to it, then write it with WriteArchive.
type Layout struct {
	blobs map[string][]byte
}

// NewLayout returns an empty layout.
func NewLayout() *Layout { return &Layout{blobs: map[string][]byte{}} }

// AddBlob stores data and returns its descriptor with the media type.
func (l *Layout) AddBlob(mediaType string, data []byte) Descriptor {
	d := digestOf(data)
	if _, ok := l.blobs[d]; !ok {
		l.blobs[d] = data
	}
	return Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

// Blob returns the content of the blob d names, checked against its digest
// and size.
func (l *Layout) Blob(d Descriptor) ([]byte, error) {
	b, ok := l.blobs[d.Digest]
	if !ok {
		return nil, fmt.Errorf("oci: blob %s is not in the layout", d.Digest)
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("oci: blob %s: %d bytes, the descriptor says %d", d.Digest, len(b), d.Size)
	}
	return b, nil
}

// decode reads the JSON blob d names into v.
func (l *Layout) decode(d Descriptor, v any) error {
	b, err := l.Blob(d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("oci: blob %s (%s): %w", d.Digest, d.MediaType, err)
	}
	return nil
}

// copyFrom copies the blob d names from another layout.
func (l *Layout) copyFrom(src *Layout, d Descriptor) error {
	b, err := src.Blob(d)
	if err != nil {
		return err
	}
	l.blobs[d.Digest] = b
	return nil
}

// Image is one platform's image to build: layers over a base image (or
// over nothing, scratch) and the configuration.
type Image struct {
	// Platform is the system it runs on.
	Platform Platform
	// Base is the image it builds on; nil for an empty base (scratch).
	Base *BaseImage
	// Layers are added over the base's, in order.
	Layers []Layer
	// Config is laid over the base's (see Config.merge): User, Entrypoint,
	// Cmd, WorkingDir, StopSignal replace the base's when set; Env, Labels,
	// ExposedPorts and Volumes are merged.
	Config Config
	// Created is the image's creation time, also every file's time.
	Created time.Time
	// Annotations are the manifest's.
	Annotations map[string]string
}

// Layer is one layer: files, and how it was made (for the history).
type Layer struct {
	// Files are the layer's entries; parent directories are added, owned by
	// root with mode 0755, unless listed.
	Files []File
	// CreatedBy says in the image's history what the layer holds.
	CreatedBy string
}

// File is one entry of a layer.
type File struct {
	// Name is the slash-separated path in the image, without a leading /.
	Name string
	// Mode holds the permission bits, and fs.ModeDir for a directory.
	Mode fs.FileMode
	// UID and GID own it (numeric: the image may have no user database).
	UID, GID int
	// Src is a host file to read the content from; Data the content when
	// Src is empty.
	Src  string
	Data []byte
}

// AddImage builds img's layers, configuration and manifest into the layout
// and returns the manifest's descriptor, with the platform set.
func (l *Layout) AddImage(img Image) (Descriptor, error) {
	if img.Platform.OS == "" || img.Platform.Architecture == "" {
		return Descriptor{}, errors.New("oci: an image needs a platform (os and architecture)")
	}
	if err := img.Config.check(); err != nil {
		return Descriptor{}, err
	}
	created := img.Created.UTC().Truncate(time.Second)
	cfg := ConfigFile{
		Architecture: img.Platform.Architecture, OS: img.Platform.OS, Variant: img.Platform.Variant,
		RootFS: RootFS{Type: "layers"},
	}
	var layers []Descriptor
	if b := img.Base; b != nil {
		if b.Config.OS != img.Platform.OS || b.Config.Architecture != img.Platform.Architecture {
			return Descriptor{}, fmt.Errorf("oci: the base image %s is for %s/%s, not %s", b.Digest, b.Config.OS, b.Config.Architecture, img.Platform)
		}
		for _, d := range b.Manifest.Layers {
			if err := l.copyFrom(b.layout, d); err != nil {
				return Descriptor{}, fmt.Errorf("oci: base image layer: %w", err)
			}
		}
		layers = slices.Clone(b.Manifest.Layers)
		cfg.Config = b.Config.Config
		cfg.RootFS.DiffIDs = slices.Clone(b.Config.RootFS.DiffIDs)
		cfg.History = slices.Clone(b.Config.History)
	}
	cfg.Config = img.Config.merge(cfg.Config)
	cfg.Created = created.Format(time.RFC3339)
	for i, ly := range img.Layers {
		blob, diffID, err := layerBlob(ly.Files, created, img.Base == nil)
		if err != nil {
			return Descriptor{}, fmt.Errorf("oci: layer %d (%s): %w", i+1, ly.CreatedBy, err)
		}
		layers = append(layers, l.AddBlob(MediaTypeLayerGzip, blob))
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diffID)
		cfg.History = append(cfg.History, History{Created: cfg.Created, CreatedBy: ly.CreatedBy})
	}
	if len(layers) == 0 {
		return Descriptor{}, errors.New("oci: an image needs at least one layer")
	}
	cb, err := marshal(cfg)
	if err != nil {
		return Descriptor{}, err
	}
	m := Manifest{SchemaVersion: 2, MediaType: MediaTypeManifest, Config: l.AddBlob(MediaTypeConfig, cb), Layers: layers, Annotations: img.Annotations}
	if img.Base != nil {
		m.Annotations = mergeMap(m.Annotations, map[string]string{AnnotationBaseDigest: img.Base.Digest})
	}
	mb, err := marshal(m)
	if err != nil {
		return Descriptor{}, err
	}
	d := l.AddBlob(MediaTypeManifest, mb)
	p := img.Platform
	d.Platform = &p
	return d, nil
}

// AddIndex adds an image index over manifests (descriptors with their
// platforms, as AddImage returns them) and returns its descriptor. Two
// manifests for one platform are an error.
func (l *Layout) AddIndex(manifests []Descriptor, annotations map[string]string) (Descriptor, error) {
	seen := map[string]bool{}
	for _, m := range manifests {
		if m.Platform == nil {
			return Descriptor{}, fmt.Errorf("oci: manifest %s has no platform", m.Digest)
		}
		if seen[m.Platform.String()] {
			return Descriptor{}, fmt.Errorf("oci: two images for %s in one index", m.Platform)
		}
		seen[m.Platform.String()] = true
		if _, ok := l.blobs[m.Digest]; !ok {
			return Descriptor{}, fmt.Errorf("oci: manifest %s is not in the layout", m.Digest)
		}
	}
	b, err := marshal(Index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: manifests, Annotations: annotations})
	if err != nil {
		return Descriptor{}, err
	}
	return l.AddBlob(MediaTypeIndex, b), nil
}

// CopyImage copies the manifest d names, its configuration and layers from
// src into l.
func (l *Layout) CopyImage(src *Layout, d Descriptor) error {
	var m Manifest
	if err := src.decode(d, &m); err != nil {
		return err
	}
	for _, b := range append([]Descriptor{d, m.Config}, m.Layers...) {
		if err := l.copyFrom(src, b); err != nil {
			return err
		}
	}
	return nil
}

// WriteArchive writes the layout as an OCI image layout archive (a tar of
// oci-layout, index.json and blobs/sha256/*) whose index.json lists refs,
// the layout's entry points (each tagged with AnnotationRefName by the
// caller). Only blobs reachable from refs are written; entries are sorted,
// dated mtime and owned by root (uid 0).
func (l *Layout) WriteArchive(w io.Writer, refs []Descriptor, mtime time.Time) error {
	reach := map[string]bool{}
	for _, d := range refs {
		if err := l.walk(d, reach); err != nil {
			return err
		}
	}
	index, err := marshal(Index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: refs})
	if err != nil {
		return err
	}
	mtime = mtime.UTC().Truncate(time.Second)
	tw := tar.NewWriter(w)
	hdr := func(name string, typ byte, mode int64, size int64) *tar.Header {
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, Size: size, ModTime: mtime, Format: tar.FormatUSTAR}
	}
	file := func(name string, data []byte) error {
		if err := tw.WriteHeader(hdr(name, tar.TypeReg, 0o644, int64(len(data)))); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(hdr(d, tar.TypeDir, 0o755, 0)); err != nil {
			return err
		}
	}
	for _, d := range slices.Sorted(maps.Keys(reach)) {
		if err := file("blobs/sha256/"+strings.TrimPrefix(d, "sha256:"), l.blobs[d]); err != nil {
			return err
		}
	}
	if err := file("index.json", index); err != nil {
		return err
	}
	if err := file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	return tw.Close()
}

// walk marks the blob d names and every blob it points at, each once (an
// index may name a child many times).
func (l *Layout) walk(d Descriptor, reach map[string]bool) error {
	if reach[d.Digest] {
		return nil
	}
	if _, err := l.Blob(d); err != nil {
		return err
	}
	reach[d.Digest] = true
	switch d.MediaType {
	case MediaTypeIndex:
		var idx Index
		if err := l.decode(d, &idx); err != nil {
			return err
		}
		for _, m := range idx.Manifests {
			if err := l.walk(m, reach); err != nil {
				return err
			}
		}
	case MediaTypeManifest:
		var m Manifest
		if err := l.decode(d, &m); err != nil {
			return err
		}
		for _, b := range append([]Descriptor{m.Config}, m.Layers...) {
			if err := l.walk(b, reach); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open reads an OCI image layout from a directory or an archive (a tar of
// one), checking every blob against its digest, and returns it with its
// index.json.
func Open(p string) (*Layout, Index, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, Index{}, fmt.Errorf("oci: %w", err)
	}
	files := map[string][]byte{}
	if st.IsDir() {
		err = readDir(p, files)
	} else {
		err = readTar(p, files)
	}
	if err != nil {
		return nil, Index{}, fmt.Errorf("oci: %s: %w", p, err)
	}
	layoutFile, ok := files["oci-layout"]
	if !ok {
		return nil, Index{}, fmt.Errorf("oci: %s is not an OCI image layout: it has no oci-layout file", p)
	}
	var lv struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(layoutFile, &lv); err != nil || lv.Version != "1.0.0" {
		return nil, Index{}, fmt.Errorf("oci: %s: oci-layout: want imageLayoutVersion 1.0.0 (%v)", p, err)
	}
	var idx Index
	if err := json.Unmarshal(files["index.json"], &idx); err != nil {
		return nil, Index{}, fmt.Errorf("oci: %s: index.json: %w", p, err)
	}
	l := NewLayout()
	for name, data := range files {
		hexd, ok := strings.CutPrefix(name, "blobs/sha256/")
		if !ok {
			continue
		}
		d := "sha256:" + hexd
		if !digestRE.MatchString(d) || digestOf(data) != d {
			return nil, Index{}, fmt.Errorf("oci: %s: blob %s does not have its digest", p, name)
		}
		l.blobs[d] = data
	}
	return l, idx, nil
}

// layoutFile reports whether name (slash-separated, relative to the
// layout) is one of the files Open reads: oci-layout, index.json and the
// sha256 blobs. Nothing else is read, however large.
func layoutFile(name string) bool {
	hexd, blob := strings.CutPrefix(name, "blobs/sha256/")
	return name == "oci-layout" || name == "index.json" || blob && digestRE.MatchString("sha256:"+hexd)
}

// readDir reads a layout directory's files. They must be regular files: a
// symbolic link (to /dev/zero, say) is refused, not followed.
func readDir(dir string, files map[string][]byte) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !layoutFile(rel) {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%s)", rel, d.Type())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = b
		return nil
	})
}

// readTar reads a layout archive's files. A sparse entry, which a few
// bytes of archive can make gigabytes long, is refused.
func readTar(file string, files map[string][]byte) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not a tar archive of an OCI image layout: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if !layoutFile(name) {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s is not a regular file in the archive (type %q)", name, h.Typeflag)
		}
		for k := range h.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return fmt.Errorf("%s is a sparse file in the archive", name)
			}
		}
		var b bytes.Buffer
		if _, err := io.Copy(&b, tr); err != nil {
			return err
		}
		files[name] = b.Bytes()
	}
}
