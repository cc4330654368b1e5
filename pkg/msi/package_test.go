package msi

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

// testIcon returns a minimal .ico holding one 1x1 32-bit bitmap.
func testIcon() []byte {
	le := binary.LittleEndian
	var bmp []byte
	bmp = le.AppendUint32(bmp, 40)
	bmp = le.AppendUint32(bmp, 1)
	bmp = le.AppendUint32(bmp, 2) // height doubled for the mask
	bmp = le.AppendUint16(bmp, 1)
	bmp = le.AppendUint16(bmp, 32)
	bmp = append(bmp, make([]byte, 24)...)
	bmp = append(bmp, 0x20, 0x40, 0x80, 0xFF) // one BGRA pixel
	bmp = append(bmp, 0, 0, 0, 0)             // AND mask row
	var ico []byte
	ico = le.AppendUint16(ico, 0)
	ico = le.AppendUint16(ico, 1)
	ico = le.AppendUint16(ico, 1)
	ico = append(ico, 1, 1, 0, 0)
	ico = le.AppendUint16(ico, 1)
	ico = le.AppendUint16(ico, 32)
	ico = le.AppendUint32(ico, uint32(len(bmp)))
	ico = le.AppendUint32(ico, 22)
	return append(ico, bmp...)
}

// payload writes deterministic sample files and returns them.
func payload(t *testing.T) []File {
	t.Helper()
	dir := t.TempDir()
	exe := make([]byte, 100_000)
	x := uint32(1)
	for i := range exe {
		x = x*1664525 + 1013904223
		exe[i] = byte(x >> 24)
	}
	copy(exe, "MZ")
	contents := map[string][]byte{
		"hello.exe":         exe,
		"config.yaml":       []byte("port: 8080\n"),
		"Read Me First.txt": []byte("long name with spaces\r\n"),
		"empty.dat":         nil,
		"product.ico":       testIcon(),
	}
	for name, data := range contents {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var files []File
	for _, name := range []string{"hello.exe", "config.yaml", "Read Me First.txt", "empty.dat"} {
		files = append(files, File{Name: name, Src: filepath.Join(dir, name), Config: name == "config.yaml"})
	}
	return files
}

func samplePackage(t *testing.T, arch string) Package {
	files := payload(t)
	return Package{
		Product: Product{
			Name: "Hello Service", Manufacturer: "Acme Corp", Version: "1.2.3", FullVersion: "1.2.3-rc.1",
			UpgradeCode: "6b2a1e7c-5d4f-4e3a-9b2c-1d0e8f7a6b5c", URL: "https://example.com/hello",
			Arch: arch, InstallDir: `Acme\Hello`, Icon: filepath.Join(filepath.Dir(files[0].Src), "product.ico"),
		},
		Files: files,
		Service: &Service{
			Name: "hello", DisplayName: "Hello Service", Description: "Says hello over HTTP",
			Args: []string{"run", "-addr", "127.0.0.1:8080", "with space"}, Start: "delayed", Account: "LocalService",
			Env:          map[string]string{"PORT": "8080", "MODE": "[prod]"},
			RestartDelay: 5 * time.Second, ResetAfter: 24 * time.Hour,
			Settings:    []Setting{{Property: "PORT", Env: "PORT"}, {Property: "SERVICE_ARGS"}},
			EventSource: true,
		},
		Date: time.Unix(1700000000, 0).UTC(),
	}
}

func buildPackage(t *testing.T, p Package) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.msi")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, p); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventKey is the sample service's event source key, and eventMessageFile
// its message file as a REG_EXPAND_SZ value, as msiinfo exports them.
const (
	eventKey         = `SYSTEM\CurrentControlSet\Services\EventLog\Application\hello`
	eventMessageFile = `#%%SystemRoot%\System32\EventCreate.exe`
)

var packageTables = []string{
	"AdminExecuteSequence", "AdminUISequence", "AdvtExecuteSequence", "AppSearch", "Component", "CustomAction", "Directory",
	"Feature", "FeatureComponents", "File", "Icon", "InstallExecuteSequence", "InstallUISequence",
	"LaunchCondition", "Media", "MsiFileHash", "MsiServiceConfig", "MsiServiceConfigFailureActions",
	"Property", "RegLocator", "Registry", "RemoveFile", "ServiceControl", "ServiceInstall", "Upgrade", "_Validation",
}

func TestPackageMsiinfo(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	path := buildPackage(t, samplePackage(t, "amd64"))

	tables := run(t, msiinfo, "tables", path)
	var all strings.Builder
	for _, tbl := range packageTables {
		if !strings.Contains(tables, tbl+"\n") {
			t.Errorf("msiinfo tables lacks %s", tbl)
			continue
		}
		all.WriteString(run(t, msiinfo, "export", path, tbl))
	}
	exp := all.String()
	// Facts from the Windows Installer SDK, checked independently of the
	// golden file.
	for _, want := range []string{
		"ProgramFiles64Folder\tTARGETDIR\t.",
		"INSTALLDIR\tINSTALLDIR_1\tHello",
		"README~1.TXT|Read Me First.txt",
		"\tINSTALLDIR\t256\t\thello.exe\r\n",       // 64-bit component keyed by its file
		"SvcControl\thello\t163\t\t1\tC_hello.exe", // start, stop both, delete on uninstall, wait
		"\t16\t2\t1\t\t\tNT AUTHORITY\\LocalService\t\t[SvcpackArgs]\t",
		"SvcpackArgs\trun -addr 127.0.0.1:8080 \"with space\"",
		"MsiConfigureServices\tVersionMsi >= \"5.00\"\t5850",
		"SvcDelayed\thello\t5\t3\t1\tC_hello.exe",
		"SvcFailureFlag\thello\t5\t4\t1\tC_hello.exe", // recovery on non-crash failures too
		"SvcRecovery\thello\t5\t86400\t\t\t1[~]1[~]1\t5000[~]5000[~]5000\tC_hello.exe",
		"[~]MODE=[\\[]prod[\\]][~]PORT=[SvcpackEnv_PORT][~]",
		"SvcpackEnv_PORT\t8080",
		"\t1.2.3\t\t513\t\tSVCPACK_UPGRADE_DETECTED", // MigrateFeatures | VersionMaxInclusive: same-version upgrades
		// Config files: permanent (256 | 16 | 128), purged on request.
		"C_config.yaml\t{5CC36223-F6F3-538A-A418-6AC4FFF53451}\tINSTALLDIR\t400\t\tconfig.yaml",
		"P000_INSTALLDIR_config.yaml\tC_hello.exe\tCONFIG~1.YAM|config.yaml\tSvcpackPurge_INSTALLDIR\t2",
		"P001_INSTALLDIR__\tC_hello.exe\t*\tSvcpackPurge_INSTALLDIR\t2", // then every other file
		"Q000_INSTALLDIR\tC_hello.exe\t\tSvcpackPurge_INSTALLDIR\t2", "Q001_INSTALLDIR_1\tC_hello.exe\t\tSvcpackPurge_INSTALLDIR_1\t2",
		"SvcpackPurge_INSTALLDIR\t51\tSvcpackPurge_INSTALLDIR\t[INSTALLDIR]\t",
		"SvcpackPurge_INSTALLDIR\tPURGE=\"1\" AND REMOVE~=\"ALL\" AND NOT UPGRADINGPRODUCTCODE\t1010",
		// Settings: read back, restored unless given, recorded when given.
		"SVCPACK_OLD_PORT\tSetting_PORT",
		"Setting_PORT\t2\tSYSTEM\\CurrentControlSet\\Services\\hello\\Parameters\\Environment\tPORT\t18",
		"Setting_SERVICE_ARGS\t2\tSYSTEM\\CurrentControlSet\\Services\\hello\\Parameters\tArguments\t18",
		"SvcpackRestore_PORT\t51\tPORT\t[SVCPACK_OLD_PORT]\t",
		"SvcpackRestore_PORT\tNOT PORT AND SVCPACK_OLD_PORT\t60",
		"SvcpackSet_PORT\t51\tSvcpackEnv_PORT\t[PORT]\t",
		"SvcpackSet_PORT\tPORT\t160",
		"}\tINSTALLDIR\t260\tPORT\tR_setting_PORT\r\n",
		"R_setting_PORT\t2\tSYSTEM\\CurrentControlSet\\Services\\hello\\Parameters\\Environment\tPORT\t[PORT]\tC_setting_PORT",
		"SecureCustomProperties\tSVCPACK_DOWNGRADE_DETECTED;SVCPACK_UPGRADE_DETECTED;PORT;SVCPACK_OLD_PORT;SERVICE_ARGS;SVCPACK_OLD_SERVICE_ARGS;PURGE",
		"1.2.3\t\t\t2\t\tSVCPACK_DOWNGRADE_DETECTED",
		"1\t4\t\t#product.cab\t\t",
		"ARPPRODUCTICON\tproduct.ico",
		"ARPNOMODIFY\t1",
		"product.ico\tIcon.product.ico",
		// The event source, in the service's component: the key made and
		// removed with everything in it ("*" without a value),
		// REG_EXPAND_SZ ("#%"), REG_DWORD ("#").
		"SvcEventSource\t2\t" + eventKey + "\t*\t\tC_hello.exe",
		"SvcEventMessageFile\t2\t" + eventKey + "\tEventMessageFile\t" + eventMessageFile + "\tC_hello.exe",
		"SvcEventTypes\t2\t" + eventKey + "\tTypesSupported\t#7\tC_hello.exe",
		"SvcEventCustom\t2\t" + eventKey + "\tCustomSource\t#1\tC_hello.exe",
		"WriteRegistryValues\t\t5000", "RemoveRegistryValues\t\t2600",
	} {
		if !strings.Contains(exp, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	// MsiConfigureServices must sit between InstallServices and StartServices.
	seq := run(t, msiinfo, "export", path, "InstallExecuteSequence")
	if !(strings.Contains(seq, "InstallServices\tVersionNT\t5800") && strings.Contains(seq, "StartServices\tVersionNT\t5900")) {
		t.Errorf("service actions missing:\n%s", seq)
	}
	golden(t, "package.export", exp)

	sum := run(t, msiinfo, "suminfo", path)
	for _, want := range []string{"Template: x64;1033", "Version: 500", "Source: 2", "Subject: Hello Service", "Created: Tue Nov 14 22:13:20 2023"} {
		if !strings.Contains(sum, want) {
			t.Errorf("suminfo lacks %q:\n%s", want, sum)
		}
	}
}

func TestPackageTemplatePerArch(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	for _, tt := range []struct{ arch, template, pf, attr string }{
		{"386", "Intel;1033", "ProgramFilesFolder\tTARGETDIR", "\tINSTALLDIR\t0\t\thello.exe"},
		{"amd64", "x64;1033", "ProgramFiles64Folder\tTARGETDIR", "\tINSTALLDIR\t256\t\thello.exe"},
		{"arm64", "Arm64;1033", "ProgramFiles64Folder\tTARGETDIR", "\tINSTALLDIR\t256\t\thello.exe"},
	} {
		p := samplePackage(t, tt.arch)
		p.Service = nil
		path := buildPackage(t, p)
		if sum := run(t, msiinfo, "suminfo", path); !strings.Contains(sum, "Template: "+tt.template+"\n") {
			t.Errorf("%s: suminfo:\n%s", tt.arch, sum)
		}
		if d := run(t, msiinfo, "export", path, "Directory"); !strings.Contains(d, tt.pf) {
			t.Errorf("%s: Directory:\n%s", tt.arch, d)
		}
		if c := run(t, msiinfo, "export", path, "Component"); !strings.Contains(c, tt.attr) {
			t.Errorf("%s: Component:\n%s", tt.arch, c)
		}
	}
}

// TestPackageGrants: a folder a named account may modify gets
// LockPermissions rows (the account, its domain or the computer's name, and
// Administrators), as msiinfo reads them, and no MsiLockPermissionsEx table,
// which Windows Installer 5 refuses beside it.
func TestPackageGrants(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	p.Folders = []Folder{{Path: "logs", Grant: &Account{User: "svcuser"}}, {Path: "data", Grant: &Account{Domain: "CORP", User: "web$"}}}
	path := buildPackage(t, p)
	exp := run(t, msiinfo, "export", path, "LockPermissions")
	for _, w := range []string{
		"D_logs	CreateFolder		Administrators	268435456", "D_logs	CreateFolder	[ComputerName]	svcuser	1245631",
		"D_data	CreateFolder		Administrators	268435456", "D_data	CreateFolder	CORP	web$	1245631",
	} {
		if !strings.Contains(exp, w) {
			t.Errorf("LockPermissions lacks %q:\n%s", w, exp)
		}
	}
	if tables := run(t, msiinfo, "tables", path); strings.Contains(tables, "MsiLockPermissionsEx") {
		t.Errorf("both permission tables:\n%s", tables)
	}
	q := p
	q.Folders = []Folder{{Path: "logs", Grant: &Account{User: "other"}}, p.Folders[1]}
	if packageCode(&p, nil, [16]byte{}) == packageCode(&q, nil, [16]byte{}) {
		t.Error("the granted account does not change the package code")
	}
	for _, bad := range []Package{
		withFolders(p, Folder{Path: "logs", SDDL: "D:PAI(A;OICI;FA;;;SY)"}, Folder{Path: "data", Grant: &Account{User: "u"}}),
		withFolders(p, Folder{Path: "logs", Grant: &Account{User: "[ProgramFilesFolder]"}}),
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("folders %+v: no error", bad.Folders)
		}
	}
}

// withFolders is p with its folders replaced.
func withFolders(p Package, fs ...Folder) Package {
	p.Folders = fs
	return p
}

// TestPackageFolders checks the tables of empty folders under the install
// directory: a Directory chain, a component without key path holding a
// CreateFolder row, and an MsiLockPermissionsEx row when an SDDL is given.
func TestPackageFolders(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	const sddl = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;LS)"
	p.Folders = []Folder{{Path: "logs", SDDL: sddl}, {Path: `data\cache`}}
	path := buildPackage(t, p)
	for tbl, wants := range map[string][]string{
		"Directory":              {"D_logs\tINSTALLDIR\tlogs", "D_data\tINSTALLDIR\tdata", "D_data_cache\tD_data\tcache"},
		"CreateFolder":           {"D_logs\tC_folder_logs", "D_data_cache\tC_folder_data_cache"},
		"Component":              {"C_folder_logs\t{", "}\tD_logs\t256\t\t\r\n"},
		"FeatureComponents":      {"Complete\tC_folder_logs"},
		"MsiLockPermissionsEx":   {"L_logs\tD_logs\tCreateFolder\t" + sddl + "\t"},
		"InstallExecuteSequence": {"RemoveFolders\t\t3600", "CreateFolders\t\t3700"},
	} {
		exp := run(t, msiinfo, "export", path, tbl)
		for _, w := range wants {
			if !strings.Contains(exp, w) {
				t.Errorf("%s lacks %q:\n%s", tbl, w, exp)
			}
		}
	}
	if exp := run(t, msiinfo, "export", path, "MsiLockPermissionsEx"); strings.Contains(exp, "cache") {
		t.Errorf("a folder without SDDL got permissions:\n%s", exp)
	}
	// The folders change the package code.
	q := samplePackage(t, "amd64")
	if packageCode(&p, nil, [16]byte{}) == packageCode(&q, nil, [16]byte{}) {
		t.Error("folders do not change the package code")
	}
}

func TestPackageMsiextract(t *testing.T) {
	msiextract := testtool.Need(t, "msiextract", "msitools")
	p := samplePackage(t, "amd64")
	// Files in folders under the install directory, one a name also used
	// at the top.
	p.Files = append(p.Files, File{Name: "conf/config.yaml", Src: p.Files[0].Src}, File{Name: "conf/deep er/Read Me First.txt", Src: p.Files[2].Src})
	path := buildPackage(t, p)
	out := t.TempDir()
	run(t, msiextract, "-C", out, path)
	for _, f := range p.Files {
		want, err := os.ReadFile(f.Src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, "Acme", "Hello", f.Name)) // msiextract drops the Program Files root
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: extracted %d bytes differ from the %d-byte source", f.Name, len(got), len(want))
		}
	}
}

func TestPackageDeterministic(t *testing.T) {
	p := samplePackage(t, "amd64")
	a, err := os.ReadFile(buildPackage(t, p))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(buildPackage(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same package differ")
	}
	// A different payload must change the bytes (the package code too).
	if err := os.WriteFile(p.Files[1].Src, []byte("port: 9090\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile(buildPackage(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Fatal("changing a file did not change the package")
	}
}

func TestPackageCodes(t *testing.T) {
	p := samplePackage(t, "amd64")
	files := []*fileInfo{}
	for _, f := range p.Files {
		files = append(files, &fileInfo{File: f})
	}
	if err := hashFiles(files); err != nil {
		t.Fatal(err)
	}
	db1, err := buildDatabase(&p, files)
	if err != nil {
		t.Fatal(err)
	}
	q := p
	q.Product.Version, q.Product.FullVersion = "1.2.4", "1.2.4"
	db2, err := buildDatabase(&q, files)
	if err != nil {
		t.Fatal(err)
	}
	// Builds sharing the ProductVersion have product codes of their own.
	r := p
	r.Product.FullVersion = "1.2.3"
	db3, err := buildDatabase(&r, files)
	if err != nil {
		t.Fatal(err)
	}
	prop := func(db *Database, name string) string {
		for _, r := range db.Table("Property").rows {
			if r[0] == name {
				return r[1].(string)
			}
		}
		return ""
	}
	if prop(db1, "ProductCode") == prop(db2, "ProductCode") {
		t.Error("product code did not change with the version")
	}
	if prop(db1, "ProductCode") == prop(db3, "ProductCode") || prop(db1, "ProductVersion") != prop(db3, "ProductVersion") {
		t.Errorf("1.2.3-rc.1 and 1.2.3: product codes %s and %s, versions %s and %s", prop(db1, "ProductCode"), prop(db3, "ProductCode"), prop(db1, "ProductVersion"), prop(db3, "ProductVersion"))
	}
	if db1.Summary.RevisionNumber == db2.Summary.RevisionNumber {
		t.Error("package code did not change with the version")
	}
	c1, c2 := db1.Table("Component").rows, db2.Table("Component").rows
	for i := range c1 {
		if c1[i][1] != c2[i][1] {
			t.Errorf("component %v GUID changed across versions: %v -> %v", c1[i][0], c1[i][1], c2[i][1])
		}
	}
	// RFC 4122 name-based UUID, checked against a published vector:
	// uuid5(NAMESPACE_DNS, "python.org") = 886313e1-3b8a-5372-9b90-0c9aee199e5d.
	dns, _ := parseGUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if got := guidString(uuidV5(dns, "python.org")); got != "{886313E1-3B8A-5372-9B90-0C9AEE199E5D}" {
		t.Errorf("uuidV5 = %s", got)
	}
}

func TestValidate(t *testing.T) {
	base := func() Package { return samplePackage(t, "amd64") }
	tests := []struct {
		name   string
		modify func(*Package)
		want   string
	}{
		{"version over limit", func(p *Package) { p.Product.Version = "256.0.0" }, "255.255.65535"},
		{"build over limit", func(p *Package) { p.Product.Version = "1.2.65536" }, "over the Windows Installer limit"},
		{"prerelease", func(p *Package) { p.Product.Version = "1.2.3-rc1" }, "not a number"},
		{"missing upgrade code", func(p *Package) { p.Product.UpgradeCode = "" }, "upgrade code is missing"},
		{"bad upgrade code", func(p *Package) { p.Product.UpgradeCode = "xyz" }, "not a GUID"},
		{"bad file name", func(p *Package) { p.Files[0].Name = "a:b.exe" }, "cannot hold"},
		{"file name in subdir", func(p *Package) { p.Files[0].Name = `bin\a.exe` }, "cannot hold"},
		{"file name not in code page", func(p *Package) { p.Files[1].Name = "日本.txt" }, "code page"},
		{"duplicate file", func(p *Package) { p.Files[1].Name = "HELLO.EXE" }, "twice"},
		{"account", func(p *Package) { p.Service.Account = `ACME\bob smith` }, "service account"},
		{"start", func(p *Package) { p.Service.Start = "sometimes" }, "want auto, delayed"},
		{"arch", func(p *Package) { p.Product.Arch = "mips" }, "want 386, amd64 or arm64"},
		{"no exe", func(p *Package) { p.Service.Executable = "nope.exe" }, "not among the files"},
		{"no files", func(p *Package) { p.Files = nil }, "no files"},
		{"empty folder path", func(p *Package) { p.Folders = []Folder{{Path: `\`}} }, "want a path relative to the install directory"},
		{"folder escapes", func(p *Package) { p.Folders = []Folder{{Path: "../logs"}} }, "without . or .."},
		{"folder name", func(p *Package) { p.Folders = []Folder{{Path: "a:b"}} }, "cannot hold"},
		{"folder sddl", func(p *Package) { p.Folders = []Folder{{Path: "logs", SDDL: "O:SY"}} }, "want a DACL"},
		{"long description", func(p *Package) { p.Service.Description = strings.Repeat("x", 256) }, "longer than 255 characters"},
		{"description not in code page", func(p *Package) { p.Service.Description = "日本" }, "code page"},
		{"argument not in code page", func(p *Package) { p.Service.Args = []string{"€ is fine, 日 is not"} }, "code page"},
		{"env not in code page", func(p *Package) { p.Service.Env["A"] = "日" }, "code page"},
		{"setting property case", func(p *Package) { p.Service.Settings[0].Property = "Port" }, "upper-case letters"},
		{"setting property reserved", func(p *Package) { p.Service.Settings[0].Property = "REMOVE" }, "Windows Installer's own"},
		{"setting property ours", func(p *Package) { p.Service.Settings[0].Property = "SVCPACK_X" }, "Windows Installer's own"},
		{"setting twice", func(p *Package) { p.Service.Settings[1].Property = "PORT" }, "names two settings"},
		{"setting of no variable", func(p *Package) { p.Service.Settings[0].Env = "NOPE" }, "not among the service's environment"},
		{"two argument settings", func(p *Package) { p.Service.Settings[0].Env = "" }, "two settings set the arguments"},
		{"stop helper missing", func(p *Package) { p.Service.StopHelper = "nope.exe" }, "stop helper"},
		{"config executable", func(p *Package) { p.Files[0].Config = true }, "cannot be a config file"},
		{"failure program quote", func(p *Package) { p.Service.FailureCommand = []string{`C:\a"b.exe`} }, "without double quotes"},
		{"failure command after", func(p *Package) {
			p.Service.FailureCommand, p.Service.CommandAfter = []string{"cmd.exe"}, 101
		}, "want 0 to 100"},
		{"failure command long", func(p *Package) {
			p.Service.FailureCommand = []string{"cmd.exe", strings.Repeat("x", 250)}
		}, "longer than 255 characters"},
	}
	for _, tt := range tests {
		p := base()
		tt.modify(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	p := base()
	if err := p.Validate(); err != nil {
		t.Errorf("valid package: %v", err)
	}
	p.Service.Account = `NT SERVICE\hello`
	if err := p.Validate(); err != nil {
		t.Errorf("virtual account: %v", err)
	}
}

func TestNames(t *testing.T) {
	used := map[string]bool{}
	for _, tt := range []struct{ in, want string }{
		{"hello.exe", "hello.exe"},
		{"Read Me First.txt", "README~1.TXT|Read Me First.txt"},
		{"Read Me Second.txt", "README~2.TXT|Read Me Second.txt"},
		{"config.yaml", "CONFIG~1.YAM|config.yaml"},
		{"noext", "noext"},
		{".hidden", "HIDDEN~1|.hidden"},
	} {
		if got := defaultName(tt.in, used); got != tt.want {
			t.Errorf("defaultName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"run", "run"}, {"with space", `"with space"`}, {`a"b`, `"a\"b"`}, {`c:\x y\`, `"c:\x y\\"`}, {"", `""`},
	} {
		if got := quoteArg(tt.in); got != tt.want {
			t.Errorf("quoteArg(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestRowSchemas checks every table's row type against its columns: names,
// storage types and the Go types that hold them.
func TestRowSchemas(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range allRows() {
		cols, err := rowColumns(r)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(cols) == 0 || !cols[0].Key {
			t.Errorf("%s: the first column must be a key", r.table())
		}
		if seen[r.table()] {
			t.Errorf("%s listed twice", r.table())
		}
		seen[r.table()] = true
		db := NewDatabase()
		if err := addRow(db, r); err == nil {
			// A zero row may be valid (nullable columns only); it must
			// then round-trip its column count.
			if got := len(db.Table(r.table()).Columns); got != len(cols) {
				t.Errorf("%s: %d columns, want %d", r.table(), got, len(cols))
			}
		}
	}
}

// TestPackageWrapped checks the tables of a wrapped service: no arguments
// or environment in its registration (the wrapper has its own), the
// settings recorded for it to read, the stop helper run on removal after
// StopServices and before DeleteServices, and a log folder purged on
// request.
func TestPackageWrapped(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	p.Files = append(p.Files, File{Name: "svcwrap.exe", Src: p.Files[0].Src})
	p.Service.Executable = "svcwrap.exe"
	p.Service.Wrapped, p.Service.Args, p.Service.Env = true, nil, nil
	p.Service.Settings = []Setting{{Property: "PORT", Env: "Port"}, {Property: "SERVICE_ARGS"}}
	p.Service.StopHelper, p.Service.StopArgs = "svcwrap.exe", []string{"-stop-service", "hello", "-timeout", "40s"}
	p.Folders = []Folder{{Path: "logs", Purge: []string{"hello.log", "hello.1.log"}}}
	path := buildPackage(t, p)
	for tbl, wants := range map[string][]string{
		"ServiceInstall":         {"\tNT AUTHORITY\\LocalService\t\t\tC_svcwrap.exe\t"},
		"CustomAction":           {"SvcpackWaitStopped\t3154\tsvcwrap.exe\t-stop-service hello -timeout 40s\t"},
		"InstallExecuteSequence": {"SvcpackWaitStopped\t$C_svcwrap.exe=2\t1950", "StopServices\tVersionNT\t1900", "DeleteServices\tVersionNT\t2000"},
		"Registry": {"R_setting_PORT\t2\tSYSTEM\\CurrentControlSet\\Services\\hello\\Parameters\\Environment\tPort\t[PORT]\tC_setting_PORT",
			"SvcEventMessageFile\t2\t" + eventKey + "\tEventMessageFile\t" + eventMessageFile + "\tC_svcwrap.exe"},
		"RemoveFile": {
			// Files first, every one of the install folder and the logs,
			// then the folders from the deepest up, the vendor's last.
			"P001_INSTALLDIR__\tC_svcwrap.exe\t*\tSvcpackPurge_INSTALLDIR\t2",
			"P002_D_logs_hello.log\tC_svcwrap.exe\thello.log\tSvcpackPurge_D_logs\t2",
			"P003_D_logs_hello.1.log\tC_svcwrap.exe\tHELLO1~1.LOG|hello.1.log\tSvcpackPurge_D_logs\t2",
			"P004_D_logs__\tC_svcwrap.exe\t*\tSvcpackPurge_D_logs\t2",
			"Q000_D_logs\tC_svcwrap.exe\t\tSvcpackPurge_D_logs\t2",
			"Q001_INSTALLDIR\tC_svcwrap.exe\t\tSvcpackPurge_INSTALLDIR\t2",
			"Q002_INSTALLDIR_1\tC_svcwrap.exe\t\tSvcpackPurge_INSTALLDIR_1\t2",
		},
	} {
		exp := run(t, msiinfo, "export", path, tbl)
		for _, w := range wants {
			if !strings.Contains(exp, w) {
				t.Errorf("%s lacks %q:\n%s", tbl, w, exp)
			}
		}
	}
	for tbl, unwanted := range map[string]string{"Registry": "SvcEnvironment", "Property": "SvcpackArgs", "CustomAction": "SvcpackSet_"} {
		if exp := run(t, msiinfo, "export", path, tbl); strings.Contains(exp, unwanted) {
			t.Errorf("%s of a wrapped service holds %s:\n%s", tbl, unwanted, exp)
		}
	}
}

// TestPackagePreshutdown: the preshutdown timeout is a MsiServiceConfig row
// of type 7 (SERVICE_CONFIG_PRESHUTDOWN_INFO) in milliseconds, applied by
// MsiConfigureServices on install and reinstall; without it there is no
// such row. Read back with msiinfo.
func TestPackagePreshutdown(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	p.Service.PreshutdownTimeout = 45 * time.Second
	exp := run(t, msiinfo, "export", buildPackage(t, p), "MsiServiceConfig")
	if !strings.Contains(exp, "SvcPreshutdown\thello\t5\t7\t45000\tC_hello.exe") {
		t.Errorf("MsiServiceConfig lacks the preshutdown row:\n%s", exp)
	}
	p = samplePackage(t, "amd64")
	if exp := run(t, msiinfo, "export", buildPackage(t, p), "MsiServiceConfig"); strings.Contains(exp, "SvcPreshutdown") {
		t.Errorf("a preshutdown row without a timeout:\n%s", exp)
	}
	p.Service.PreshutdownTimeout = -time.Second
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "preshutdown timeout") {
		t.Errorf("a negative timeout: %v", err)
	}
}
