// Package nupkgtest checks a .nupkg the way the tests of svcpack's
// Chocolatey packages need: as a zip, read by Info-ZIP's unzip; as an Open
// Packaging Conventions package (content types for every part, the package
// relationships to the manifest and core properties); every XML part
// well-formed and the nuspec valid against an XSD by xmllint; and the
// layout NuGet and Chocolatey expect (one nuspec at the root, named after
// the id, <id>.<version>.nupkg, the install script under tools/).
package nupkgtest

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// Nuspec is what a test reads of the nuspec.
type Nuspec struct {
	// Metadata is the nuspec's metadata element.
	Metadata struct {
		ID          string `xml:"id"`
		Version     string `xml:"version"`
		Title       string `xml:"title"`
		Authors     string `xml:"authors"`
		Description string `xml:"description"`
		Summary     string `xml:"summary"`
		Copyright   string `xml:"copyright"`
		Tags        string `xml:"tags"`
		ProjectURL  string `xml:"projectUrl"`
		License     struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"license"`
	} `xml:"metadata"`
}

// Check runs every check on the .nupkg at file, validating its nuspec
// against xsd (a nuspec.xsd whose {0} stands for namespace), and returns
// its parts by name and its nuspec.
func Check(t *testing.T, file, xsd, namespace string) (map[string][]byte, Nuspec) {
	t.Helper()
	unzip := testtool.Need(t, "unzip", "unzip")
	xmllint := testtool.Need(t, "xmllint", "libxml2-utils")
	run := func(name string, args ...string) []byte {
		t.Helper()
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return out
	}
	run(unzip, "-tq", file)
	names := strings.Split(strings.TrimSpace(string(run(unzip, "-Z1", file))), "\n")
	parts := map[string][]byte{}
	lower := map[string]bool{}
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			t.Errorf("%s holds a folder entry %q: OPC packages hold parts only", filepath.Base(file), n)
			continue
		}
		if lower[strings.ToLower(n)] {
			t.Errorf("two parts named %q (OPC part names ignore case)", n)
		}
		lower[strings.ToLower(n)] = true
		// unzip reads its arguments as wildcards: [ starts a set.
		parts[n] = run(unzip, "-p", file, strings.ReplaceAll(n, "[", "[[]"))
	}

	// Content types: every part but [Content_Types].xml has its
	// extension's default, or an override.
	var types struct {
		Defaults []struct {
			Extension   string `xml:"Extension,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Default"`
		Overrides []struct {
			PartName string `xml:"PartName,attr"`
		} `xml:"Override"`
	}
	decode(t, parts, "[Content_Types].xml", "http://schemas.openxmlformats.org/package/2006/content-types", "Types", &types)
	for n := range parts {
		if n == "[Content_Types].xml" {
			continue
		}
		ext := strings.TrimPrefix(path.Ext(n), ".")
		ok := slices.ContainsFunc(types.Defaults, func(d struct {
			Extension   string `xml:"Extension,attr"`
			ContentType string `xml:"ContentType,attr"`
		}) bool {
			return strings.EqualFold(d.Extension, ext) && d.ContentType != ""
		}) || slices.ContainsFunc(types.Overrides, func(o struct {
			PartName string `xml:"PartName,attr"`
		}) bool {
			return strings.EqualFold(o.PartName, "/"+n)
		})
		if !ok {
			t.Errorf("part %s has no content type in [Content_Types].xml", n)
		}
	}

	// Relationships: the manifest and the core properties, both present.
	var rels struct {
		Rels []struct {
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
			ID     string `xml:"Id,attr"`
		} `xml:"Relationship"`
	}
	decode(t, parts, "_rels/.rels", "http://schemas.openxmlformats.org/package/2006/relationships", "Relationships", &rels)
	targets := map[string]string{}
	ids := map[string]bool{}
	for _, r := range rels.Rels {
		targets[r.Type] = strings.TrimPrefix(r.Target, "/")
		if r.ID == "" || ids[r.ID] {
			t.Errorf("relationship %+v: its Id is empty or not unique", r)
		}
		ids[r.ID] = true
		if _, ok := parts[strings.TrimPrefix(r.Target, "/")]; !ok {
			t.Errorf("relationship %s targets %s, which the package lacks", r.Type, r.Target)
		}
	}
	manifest := targets["http://schemas.microsoft.com/packaging/2010/07/manifest"]
	if manifest == "" {
		t.Fatal("_rels/.rels names no manifest")
	}
	if targets["http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"] == "" {
		t.Error("_rels/.rels names no core properties")
	}

	// Layout: one nuspec, at the root, the manifest; the scripts.
	var nuspecs []string
	for n := range parts {
		if strings.HasSuffix(strings.ToLower(n), ".nuspec") {
			nuspecs = append(nuspecs, n)
		}
	}
	if len(nuspecs) != 1 || nuspecs[0] != manifest || strings.Contains(manifest, "/") {
		t.Errorf("nuspecs %v, manifest %s: want one, at the root, the manifest", nuspecs, manifest)
	}
	if !lower["tools/chocolateyinstall.ps1"] {
		t.Error("no tools/chocolateyInstall.ps1")
	}

	// XML: every XML part well-formed; the nuspec valid.
	dir := t.TempDir()
	for n, data := range parts {
		switch path.Ext(n) {
		case ".xml", ".rels", ".nuspec", ".psmdcp":
			f := filepath.Join(dir, strings.NewReplacer("/", "_", "[", "", "]", "").Replace(n))
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(xmllint, "--noout", f).CombinedOutput(); err != nil {
				t.Errorf("xmllint: %s is not well-formed XML: %v\n%s", n, err, out)
			}
		}
	}
	schema, err := os.ReadFile(xsd)
	if err != nil {
		t.Fatal(err)
	}
	xsdFile := filepath.Join(dir, "nuspec.xsd")
	if err := os.WriteFile(xsdFile, []byte(strings.ReplaceAll(string(schema), "{0}", namespace)), 0o644); err != nil {
		t.Fatal(err)
	}
	nuspecFile := filepath.Join(dir, "package.nuspec")
	if err := os.WriteFile(nuspecFile, parts[manifest], 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", xsdFile, nuspecFile).CombinedOutput(); err != nil {
		t.Errorf("xmllint: the nuspec is not valid against %s: %v\n%s\n%s", xsd, err, out, parts[manifest])
	}
	var n Nuspec
	decode(t, parts, manifest, namespace, "package", &n)
	if want := n.Metadata.ID + "." + n.Metadata.Version + ".nupkg"; filepath.Base(file) != want {
		t.Errorf("the package is %s, its nuspec says %s", filepath.Base(file), want)
	}
	if manifest != n.Metadata.ID+".nuspec" {
		t.Errorf("the nuspec is %s, its id %s", manifest, n.Metadata.ID)
	}
	return parts, n
}

// decode reads the XML part name into v, requiring its root element's
// namespace and name.
func decode(t *testing.T, parts map[string][]byte, name, space, local string, v any) {
	t.Helper()
	data, ok := parts[name]
	if !ok {
		t.Fatalf("no %s", name)
	}
	var root struct{ XMLName xml.Name }
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if root.XMLName.Space != space || root.XMLName.Local != local {
		t.Errorf("%s: root element {%s}%s, want {%s}%s", name, root.XMLName.Space, root.XMLName.Local, space, local)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
