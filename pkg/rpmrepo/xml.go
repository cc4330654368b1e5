package rpmrepo

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// The metadata's namespaces.
const (
	nsCommon    = "http://linux.duke.edu/metadata/common"
	nsRPM       = "http://linux.duke.edu/metadata/rpm"
	nsRepo      = "http://linux.duke.edu/metadata/repo"
	nsFilelists = "http://linux.duke.edu/metadata/filelists"
	nsOther     = "http://linux.duke.edu/metadata/other"
)

type xmlPrimary struct {
	XMLName  xml.Name            `xml:"metadata"`
	NS       string              `xml:"xmlns,attr"`
	RPMNS    string              `xml:"xmlns:rpm,attr"`
	Count    int                 `xml:"packages,attr"`
	Packages []xmlPrimaryPackage `xml:"package"`
}

type xmlPrimaryPackage struct {
	Type        string      `xml:"type,attr"`
	Name        string      `xml:"name"`
	Arch        string      `xml:"arch"`
	Version     xmlVersion  `xml:"version"`
	Checksum    xmlChecksum `xml:"checksum"`
	Summary     string      `xml:"summary"`
	Description string      `xml:"description"`
	Packager    string      `xml:"packager"`
	URL         string      `xml:"url"`
	Time        struct {
		File  int64 `xml:"file,attr"`
		Build int64 `xml:"build,attr"`
	} `xml:"time"`
	Size struct {
		Package   int64 `xml:"package,attr"`
		Installed int64 `xml:"installed,attr"`
		Archive   int64 `xml:"archive,attr"`
	} `xml:"size"`
	Location xmlLocation `xml:"location"`
	Format   xmlFormat   `xml:"format"`
}

type xmlVersion struct {
	Epoch   string `xml:"epoch,attr"`
	Ver     string `xml:"ver,attr"`
	Release string `xml:"rel,attr"`
}

type xmlChecksum struct {
	Type  string `xml:"type,attr"`
	PkgID string `xml:"pkgid,attr,omitempty"`
	Value string `xml:",chardata"`
}

type xmlLocation struct {
	Href string `xml:"href,attr"`
}

type xmlFormat struct {
	License     string `xml:"rpm:license"`
	Vendor      string `xml:"rpm:vendor"`
	Group       string `xml:"rpm:group"`
	BuildHost   string `xml:"rpm:buildhost"`
	SourceRPM   string `xml:"rpm:sourcerpm"`
	HeaderRange struct {
		Start int64 `xml:"start,attr"`
		End   int64 `xml:"end,attr"`
	} `xml:"rpm:header-range"`
	Provides    *xmlDeps  `xml:"rpm:provides"`
	Requires    *xmlDeps  `xml:"rpm:requires"`
	Conflicts   *xmlDeps  `xml:"rpm:conflicts"`
	Obsoletes   *xmlDeps  `xml:"rpm:obsoletes"`
	Suggests    *xmlDeps  `xml:"rpm:suggests"`
	Enhances    *xmlDeps  `xml:"rpm:enhances"`
	Recommends  *xmlDeps  `xml:"rpm:recommends"`
	Supplements *xmlDeps  `xml:"rpm:supplements"`
	Files       []xmlFile `xml:"file"`
}

type xmlDeps struct {
	Entries []xmlEntry `xml:"rpm:entry"`
}

type xmlEntry struct {
	Name  string `xml:"name,attr"`
	Flags string `xml:"flags,attr,omitempty"`
	Epoch string `xml:"epoch,attr,omitempty"`
	Ver   string `xml:"ver,attr,omitempty"`
	Rel   string `xml:"rel,attr,omitempty"`
	Pre   string `xml:"pre,attr,omitempty"`
}

type xmlFile struct {
	Type string `xml:"type,attr,omitempty"`
	Path string `xml:",chardata"`
}

type xmlFilelists struct {
	XMLName  xml.Name             `xml:"filelists"`
	NS       string               `xml:"xmlns,attr"`
	Count    int                  `xml:"packages,attr"`
	Packages []xmlFilelistPackage `xml:"package"`
}

type xmlFilelistPackage struct {
	PkgID   string     `xml:"pkgid,attr"`
	Name    string     `xml:"name,attr"`
	Arch    string     `xml:"arch,attr"`
	Version xmlVersion `xml:"version"`
	Files   []xmlFile  `xml:"file"`
}

type xmlOther struct {
	XMLName  xml.Name          `xml:"otherdata"`
	NS       string            `xml:"xmlns,attr"`
	Count    int               `xml:"packages,attr"`
	Packages []xmlOtherPackage `xml:"package"`
}

type xmlOtherPackage struct {
	PkgID      string         `xml:"pkgid,attr"`
	Name       string         `xml:"name,attr"`
	Arch       string         `xml:"arch,attr"`
	Version    xmlVersion     `xml:"version"`
	Changelogs []xmlChangelog `xml:"changelog"`
}

type xmlChangelog struct {
	Author string `xml:"author,attr"`
	Date   int64  `xml:"date,attr"`
	Text   string `xml:",chardata"`
}

type xmlRepomd struct {
	XMLName  xml.Name  `xml:"repomd"`
	NS       string    `xml:"xmlns,attr"`
	RPMNS    string    `xml:"xmlns:rpm,attr"`
	Revision string    `xml:"revision"`
	Data     []xmlData `xml:"data"`
}

type xmlData struct {
	Type         string      `xml:"type,attr"`
	Checksum     xmlChecksum `xml:"checksum"`
	OpenChecksum xmlChecksum `xml:"open-checksum"`
	Location     xmlLocation `xml:"location"`
	Timestamp    int64       `xml:"timestamp"`
	Size         int64       `xml:"size"`
	OpenSize     int64       `xml:"open-size"`
}

// marshal writes v as an indented XML document.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	e := xml.NewEncoder(&b)
	e.Indent("", "  ")
	if err := e.Encode(v); err != nil {
		return nil, fmt.Errorf("rpmrepo: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func (p *pkg) xmlVersion() xmlVersion {
	return xmlVersion{Epoch: p.epoch, Ver: p.version, Release: p.release}
}

func (p *pkg) primary(fileTime int64) xmlPrimaryPackage {
	x := xmlPrimaryPackage{
		Type: "rpm", Name: p.name, Arch: p.arch, Version: p.xmlVersion(),
		Checksum: xmlChecksum{Type: "sha256", PkgID: "YES", Value: p.checksum},
		Summary:  p.summary, Description: p.description, Packager: p.packager, URL: p.url,
		Location: xmlLocation{Href: p.href},
	}
	x.Time.File, x.Time.Build = fileTime, p.buildTime
	x.Size.Package, x.Size.Installed, x.Size.Archive = p.size, p.installed, p.archive
	f := &x.Format
	f.License, f.Vendor, f.Group, f.BuildHost, f.SourceRPM = p.license, p.vendor, p.group, p.host, p.sourceRPM
	f.HeaderRange.Start, f.HeaderRange.End = p.headerStart, p.headerEnd
	lists := map[string]**xmlDeps{
		"provides": &f.Provides, "requires": &f.Requires, "conflicts": &f.Conflicts, "obsoletes": &f.Obsoletes,
		"suggests": &f.Suggests, "enhances": &f.Enhances, "recommends": &f.Recommends, "supplements": &f.Supplements,
	}
	for kind, deps := range p.deps {
		list := &xmlDeps{}
		for _, d := range deps {
			e := xmlEntry{Name: d.name, Flags: d.flags, Epoch: d.epoch, Ver: d.ver, Rel: d.rel}
			if d.pre {
				e.Pre = "1"
			}
			list.Entries = append(list.Entries, e)
		}
		*lists[kind] = list
	}
	for _, fl := range p.files {
		if primaryFile(fl.path) {
			f.Files = append(f.Files, xmlFile{Type: fl.kind, Path: fl.path})
		}
	}
	return x
}

func (p *pkg) filelist() xmlFilelistPackage {
	x := xmlFilelistPackage{PkgID: p.checksum, Name: p.name, Arch: p.arch, Version: p.xmlVersion()}
	for _, f := range p.files {
		x.Files = append(x.Files, xmlFile{Type: f.kind, Path: f.path})
	}
	return x
}

func (p *pkg) other() xmlOtherPackage {
	x := xmlOtherPackage{PkgID: p.checksum, Name: p.name, Arch: p.arch, Version: p.xmlVersion()}
	for _, c := range p.changelogs {
		x.Changelogs = append(x.Changelogs, xmlChangelog{Author: c.author, Date: c.date, Text: c.text})
	}
	return x
}

// revision is repomd's revision for a release date.
func revision(unix int64) string { return strconv.FormatInt(unix, 10) }
