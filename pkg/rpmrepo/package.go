package rpmrepo

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Tags of the main header (rpm's tags.md) and of the signature header.
const (
	tagName           = 1000
	tagVersion        = 1001
	tagRelease        = 1002
	tagEpoch          = 1003
	tagSummary        = 1004
	tagDescription    = 1005
	tagBuildTime      = 1006
	tagBuildHost      = 1007
	tagSize           = 1009
	tagVendor         = 1011
	tagLicense        = 1014
	tagPackager       = 1015
	tagGroup          = 1016
	tagURL            = 1020
	tagArch           = 1022
	tagOldFileNames   = 1027
	tagFileModes      = 1030
	tagFileFlags      = 1037
	tagSourceRPM      = 1044
	tagArchiveSize    = 1046
	tagChangelogTime  = 1080
	tagChangelogName  = 1081
	tagChangelogText  = 1082
	tagDirIndexes     = 1116
	tagBaseNames      = 1117
	tagDirNames       = 1118
	tagLongSize       = 5009
	sigTagPayloadSize = 1007
	sigTagLongArchive = 271
)

// Dependency flags.
const (
	senseMask    = 0x0f
	sensePrereq  = 1 << 6
	senseScripts = 1<<9 | 1<<10 // %pre, %post
	fileGhost    = 1 << 6
	modeTypeMask = 0o170000
	modeDir      = 0o040000
)

// depKind is one kind of dependency: its element name and its tags.
type depKind struct {
	element          string
	name, flags, ver uint32
}

// depKinds are in the order primary.xml lists them.
var depKinds = []depKind{
	{"provides", 1047, 1112, 1113},
	{"requires", 1049, 1048, 1050},
	{"conflicts", 1054, 1053, 1055},
	{"obsoletes", 1090, 1114, 1115},
	{"suggests", 5049, 5051, 5050},
	{"enhances", 5055, 5057, 5056},
	{"recommends", 5046, 5048, 5047},
	{"supplements", 5052, 5054, 5053},
}

// pkg is one rpm as the metadata describes it.
type pkg struct {
	file, href, checksum                    string
	size                                    int64
	name, arch, epoch, version, release     string
	summary, description, packager, url     string
	license, vendor, group, host, sourceRPM string
	buildTime, installed, archive           int64
	headerStart, headerEnd                  int64
	deps                                    map[string][]dep
	files                                   []file
	changelogs                              []changelog
}

type dep struct {
	name, flags, epoch, ver, rel string
	pre                          bool
}

type file struct {
	path, kind string // kind: "", "dir" or "ghost"
}

type changelog struct {
	author, text string
	date         int64
}

// readRPM reads the rpm at path, listed in the repository at href.
func readRPM(path, href string) (*pkg, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sig, main, start, end, err := readHeaders(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	hash := sha256.New()
	size, err := io.Copy(hash, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &pkg{file: path, href: href, checksum: hex.EncodeToString(hash.Sum(nil)), size: size,
		headerStart: start, headerEnd: end}
	if err := p.fill(sig, main); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// fill reads the package's fields from its headers.
func (p *pkg) fill(sig, h *header) error {
	var errs []error
	str := func(tag uint32) string {
		s, err := h.string(tag)
		errs = append(errs, err)
		return s
	}
	num := func(hd *header, tags ...uint32) int64 {
		for _, tag := range tags {
			v, ok, err := hd.int(tag)
			errs = append(errs, err)
			if ok {
				return v
			}
		}
		return 0
	}
	p.name, p.arch, p.version, p.release = str(tagName), str(tagArch), str(tagVersion), str(tagRelease)
	p.summary, p.description, p.packager, p.url = str(tagSummary), str(tagDescription), str(tagPackager), str(tagURL)
	p.license, p.vendor, p.group = str(tagLicense), str(tagVendor), str(tagGroup)
	p.host, p.sourceRPM = str(tagBuildHost), str(tagSourceRPM)
	p.epoch = strconv.FormatInt(num(h, tagEpoch), 10)
	p.buildTime = num(h, tagBuildTime)
	p.installed = num(h, tagLongSize, tagSize)
	p.archive = num(sig, sigTagLongArchive, sigTagPayloadSize)
	if p.archive == 0 {
		p.archive = num(h, tagArchiveSize)
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if p.name == "" || p.version == "" || p.arch == "" {
		return fmt.Errorf("the header has no name, version or arch")
	}
	if p.sourceRPM == "" {
		p.arch = "src" // a source rpm names no source rpm of its own
	}
	var err error
	if p.deps, err = readDeps(h); err != nil {
		return err
	}
	if p.files, err = readFiles(h); err != nil {
		return err
	}
	p.changelogs, err = readChangelogs(h)
	return err
}

func readDeps(h *header) (map[string][]dep, error) {
	out := map[string][]dep{}
	for _, k := range depKinds {
		names, err := h.strings(k.name)
		if err != nil {
			return nil, err
		}
		flags, err := h.ints(k.flags)
		if err != nil {
			return nil, err
		}
		vers, err := h.strings(k.ver)
		if err != nil {
			return nil, err
		}
		seen := map[dep]bool{}
		for i, name := range names {
			var f int64
			var v string
			if i < len(flags) {
				f = flags[i]
			}
			if i < len(vers) {
				v = vers[i]
			}
			if k.element == "requires" && strings.HasPrefix(name, "rpmlib(") {
				continue
			}
			d := newDep(name, f, v, k.element == "requires")
			if seen[d] {
				continue
			}
			seen[d] = true
			out[k.element] = append(out[k.element], d)
		}
	}
	return out, nil
}

// newDep makes an entry of name, its flags and its [epoch:]version[-release].
func newDep(name string, flags int64, evr string, requires bool) dep {
	d := dep{name: name, pre: requires && flags&(sensePrereq|senseScripts) != 0}
	d.flags = map[int64]string{2: "LT", 4: "GT", 8: "EQ", 10: "LE", 12: "GE"}[flags&senseMask]
	if evr == "" {
		return d
	}
	d.epoch = "0"
	if e, rest, ok := strings.Cut(evr, ":"); ok {
		d.epoch, evr = e, rest
	}
	d.ver = evr
	if i := strings.LastIndexByte(evr, '-'); i >= 0 {
		d.ver, d.rel = evr[:i], evr[i+1:]
	}
	return d
}

func readFiles(h *header) ([]file, error) {
	names, err := h.strings(tagOldFileNames)
	if err != nil {
		return nil, err
	}
	if names == nil {
		base, err := h.strings(tagBaseNames)
		if err != nil {
			return nil, err
		}
		dirs, err := h.strings(tagDirNames)
		if err != nil {
			return nil, err
		}
		index, err := h.ints(tagDirIndexes)
		if err != nil {
			return nil, err
		}
		if len(index) != len(base) {
			return nil, fmt.Errorf("%d file names and %d directory indexes", len(base), len(index))
		}
		for i, b := range base {
			if index[i] < 0 || index[i] >= int64(len(dirs)) {
				return nil, fmt.Errorf("file %q names directory %d of %d", b, index[i], len(dirs))
			}
			names = append(names, dirs[index[i]]+b)
		}
	}
	modes, err := h.ints(tagFileModes)
	if err != nil {
		return nil, err
	}
	flags, err := h.ints(tagFileFlags)
	if err != nil {
		return nil, err
	}
	files := make([]file, len(names))
	for i, n := range names {
		files[i].path = n
		switch {
		case i < len(modes) && modes[i]&modeTypeMask == modeDir:
			files[i].kind = "dir"
		case i < len(flags) && flags[i]&fileGhost != 0:
			files[i].kind = "ghost"
		}
	}
	return files, nil
}

// changelogLimit is how many changelog entries other.xml keeps, newest
// first in the header, as createrepo_c by default.
const changelogLimit = 10

func readChangelogs(h *header) ([]changelog, error) {
	times, err := h.ints(tagChangelogTime)
	if err != nil {
		return nil, err
	}
	names, err := h.strings(tagChangelogName)
	if err != nil {
		return nil, err
	}
	texts, err := h.strings(tagChangelogText)
	if err != nil {
		return nil, err
	}
	n := min(len(times), len(names), len(texts), changelogLimit)
	out := make([]changelog, n)
	for i := range n {
		out[i] = changelog{author: names[i], text: texts[i], date: times[i]}
	}
	// other.xml lists them oldest first.
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// primaryFile reports whether primary.xml lists the file too: the ones
// dependencies most often name (configuration and programs).
func primaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || strings.Contains(path, "bin/") || path == "/usr/lib/sendmail"
}
