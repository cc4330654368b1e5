package msi

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Product describes the product an installer installs.
type Product struct {
	Name         string // ProductName, e.g. "Hello Service"
	Manufacturer string
	// Version is major.minor.build, at most 255.255.65535.
	Version string
	// UpgradeCode is the product family's fixed GUID.
	UpgradeCode string
	// URL is shown in Add/Remove Programs (optional).
	URL string
	// Arch is the Go architecture: "386", "amd64" or "arm64".
	Arch string
	// Language is the LCID; 0 means 1033 (English, United States).
	Language int
	// InstallDir is the directory under Program Files, e.g. `Acme\Hello`;
	// empty means Name.
	InstallDir string
	// Icon is the host path of a .ico file shown in Add/Remove Programs
	// (optional).
	Icon string
}

// File is a file installed into the install directory.
type File struct {
	Name string // long file name, no directories
	Src  string // host path of the content
}

// Service is a Windows service run from one of the package's files.
type Service struct {
	Name, DisplayName, Description string
	// Executable is the File.Name of the program; empty means the first
	// file whose name ends in .exe.
	Executable string
	Args       []string
	// Start is auto (default), delayed, manual or disabled.
	Start string
	// Account is LocalSystem (default), LocalService, NetworkService,
	// their NT AUTHORITY\ forms, or a virtual account NT SERVICE\<name>.
	Account string
	// Env is written to the service's Environment registry value.
	Env map[string]string
	// RestartDelay, when positive, makes the service manager restart the
	// service after each failure; ResetAfter resets the failure count.
	RestartDelay, ResetAfter time.Duration
}

// Folder is an empty folder created under the install directory (a log
// folder, for instance), left in place on uninstall while it holds files.
type Folder struct {
	// Path is relative to the install directory; \ or / separate segments.
	Path string
	// SDDL, when set, is the folder's security descriptor, applied with the
	// MsiLockPermissionsEx table (Windows Installer 5.0), e.g. to let a
	// service account write there: "D:PAI(A;OICI;FA;;;SY)...".
	SDDL string
}

// Package is everything an installer holds.
type Package struct {
	Product Product
	Files   []File
	// Folders are created under the install directory.
	Folders []Folder
	Service *Service // optional
	// Date is the creation time written to the summary information and
	// the cabinet (e.g. from SOURCE_DATE_EPOCH); zero leaves times out.
	Date time.Time
	// TempDir holds the temporary cabinet ("" for the system default).
	TempDir string
}

// Names used in the generated tables.
const (
	cabinetName      = "product.cab"
	installDirID     = "INSTALLDIR"
	featureID        = "Complete"
	upgradeProp      = "SVCPACK_UPGRADE_DETECTED"
	downgradeProp    = "SVCPACK_DOWNGRADE_DETECTED"
	iconID           = "product.ico"
	serviceDelayed   = "delayed"
	msiVersionNeeded = 500
)

// Validate reports the first problem that would keep p from becoming a
// valid package, naming the field, the bad value and what is valid.
func (p *Package) Validate() error {
	pr := &p.Product
	if strings.TrimSpace(pr.Name) == "" {
		return errors.New("msi: product name is empty")
	}
	if strings.TrimSpace(pr.Manufacturer) == "" {
		return errors.New("msi: product manufacturer is empty")
	}
	if _, err := parseVersion(pr.Version); err != nil {
		return err
	}
	if pr.UpgradeCode == "" {
		return errors.New("msi: upgrade code is missing: set a fixed GUID for the product family (svcpack init generates one)")
	}
	if _, err := parseGUID(pr.UpgradeCode); err != nil {
		return fmt.Errorf("msi: upgrade code: %w", err)
	}
	if _, ok := archTemplates[pr.Arch]; !ok {
		return fmt.Errorf("msi: architecture %q: want 386, amd64 or arm64", pr.Arch)
	}
	if pr.Language < 0 || pr.Language > 0xFFFF {
		return fmt.Errorf("msi: language %d: want an LCID such as 1033", pr.Language)
	}
	for _, seg := range installDirSegments(pr) {
		if err := checkLongName(seg); err != nil {
			return fmt.Errorf("msi: install_dir %q: %w", pr.InstallDir, err)
		}
	}
	if len(p.Files) == 0 {
		return errors.New("msi: no files to install")
	}
	seen := map[string]bool{}
	for _, f := range p.Files {
		if err := checkLongName(f.Name); err != nil {
			return fmt.Errorf("msi: file %q: %w", f.Name, err)
		}
		if seen[strings.ToLower(f.Name)] {
			return fmt.Errorf("msi: file %q listed twice (names are case-insensitive on Windows)", f.Name)
		}
		seen[strings.ToLower(f.Name)] = true
		if f.Src == "" {
			return fmt.Errorf("msi: file %q has no source path", f.Name)
		}
	}
	for _, s := range []string{pr.Name, pr.Manufacturer, pr.URL} {
		if _, err := encode1252(s); err != nil {
			return err
		}
	}
	for _, f := range p.Folders {
		segs := folderSegments(f.Path)
		if len(segs) == 0 {
			return fmt.Errorf("msi: folder %q: want a path relative to the install directory", f.Path)
		}
		for _, seg := range segs {
			if seg == "." || seg == ".." {
				return fmt.Errorf("msi: folder %q: want a path inside the install directory, without . or ..", f.Path)
			}
			if err := checkLongName(seg); err != nil {
				return fmt.Errorf("msi: folder %q: %w", f.Path, err)
			}
		}
		if f.SDDL != "" && (!strings.HasPrefix(f.SDDL, "D:") || strings.ContainsAny(f.SDDL, "[]{}")) {
			return fmt.Errorf("msi: folder %q: SDDL %q: want a DACL such as D:PAI(A;OICI;FA;;;SY), without [ ] { }", f.Path, f.SDDL)
		}
	}
	if s := p.Service; s != nil {
		if s.Name == "" || len(s.Name) > 256 || strings.ContainsAny(s.Name, `/\[]`) {
			return fmt.Errorf("msi: service name %q: want 1 to 256 characters without / \\ [ ]", s.Name)
		}
		if _, ok := startTypes[s.Start]; !ok {
			return fmt.Errorf("msi: service start %q: want auto, delayed, manual or disabled", s.Start)
		}
		if _, err := startName(s.Account); err != nil {
			return err
		}
		if _, err := serviceExe(p); err != nil {
			return err
		}
		if s.RestartDelay < 0 || s.RestartDelay > 24*time.Hour || s.ResetAfter < 0 {
			return fmt.Errorf("msi: service restart delay %s / reset %s out of range", s.RestartDelay, s.ResetAfter)
		}
		for k := range s.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fmt.Errorf("msi: service environment variable name %q is invalid", k)
			}
		}
	}
	return nil
}

var archTemplates = map[string]string{"386": "Intel", "amd64": "x64", "arm64": "Arm64"}

var startTypes = map[string]int{"": 2, "auto": 2, serviceDelayed: 2, "manual": 3, "disabled": 4}

// startName maps an account to the ServiceInstall.StartName value.
func startName(account string) (string, error) {
	switch strings.ToLower(account) {
	case "", "localsystem", `nt authority\system`:
		return "", nil // null means LocalSystem
	case "localservice", `nt authority\localservice`:
		return `NT AUTHORITY\LocalService`, nil
	case "networkservice", `nt authority\networkservice`:
		return `NT AUTHORITY\NetworkService`, nil
	}
	if name, ok := strings.CutPrefix(account, `NT SERVICE\`); ok && name != "" && !strings.ContainsAny(name, `\/[]`) {
		return account, nil
	}
	return "", fmt.Errorf("msi: service account %q cannot be expressed without a password: want LocalSystem, LocalService, NetworkService or NT SERVICE\\<name>", account)
}

func serviceExe(p *Package) (string, error) {
	s := p.Service
	for _, f := range p.Files {
		if s.Executable == "" && strings.HasSuffix(strings.ToLower(f.Name), ".exe") || s.Executable != "" && f.Name == s.Executable {
			return f.Name, nil
		}
	}
	if s.Executable == "" {
		return "", errors.New("msi: service has no executable: no file ends in .exe")
	}
	return "", fmt.Errorf("msi: service executable %q is not among the files", s.Executable)
}

// parseVersion checks a ProductVersion: two or three dot-separated
// numbers within 255.255.65535.
func parseVersion(v string) ([3]int, error) {
	var out [3]int
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, fmt.Errorf("msi: product version %q: want major.minor.build with numbers only (at most 255.255.65535)", v)
	}
	limits := [3]int{255, 255, 65535}
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || s == "" || strings.TrimLeft(s, "0123456789") != "" {
			return out, fmt.Errorf("msi: product version %q: %q is not a number (want major.minor.build, at most 255.255.65535)", v, s)
		}
		if n > limits[i] {
			return out, fmt.Errorf("msi: product version %q: field %d is %d, over the Windows Installer limit of %d (255.255.65535)", v, i+1, n, limits[i])
		}
		out[i] = n
	}
	return out, nil
}

// checkLongName checks a Windows long file name that MSI can hold.
func checkLongName(s string) error {
	switch {
	case s == "":
		return errors.New("empty name")
	case len(s) > 255:
		return errors.New("longer than 255 characters")
	case strings.ContainsAny(s, `\/:*?"<>|`):
		return errors.New(`contains one of \ / : * ? " < > | (MSI file names cannot hold them)`)
	case strings.HasSuffix(s, ".") || strings.HasSuffix(s, " "):
		return errors.New("ends in a dot or space")
	case s == "." || s == "..":
		return errors.New("is a relative path element")
	}
	for _, r := range s {
		if r < 0x20 {
			return errors.New("contains a control character")
		}
	}
	if _, err := encode1252(s); err != nil {
		return err
	}
	return nil
}

func installDirSegments(pr *Product) []string {
	d := pr.InstallDir
	if d == "" {
		d = pr.Name
	}
	return strings.Split(strings.Trim(strings.ReplaceAll(d, "/", `\`), `\`), `\`)
}

// parseGUID accepts a GUID with or without braces and returns its 16
// bytes in RFC 4122 (big-endian) order.
func parseGUID(s string) ([16]byte, error) {
	var g [16]byte
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return g, fmt.Errorf("%q is not a GUID like 6b2a1e7c-1234-4abc-8def-0123456789ab", s)
	}
	hex := strings.ReplaceAll(t, "-", "")
	for i := 0; i < 16; i++ {
		n, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return g, fmt.Errorf("%q is not a GUID like 6b2a1e7c-1234-4abc-8def-0123456789ab", s)
		}
		g[i] = byte(n)
	}
	return g, nil
}

// guidString formats a GUID the way MSI wants it: braced, upper case.
func guidString(g [16]byte) string {
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// uuidV5 derives a name-based (SHA-1, version 5) UUID as in RFC 4122.
func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0F | 0x50
	u[8] = u[8]&0x3F | 0x80
	return u
}

// escapeFormatted escapes the brackets of a literal in a Formatted column.
func escapeFormatted(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '[':
			b.WriteString(`[\[]`)
		case ']':
			b.WriteString(`[\]]`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quoteArg quotes one command-line argument by the rules of
// CommandLineToArgvW.
func quoteArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\"") {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for _, r := range a {
		switch r {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteRune(r)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// valid83 reports whether name is already a valid short (8.3) name.
func valid83(name string) bool {
	base, ext, dot := strings.Cut(name, ".")
	if len(base) == 0 || len(base) > 8 || len(ext) > 3 || (dot && (ext == "" || strings.Contains(ext, "."))) {
		return false
	}
	for _, r := range base + ext {
		if !short83Char(r) {
			return false
		}
	}
	return true
}

func short83Char(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_^$~!#%&-{}@`'()", r)
}

// defaultName returns the "short|long" form of a file or directory name
// for DefaultDir and FileName, generating a unique short name when the
// long name is not already 8.3. used holds the upper-cased short names
// taken in the same directory.
func defaultName(long string, used map[string]bool) string {
	if valid83(long) && !used[strings.ToUpper(long)] {
		used[strings.ToUpper(long)] = true
		return long
	}
	clean := func(s string, n int) string {
		var b strings.Builder
		for _, r := range strings.ToUpper(s) {
			if short83Char(r) && r != '~' && b.Len() < n {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	base, ext := long, ""
	if i := strings.LastIndex(long, "."); i > 0 {
		base, ext = long[:i], long[i+1:]
	}
	b, e := clean(base, 6), clean(ext, 3)
	if b == "" {
		b = "F"
	}
	for n := 1; ; n++ {
		suffix := "~" + strconv.Itoa(n)
		bb := b
		if len(bb)+len(suffix) > 8 {
			bb = bb[:8-len(suffix)]
		}
		short := bb + suffix
		if e != "" {
			short += "." + e
		}
		if !used[short] {
			used[short] = true
			return short + "|" + long
		}
	}
}

// identifier turns s into a unique MSI identifier with the given prefix.
func identifier(prefix, s string, used map[string]bool) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range s {
		if r < 0x80 && (r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" || !validIdentifier(id[:1]) {
		id = "_" + id
	}
	if len(id) > 60 {
		id = id[:60]
	}
	base := id
	for n := 2; used[id]; n++ {
		id = base + "_" + strconv.Itoa(n)
	}
	used[id] = true
	return id
}

// fileInfo is what Write learns about a payload file by reading it once.
type fileInfo struct {
	File
	key, component string
	size           int64
	md5            [16]byte
	sha256         [32]byte
}

func hashFile(f *fileInfo) error {
	r, err := os.Open(f.Src)
	if err != nil {
		return fmt.Errorf("msi: file %s: %w", f.Name, err)
	}
	defer r.Close()
	m, s := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(m, s), r)
	if err != nil {
		return fmt.Errorf("msi: file %s: reading %s: %w", f.Name, f.Src, err)
	}
	if n > 2147483647 {
		return fmt.Errorf("msi: file %s is %d bytes, over the 2 GiB MSI limit", f.Name, n)
	}
	f.size = n
	copy(f.md5[:], m.Sum(nil))
	copy(f.sha256[:], s.Sum(nil))
	return nil
}

// cabFile is one file of the embedded cabinet.
type cabFile struct {
	Name string // the File table key
	Src  string // host path
	Size int64
}

// cabinetFunc writes a cabinet holding files, in order, to w.
type cabinetFunc func(w io.Writer, files []cabFile, date time.Time, tempDir string) error

// Write validates p and writes it as an installer package to w.
func Write(w io.Writer, p Package) error {
	return writePackage(w, p, writeCabinet)
}

func writePackage(w io.Writer, p Package, cab cabinetFunc) error {
	if err := p.Validate(); err != nil {
		return err
	}
	files := make([]*fileInfo, len(p.Files))
	for i, f := range p.Files {
		files[i] = &fileInfo{File: f}
		if err := hashFile(files[i]); err != nil {
			return err
		}
	}
	db, err := buildDatabase(&p, files)
	if err != nil {
		return err
	}

	tmp, err := os.CreateTemp(p.TempDir, "svcpack-*.cab")
	if err != nil {
		return fmt.Errorf("msi: creating the cabinet: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	cf := make([]cabFile, len(files))
	for i, f := range files {
		cf[i] = cabFile{Name: f.key, Src: f.Src, Size: f.size}
	}
	if err := cab(tmp, cf, p.Date, p.TempDir); err != nil {
		return fmt.Errorf("msi: building the cabinet: %w", err)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("msi: cabinet: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("msi: cabinet: %w", err)
	}
	if err := db.AddStream(cabinetName, size, tmp); err != nil {
		return err
	}
	db.TempDir = p.TempDir
	return db.Write(w)
}

// productCode derives the product code: new for every version and
// architecture, as a major upgrade needs.
func productCode(upgrade [16]byte, arch, version string) string {
	return guidString(uuidV5(upgrade, "ProductCode\x00"+arch+"\x00"+version))
}

// packageCode derives the package code from everything that goes into the
// package: the configuration and the content digests of the files.
func packageCode(p *Package, files []*fileInfo, ns [16]byte) string {
	h := sha256.New()
	q := *p
	q.Files = nil
	q.Product.Icon = ""
	q.TempDir = ""
	fmt.Fprintf(h, "%#v\n", q.Product)
	if q.Service != nil {
		fmt.Fprintf(h, "%#v\n", *q.Service)
	}
	for _, f := range q.Folders {
		fmt.Fprintf(h, "folder %q %q\n", f.Path, f.SDDL)
	}
	fmt.Fprintf(h, "%d\n", q.Date.Unix())
	for _, f := range files {
		fmt.Fprintf(h, "%q %d %x\n", f.Name, f.size, f.sha256)
	}
	if p.Product.Icon != "" {
		if b, err := os.ReadFile(p.Product.Icon); err == nil {
			fmt.Fprintf(h, "icon %x\n", sha256.Sum256(b))
		}
	}
	return guidString(uuidV5(ns, fmt.Sprintf("PackageCode\x00%x", h.Sum(nil))))
}

// rowAdder collects the first error of a sequence of AddRow calls.
type rowAdder struct {
	db  *Database
	err error
}

func (a *rowAdder) add(table string, values ...any) {
	if a.err != nil {
		return
	}
	t, err := createStandardTable(a.db, table)
	if err == nil {
		err = t.AddRow(values...)
	}
	a.err = err
}

func buildDatabase(p *Package, files []*fileInfo) (*Database, error) {
	pr := &p.Product
	ver, _ := parseVersion(pr.Version)
	version := fmt.Sprintf("%d.%d.%d", ver[0], ver[1], ver[2])
	ns, _ := parseGUID(pr.UpgradeCode)
	upgradeCode := guidString(ns)
	lang := pr.Language
	if lang == 0 {
		lang = 1033
	}
	win64 := pr.Arch != "386"
	db := NewDatabase()
	a := &rowAdder{db: db}

	// Directories: TARGETDIR > Program Files > install_dir segments.
	pf := "ProgramFilesFolder"
	if win64 {
		pf = "ProgramFiles64Folder"
	}
	a.add("Directory", "TARGETDIR", nil, "SourceDir")
	a.add("Directory", pf, "TARGETDIR", ".")
	parent := pf
	segs := installDirSegments(pr)
	for i, seg := range segs {
		id := installDirID
		if i < len(segs)-1 {
			id = fmt.Sprintf("INSTALLDIR_%d", i+1)
		}
		a.add("Directory", id, parent, defaultName(seg, map[string]bool{}))
		parent = id
	}

	// One component per file, keyed by the file, with a GUID stable
	// across versions: UUIDv5(upgrade code, arch + component key).
	keys, shorts := map[string]bool{}, map[string]bool{}
	compAttr := 0
	if win64 {
		compAttr = 256 // msidbComponentAttributes64bit
	}
	var title any // Feature.Title holds at most 64 characters
	if len([]rune(pr.Name)) <= 64 {
		title = pr.Name
	}
	a.add("Feature", featureID, nil, title, nil, 1, 1, installDirID, 0)
	for i, f := range files {
		f.key = identifier("", f.Name, keys)
		f.component = identifier("C_", f.Name, keys)
		guid := guidString(uuidV5(ns, "Component\x00"+pr.Arch+"\x00"+f.component))
		a.add("Component", f.component, guid, installDirID, compAttr, nil, f.key)
		a.add("FeatureComponents", featureID, f.component)
		a.add("File", f.key, f.component, defaultName(f.Name, shorts), f.size, nil, nil, 512, i+1)
		part := func(j int) int { return int(int32(binary.LittleEndian.Uint32(f.md5[4*j:]))) }
		a.add("MsiFileHash", f.key, 0, part(0), part(1), part(2), part(3))
	}
	a.add("Media", 1, len(files), nil, "#"+cabinetName, nil, nil)
	folderSeq := addFolders(a, p, ns, compAttr, keys)

	// Properties.
	productCode := productCode(ns, pr.Arch, version)
	props := [][2]string{
		{"ProductCode", productCode},
		{"ProductName", pr.Name},
		{"ProductVersion", version},
		{"ProductLanguage", strconv.Itoa(lang)},
		{"Manufacturer", pr.Manufacturer},
		{"UpgradeCode", upgradeCode},
		{"ALLUSERS", "1"},
		{"ARPNOMODIFY", "1"},
		{"SecureCustomProperties", downgradeProp + ";" + upgradeProp},
	}
	if pr.URL != "" {
		props = append(props, [2]string{"ARPURLINFOABOUT", pr.URL}, [2]string{"ARPHELPLINK", pr.URL})
	}
	if pr.Icon != "" {
		data, err := os.ReadFile(pr.Icon)
		if err != nil {
			return nil, fmt.Errorf("msi: icon: %w", err)
		}
		if len(data) < 6 || binary.LittleEndian.Uint32(data) != 0x00010000 {
			return nil, fmt.Errorf("msi: icon %s is not a .ico file", pr.Icon)
		}
		a.add("Icon", iconID, data)
		props = append(props, [2]string{"ARPPRODUCTICON", iconID})
	}
	for _, kv := range props {
		a.add("Property", kv[0], kv[1])
	}

	// Major upgrade: detect older versions to remove, and newer ones to
	// refuse with a launch condition.
	a.add("Upgrade", upgradeCode, nil, version, nil, 1, nil, upgradeProp)   // msidbUpgradeAttributesMigrateFeatures
	a.add("Upgrade", upgradeCode, version, nil, nil, 2, nil, downgradeProp) // msidbUpgradeAttributesOnlyDetect
	a.add("LaunchCondition", "NOT "+downgradeProp, escapeFormatted("A newer version of "+pr.Name+" is already installed."))

	seq := [][3]any{
		{"FindRelatedProducts", nil, 25},
		{"LaunchConditions", nil, 100},
		{"ValidateProductID", nil, 700},
		{"CostInitialize", nil, 800},
		{"FileCost", nil, 900},
		{"CostFinalize", nil, 1000},
		{"MigrateFeatureStates", nil, 1200},
		{"InstallValidate", nil, 1400},
		{"RemoveExistingProducts", nil, 1401},
		{"InstallInitialize", nil, 1500},
		{"ProcessComponents", nil, 1600},
		{"UnpublishFeatures", nil, 1800},
		{"RemoveFiles", nil, 3500},
		{"InstallFiles", nil, 4000},
		{"RegisterUser", nil, 6000},
		{"RegisterProduct", nil, 6100},
		{"PublishFeatures", nil, 6300},
		{"PublishProduct", nil, 6400},
		{"InstallFinalize", nil, 6600},
	}
	seq = append(seq, folderSeq...)
	if p.Service != nil {
		svcSeq, err := addService(a, p, files)
		if err != nil {
			return nil, err
		}
		seq = append(seq, svcSeq...)
	}
	for _, s := range seq {
		a.add("InstallExecuteSequence", s[0], s[1], s[2])
	}
	for _, s := range [][3]any{
		{"FindRelatedProducts", nil, 25}, {"LaunchConditions", nil, 100}, {"ValidateProductID", nil, 700},
		{"CostInitialize", nil, 800}, {"FileCost", nil, 900}, {"CostFinalize", nil, 1000},
		{"MigrateFeatureStates", nil, 1200}, {"ExecuteAction", nil, 1300},
	} {
		a.add("InstallUISequence", s[0], s[1], s[2])
	}
	for _, s := range [][3]any{
		{"CostInitialize", nil, 800}, {"FileCost", nil, 900}, {"CostFinalize", nil, 1000},
		{"InstallValidate", nil, 1400}, {"InstallInitialize", nil, 1500}, {"InstallAdminPackage", nil, 3900},
		{"InstallFiles", nil, 4000}, {"InstallFinalize", nil, 6600},
	} {
		a.add("AdminExecuteSequence", s[0], s[1], s[2])
	}
	for _, s := range [][3]any{
		{"CostInitialize", nil, 800}, {"FileCost", nil, 900}, {"CostFinalize", nil, 1000}, {"ExecuteAction", nil, 1300},
	} {
		a.add("AdminUISequence", s[0], s[1], s[2])
	}
	for _, s := range [][3]any{
		{"CostInitialize", nil, 800}, {"CostFinalize", nil, 1000}, {"InstallValidate", nil, 1400},
		{"InstallInitialize", nil, 1500}, {"PublishFeatures", nil, 6300}, {"PublishProduct", nil, 6400},
		{"InstallFinalize", nil, 6600},
	} {
		a.add("AdvtExecuteSequence", s[0], s[1], s[2])
	}
	if a.err != nil {
		return nil, a.err
	}

	db.Summary = SummaryInfo{
		Title:          "Installation Database",
		Subject:        pr.Name,
		Author:         pr.Manufacturer,
		Keywords:       "Installer",
		Comments:       "This installer database contains the logic and data required to install " + pr.Name + ".",
		Template:       fmt.Sprintf("%s;%d", archTemplates[pr.Arch], lang),
		RevisionNumber: packageCode(p, files, ns),
		Created:        p.Date,
		Saved:          p.Date,
		PageCount:      msiVersionNeeded,
		WordCount:      2, // compressed source files
		Creator:        "svcpack",
		Security:       2,
	}
	return db, nil
}

// folderSegments splits a folder path on \ and /.
func folderSegments(p string) []string {
	var out []string
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '\\' || r == '/' }) {
		out = append(out, seg)
	}
	return out
}

// addFolders adds a Directory chain, a component with a CreateFolder row
// and, with an SDDL, an MsiLockPermissionsEx row for each folder, and
// returns the sequence rows they need.
func addFolders(a *rowAdder, p *Package, ns [16]byte, compAttr int, keys map[string]bool) [][3]any {
	if len(p.Folders) == 0 {
		return nil
	}
	dirs := map[string]string{"": installDirID} // relative path -> Directory id
	for _, f := range p.Folders {
		rel := ""
		for _, seg := range folderSegments(f.Path) {
			parent := dirs[rel]
			rel = path.Join(rel, seg)
			if _, ok := dirs[rel]; !ok {
				dirs[rel] = identifier("D_", rel, keys)
				a.add("Directory", dirs[rel], parent, defaultName(seg, map[string]bool{}))
			}
		}
		comp := identifier("C_", "folder_"+rel, keys)
		guid := guidString(uuidV5(ns, "Component\x00"+p.Product.Arch+"\x00"+comp))
		a.add("Component", comp, guid, dirs[rel], compAttr, nil, nil)
		a.add("FeatureComponents", featureID, comp)
		a.add("CreateFolder", dirs[rel], comp)
		if f.SDDL != "" {
			a.add("MsiLockPermissionsEx", identifier("L_", rel, keys), dirs[rel], "CreateFolder", f.SDDL, nil)
		}
	}
	return [][3]any{{"RemoveFolders", nil, 3600}, {"CreateFolders", nil, 3700}}
}

// addService adds the service tables and returns its sequence rows.
func addService(a *rowAdder, p *Package, files []*fileInfo) ([][3]any, error) {
	s := p.Service
	exe, _ := serviceExe(p)
	var comp string
	for _, f := range files {
		if f.Name == exe {
			comp = f.component
		}
	}
	account, _ := startName(s.Account)
	args := make([]string, len(s.Args))
	for i, arg := range s.Args {
		args[i] = quoteArg(arg)
	}
	display := s.DisplayName
	if display == "" {
		display = s.Name
	}
	a.add("ServiceInstall", "Svc", s.Name, escapeFormatted(display), 0x10, startTypes[s.Start], 1,
		nil, nil, account, nil, escapeFormatted(strings.Join(args, " ")), comp, s.Description)
	// Start on install (when it starts automatically), stop on install and
	// uninstall, delete on uninstall.
	event := 2 | 32 | 128
	if startTypes[s.Start] == 2 {
		event |= 1
	}
	a.add("ServiceControl", "SvcControl", s.Name, event, nil, 1, comp)
	seq := [][3]any{
		{"StopServices", "VersionNT", 1900},
		{"DeleteServices", "VersionNT", 2000},
		{"InstallServices", "VersionNT", 5800},
		{"StartServices", "VersionNT", 5900},
	}
	configure := false
	if s.Start == serviceDelayed {
		// SERVICE_CONFIG_DELAYED_AUTO_START_INFO, on install and reinstall.
		a.add("MsiServiceConfig", "SvcDelayed", s.Name, 1|4, 3, "1", comp)
		configure = true
	}
	if s.RestartDelay > 0 {
		ms := strconv.FormatInt(s.RestartDelay.Milliseconds(), 10)
		var reset any
		if s.ResetAfter > 0 {
			reset = int(s.ResetAfter / time.Second)
		}
		a.add("MsiServiceConfigFailureActions", "SvcRecovery", s.Name, 1|4, reset, nil, nil,
			"1[~]1[~]1", ms+"[~]"+ms+"[~]"+ms, comp) // SC_ACTION_RESTART three times
		// SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: recovery also when the
		// service stops with an error exit code (as svcpack's service
		// wrapper does after too many restarts), not only on a crash; the
		// zip's install-service.cmd does the same with sc failureflag.
		a.add("MsiServiceConfig", "SvcFailureFlag", s.Name, 1|4, 4, "1", comp)
		configure = true
	}
	if configure {
		seq = append(seq, [3]any{"MsiConfigureServices", `VersionMsi >= "5.00"`, 5850})
	}
	if len(s.Env) > 0 {
		names := make([]string, 0, len(s.Env))
		for k := range s.Env {
			names = append(names, k)
		}
		sort.Strings(names)
		var v strings.Builder
		v.WriteString("[~]")
		for _, k := range names {
			v.WriteString(escapeFormatted(k + "=" + s.Env[k]))
			v.WriteString("[~]")
		}
		a.add("Registry", "SvcEnvironment", 2, `SYSTEM\CurrentControlSet\Services\`+s.Name, "Environment", v.String(), comp)
		seq = append(seq, [3]any{"RemoveRegistryValues", nil, 2600}, [3]any{"WriteRegistryValues", nil, 5000})
	}
	return seq, a.err
}
