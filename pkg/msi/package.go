package msi

import (
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Product describes the product an installer installs.
type Product struct {
	Name         string // ProductName, e.g. "Hello Service"
	Manufacturer string
	// Version is major.minor.build, at most 255.255.65535: the
	// ProductVersion, all Windows Installer compares.
	Version string
	// FullVersion is the release's whole version (1.2.3-rc.1,
	// 1.2.3-4-gabc1234); empty means Version. The product code derives
	// from it, so that every build has its own, and builds that share
	// Version upgrade one another in place.
	FullVersion string
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
	// Name is the file's path under the install directory: a long file
	// name, or folders and a name separated by / (conf/app.yaml).
	Name string
	// Src is the host path of the content.
	Src string
	// Config marks a configuration file: installed when missing, never
	// overwritten by an upgrade or a repair (an administrator's edits
	// stay), and left in place by an uninstall unless PURGE=1 is given.
	Config bool
}

// InstallDirMark stands, in a service's Args and Env values, for the folder
// the product is installed in, as chosen at install time (the INSTALLDIR
// property, which ends in a backslash). It is made of control characters,
// which no other text in a package may hold.
const InstallDirMark = "\x00INSTALLDIR\x00"

// Service is a Windows service run from one of the package's files.
type Service struct {
	Name, DisplayName, Description string
	// Executable is the File.Name of the program; empty means the first
	// file whose name ends in .exe.
	Executable string
	// Args may hold InstallDirMark, which the service receives as the
	// folder the product is installed in.
	Args []string
	// Start is auto (default), delayed, manual or disabled.
	Start string
	// Account is LocalSystem (default), LocalService, NetworkService,
	// their NT AUTHORITY\ forms, or a virtual account NT SERVICE\<name>.
	Account string
	// Env is written to the service's Environment registry value; values
	// may hold InstallDirMark.
	Env map[string]string
	// RestartDelay, when positive, makes the service manager restart the
	// service after each failure; ResetAfter resets the failure count.
	RestartDelay, ResetAfter time.Duration
	// FailureCommand, when set with RestartDelay, is a program and its
	// arguments the service manager runs (as the service's account) on
	// every failure after the first CommandAfter ones within ResetAfter,
	// which restart the service: its failure actions are per failure count
	// and the last repeats. The program may start with InstallDirMark, the
	// arguments may hold it; the program may not hold a double quote.
	FailureCommand []string
	// CommandAfter is the number of restarts before FailureCommand runs.
	CommandAfter int
	// PreshutdownTimeout, when positive, is the service's preshutdown
	// timeout (SERVICE_CONFIG_PRESHUTDOWN_INFO): how long Windows waits for
	// a service that accepts PRESHUTDOWN to stop before it shuts others
	// down. Whole milliseconds.
	PreshutdownTimeout time.Duration
	// Dependencies are the services that must run before this one.
	Dependencies []string
	// Settings name the public properties that set the service's
	// environment variables and arguments at install time (msiexec /i
	// x.msi PORT=9090). A given value is recorded under the service's
	// Parameters registry key (RegistryKey) and read back by upgrades and
	// repairs, so that it stays until the product is removed.
	Settings []Setting
	// Wrapped says that the executable is a service wrapper that reads the
	// recorded settings itself (Parameters\Environment, Parameters\Arguments)
	// and takes its defaults from its own configuration: Env and Args are
	// then not written to the service's registration.
	Wrapped bool
	// StopHelper, when set, names a file of the package that uninstalling
	// runs as `<file> <StopArgs...>` after StopServices and before the
	// service is deleted and its files removed: it stops the service if it
	// still runs and waits until no process runs a program of the install
	// folder. Windows Installer waits for STOPPED at most 30 seconds, and
	// Wine's not at all; a process still holding its executable means a
	// reboot to remove it.
	StopHelper string
	// StopArgs are the stop helper's arguments.
	StopArgs []string
	// EventSource registers an event source named after the service in the
	// Application event log (EventSourceKey), with EventCreate.exe's
	// message table, as x/sys's eventlog.InstallAsEventCreate does: the
	// service (or svcpack's wrapper for it) may then write events with
	// IDs 1 to 1000 under its name. The key belongs to the service's
	// component, so uninstalling removes it.
	EventSource bool
}

// Setting is one install-time setting of a service: a public property
// that, when given, replaces the default of an environment variable or of
// the arguments.
type Setting struct {
	// Property is the public property: upper-case letters, digits and '_'.
	Property string
	// Env is the environment variable it sets; "" means the arguments (one
	// command line, quoted by the rules of CommandLineToArgvW).
	Env string
}

// RegistryKey is the key, under HKEY_LOCAL_MACHINE, where the settings
// given at install time are recorded: the Arguments value holds the
// arguments, the Environment subkey one value per environment variable.
func RegistryKey(service string) string {
	return `SYSTEM\CurrentControlSet\Services\` + service + `\Parameters`
}

// EventSourceKey is the key, under HKEY_LOCAL_MACHINE, of the event source
// named after a service (Service.EventSource).
func EventSourceKey(service string) string {
	return `SYSTEM\CurrentControlSet\Services\EventLog\Application\` + service
}

// EventMessageFile is the event source's message file: EventCreate.exe,
// whose message table has a message "%1" for each ID from 1 to 1000.
const EventMessageFile = `%SystemRoot%\System32\EventCreate.exe`

// Account names a Windows account: Domain is a domain or, for a local
// account, empty (the computer's own).
type Account struct {
	Domain, User string
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
	// Grant, when set, lets the named account modify the folder, with the
	// LockPermissions table, which names accounts where an SDDL needs a SID
	// (a user or group managed service account): the account, LocalSystem
	// and Administrators get access. A package holds either SDDLs or
	// grants: Windows Installer 5 refuses one with both tables (1941).
	Grant *Account
	// Uninstalling with PURGE=1 removes every file in the folder (a
	// wildcard, which Windows Installer honours and Wine 8 does not), the
	// files Purge names (the service's logs: by name, for every
	// implementation), then the folder when that left it empty.
	Purge []string
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
	purgeProp        = "PURGE"
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
		for _, seg := range strings.Split(f.Name, "/") {
			if err := checkLongName(seg); err != nil {
				return fmt.Errorf("msi: file %q: %w", f.Name, err)
			}
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
	grants, sddls := false, false
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
		if g := f.Grant; g != nil {
			if !accountPartRE.MatchString(g.User) || g.Domain != "" && !accountPartRE.MatchString(g.Domain) {
				return fmt.Errorf("msi: folder %q: account %q\\%q: want plain names (letters, digits, . _ - $)", f.Path, g.Domain, g.User)
			}
			grants = true
		}
		sddls = sddls || f.SDDL != ""
	}
	if grants && sddls {
		return errors.New("msi: folders with an SDDL and folders with a grant: Windows Installer 5 refuses a package " +
			"with both MsiLockPermissionsEx and LockPermissions (error 1941); use one kind")
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
		if err := checkFailureCommand(s); err != nil {
			return err
		}
		if s.PreshutdownTimeout < 0 || s.PreshutdownTimeout.Milliseconds() > math.MaxUint32 {
			return fmt.Errorf("msi: service preshutdown timeout %s out of range", s.PreshutdownTimeout)
		}
		for k := range s.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fmt.Errorf("msi: service environment variable name %q is invalid", k)
			}
		}
		if err := checkSettings(s); err != nil {
			return err
		}
		if s.StopHelper != "" && !slices.ContainsFunc(p.Files, func(f File) bool { return f.Name == s.StopHelper && !f.Config }) {
			return fmt.Errorf("msi: service stop helper %q is not among the files (or is a config file)", s.StopHelper)
		}
		exe, _ := serviceExe(p)
		if slices.ContainsFunc(p.Files, func(f File) bool { return f.Name == exe && f.Config }) {
			return fmt.Errorf("msi: the service executable %q cannot be a config file", exe)
		}
	}
	for _, f := range p.Folders {
		for _, name := range f.Purge {
			if err := checkLongName(name); err != nil {
				return fmt.Errorf("msi: folder %q: file to purge %q: %w", f.Path, name, err)
			}
		}
	}
	// Every row the package would hold, with stand-ins for the files'
	// sizes and digests: a value a table cannot hold (a description over
	// 255 characters, a character outside code page 1252) fails here, not
	// halfway through a release.
	files := make([]*fileInfo, len(p.Files))
	for i, f := range p.Files {
		files[i] = &fileInfo{File: f}
	}
	if _, err := buildDatabase(p, files); err != nil {
		return err
	}
	return nil
}

// propertyRE is a public property: Windows Installer passes only names
// without lower-case letters from the command line to the installation.
var propertyRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,59}$`)

// reservedProperties are Windows Installer's own public properties and
// this package's, which a setting must not take over.
var reservedProperties = strings.Fields(`ACTION ADDDEFAULT ADDLOCAL ADDSOURCE ADVERTISE AFTERREBOOT ALLUSERS
	COMPADDDEFAULT COMPADDLOCAL COMPADDSOURCE COMPANYNAME DISABLEADVTSHORTCUTS DISABLEMEDIA DISABLEROLLBACK
	EXECUTEACTION EXECUTEMODE FASTOEM FILEADDDEFAULT FILEADDLOCAL FILEADDSOURCE INSTALLDIR INSTALLLEVEL LIMITUI
	LOGACTION MEDIAPACKAGEPATH PATCH PIDKEY PRIMARYFOLDER PROMPTROLLBACKCOST PURGE REBOOT REBOOTPROMPT REINSTALL
	REINSTALLMODE REMOVE RESUME ROOTDRIVE SEQUENCE SHORTFILENAMES SOURCEDIR TARGETDIR TRANSFORMS
	TRANSFORMSATSOURCE TRANSFORMSSECURE UPGRADINGPRODUCTCODE USERNAME`)

// CheckSettingProperty reports whether name can be the public property of
// an install-time setting: upper-case letters, digits and '_', at most 60
// characters, and none of Windows Installer's own properties (nor ARP*,
// MSI* or SVCPACK_*).
func CheckSettingProperty(name string) error {
	switch {
	case !propertyRE.MatchString(name):
		return fmt.Errorf("msi: property %q: a public property holds upper-case letters, digits and '_', at most 60 characters, not starting with a digit", name)
	case slices.Contains(reservedProperties, name) || strings.HasPrefix(name, "ARP") || strings.HasPrefix(name, "MSI") || strings.HasPrefix(name, "SVCPACK_"):
		return fmt.Errorf("msi: property %q is one of Windows Installer's own (or ARP*, MSI*, SVCPACK_*): a setting cannot take it over", name)
	}
	return nil
}

// checkSettings checks the install-time settings of a service.
func checkSettings(s *Service) error {
	seen := map[string]bool{}
	args := false
	for _, st := range s.Settings {
		if err := CheckSettingProperty(st.Property); err != nil {
			return err
		}
		if seen[st.Property] {
			return fmt.Errorf("msi: property %q names two settings", st.Property)
		}
		seen[st.Property] = true
		if st.Env == "" {
			if args {
				return errors.New("msi: two settings set the arguments")
			}
			args = true
			continue
		}
		if _, ok := s.Env[st.Env]; !ok && !s.Wrapped {
			return fmt.Errorf("msi: setting %s sets %q, which is not among the service's environment variables", st.Property, st.Env)
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
	if managedAccountRE.MatchString(account) || userAccountRE.MatchString(account) {
		return account, nil
	}
	return "", fmt.Errorf("msi: service account %q: want LocalSystem, LocalService, NetworkService, NT SERVICE\\<name>, "+
		"a group managed service account DOMAIN\\name$ or a user DOMAIN\\user", account)
}

// The accounts besides the built-in ones: a group managed service account
// (no password) and a domain or local user, whose password the
// administrator gives at install as PasswordProperty, which the package
// marks hidden (MsiHiddenProperties: never written to a log).
var (
	managedAccountRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,14}\\[A-Za-z0-9_][A-Za-z0-9_.-]{0,13}\$$`)
	userAccountRE    = regexp.MustCompile(`^(\.|[A-Za-z0-9][A-Za-z0-9-]{0,14})\\[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}$`)
)

// PasswordProperty is the public property that gives a user account's
// password at install time (msiexec /i x.msi SERVICEPASSWORD=...).
const PasswordProperty = "SERVICEPASSWORD"

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

// fileInfo is what Write learns about a payload file by reading it once.
type fileInfo struct {
	File
	key, component string
	dir, fileName  string // Directory id and File.FileName
	size           int64
	md5            [16]byte
	sha256         [32]byte
}

// hashFiles sets the size, MD5 (MsiFileHash) and SHA-256 (the package
// code) of every file, a file per core.
func hashFiles(files []*fileInfo) error {
	next := make(chan int)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = hashFile(files[i])
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// hashFile reads f once and sets its size, MD5 and SHA-256; the two
// digests of each chunk are computed side by side.
func hashFile(f *fileInfo) error {
	r, err := os.Open(f.Src)
	if err != nil {
		return fmt.Errorf("msi: file %s: %w", f.Name, err)
	}
	defer r.Close()
	m, s := md5.New(), sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			chunk := buf[:k]
			done := make(chan struct{})
			go func() { m.Write(chunk); close(done) }()
			s.Write(chunk)
			<-done
			n += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return fmt.Errorf("msi: file %s: reading %s: %w", f.Name, f.Src, err)
		}
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
	}
	if err := hashFiles(files); err != nil {
		return err
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

// productCode derives the product code: new for every full version and
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
		fmt.Fprintf(h, "folder %q %q %q\n", f.Path, f.SDDL, f.Purge)
		if g := f.Grant; g != nil {
			fmt.Fprintf(h, "grant %q %q\n", g.Domain, g.User)
		}
	}
	fmt.Fprintf(h, "%d\n", q.Date.Unix())
	for _, f := range files {
		fmt.Fprintf(h, "%q %d %x %t\n", f.Name, f.size, f.sha256, f.Config)
	}
	if p.Product.Icon != "" {
		if b, err := os.ReadFile(p.Product.Icon); err == nil {
			fmt.Fprintf(h, "icon %x\n", sha256.Sum256(b))
		}
	}
	return guidString(uuidV5(ns, fmt.Sprintf("PackageCode\x00%x", h.Sum(nil))))
}

// maxCommandAfter bounds Service.CommandAfter: the failure actions table
// holds a restart for each, then the command.
const maxCommandAfter = 100

// checkFailureCommand refuses a failure command the failure actions table
// cannot carry as data.
func checkFailureCommand(s *Service) error {
	if len(s.FailureCommand) == 0 {
		return nil
	}
	if prog := s.FailureCommand[0]; prog == "" || strings.ContainsAny(prog, "\"") {
		return fmt.Errorf("msi: service failure command program %q: want a file name without double quotes", prog)
	}
	if s.CommandAfter < 0 || s.CommandAfter > maxCommandAfter {
		return fmt.Errorf("msi: service failure command after %d restarts: want 0 to %d", s.CommandAfter, maxCommandAfter)
	}
	return nil
}

// accountPartRE is a domain or account name a LockPermissions row may carry
// as it is: no formatting brackets, no separators.
var accountPartRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,63}$`)
