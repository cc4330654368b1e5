// Package sbom writes a CycloneDX 1.5 JSON software bill of materials for a
// Go binary from the build information the Go toolchain embeds in it (what
// `go version -m` prints): the main module, every dependency module with its
// version and go.sum hash, the Go version and the build settings.
//
// The document is deterministic: the serial number is derived from the
// binary's SHA-256 and the timestamp is given by the caller (the release
// date), never read from the clock.
package sbom

import (
	"crypto/sha1"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// Options describes the binary the SBOM is for.
type Options struct {
	// Name and Version name the application component.
	Name, Version string
	// OS and Arch are the binary's target.
	OS, Arch string
	// Date is the document timestamp.
	Date time.Time
	// Tool is the generator's name and version, e.g. "svcpack 1.0.0".
	Tool string
}

type hash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type component struct {
	Type       string     `json:"type"`
	BOMRef     string     `json:"bom-ref"`
	Name       string     `json:"name"`
	Version    string     `json:"version,omitempty"`
	PURL       string     `json:"purl,omitempty"`
	Hashes     []hash     `json:"hashes,omitempty"`
	Properties []property `json:"properties,omitempty"`
}

type dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn,omitempty"`
}

type document struct {
	BOMFormat    string `json:"bomFormat"`
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Version      int    `json:"version"`
	Metadata     struct {
		Timestamp string `json:"timestamp"`
		Tools     struct {
			Components []component `json:"components"`
		} `json:"tools"`
		Component component `json:"component"`
	} `json:"metadata"`
	Components   []component  `json:"components"`
	Dependencies []dependency `json:"dependencies"`
}

func purl(path, version string) string {
	if version == "" || version == "(devel)" {
		return "pkg:golang/" + path
	}
	return "pkg:golang/" + path + "@" + version
}

// Write reads the build information of the binary at path and writes its
// CycloneDX SBOM to w.
func Write(w io.Writer, path string, o Options) error {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("sbom: %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("sbom: %s: %w", path, err)
	}
	sum := h.Sum(nil)

	var d document
	d.BOMFormat, d.SpecVersion, d.Version = "CycloneDX", "1.5", 1
	d.SerialNumber = "urn:uuid:" + uuidFrom(sum)
	d.Metadata.Timestamp = o.Date.UTC().Format(time.RFC3339)
	d.Metadata.Tools.Components = []component{{Type: "application", BOMRef: "tool", Name: o.Tool}}
	app := component{
		Type: "application", BOMRef: purl(info.Main.Path, o.Version), Name: o.Name, Version: o.Version,
		PURL:   purl(info.Main.Path, o.Version),
		Hashes: []hash{{Alg: "SHA-256", Content: hex.EncodeToString(sum)}},
		Properties: []property{
			{Name: "go:main-module", Value: info.Main.Path},
			{Name: "go:package", Value: info.Path},
			{Name: "go:version", Value: info.GoVersion},
			{Name: "go:GOOS", Value: o.OS},
			{Name: "go:GOARCH", Value: o.Arch},
		},
	}
	for _, s := range info.Settings {
		app.Properties = append(app.Properties, property{Name: "go:build:" + s.Key, Value: s.Value})
	}
	d.Metadata.Component = app
	deps := dependency{Ref: app.BOMRef}
	mods := append([]*module(nil), toModules(info)...)
	sort.Slice(mods, func(i, j int) bool { return mods[i].path < mods[j].path })
	for _, m := range mods {
		c := component{Type: "library", BOMRef: purl(m.path, m.version), Name: m.path, Version: m.version, PURL: purl(m.path, m.version)}
		if m.sum != "" {
			c.Properties = append(c.Properties, property{Name: "go:module:sum", Value: m.sum})
		}
		if m.replacedBy != "" {
			c.Properties = append(c.Properties, property{Name: "go:module:replaced-by", Value: m.replacedBy})
		}
		d.Components = append(d.Components, c)
		deps.DependsOn = append(deps.DependsOn, c.BOMRef)
	}
	if d.Components == nil {
		d.Components = []component{}
	}
	d.Dependencies = []dependency{deps}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	return nil
}

type module struct{ path, version, sum, replacedBy string }

func toModules(info *buildinfo.BuildInfo) []*module {
	var out []*module
	for _, m := range info.Deps {
		dm := &module{path: m.Path, version: m.Version, sum: m.Sum}
		if m.Replace != nil {
			dm.replacedBy = m.Replace.Path + "@" + m.Replace.Version
			if m.Replace.Sum != "" {
				dm.sum = m.Replace.Sum
			}
		}
		out = append(out, dm)
	}
	return out
}

// uuidFrom makes a name-based (version 5 style) UUID from a digest.
func uuidFrom(digest []byte) string {
	h := sha1.Sum(digest)
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
