package msi

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// builder authors the standard tables of one package, a typed row at a
// time; the first error sticks.
type builder struct {
	p        *Package
	db       *Database
	err      error
	ns       [16]byte // the upgrade code: the namespace of every derived GUID
	version  string   // ProductVersion
	lang     int
	compAttr int             // Component.Attributes for the architecture
	keys     map[string]bool // identifiers taken
	dirs     map[string]string
	execute  []sequenceRow // InstallExecuteSequence rows beyond the standard ones
	ui       []sequenceRow // InstallUISequence rows beyond the standard ones
	secure   []string      // public properties the execute sequence needs (SecureCustomProperties)
}

func (b *builder) add(r row) {
	if b.err == nil {
		b.err = addRow(b.db, r)
	}
}

// buildDatabase authors every table and the summary information of p.
func buildDatabase(p *Package, files []*fileInfo) (*Database, error) {
	pr := &p.Product
	ver, _ := parseVersion(pr.Version)
	ns, _ := parseGUID(pr.UpgradeCode)
	b := &builder{
		p: p, db: NewDatabase(), ns: ns,
		version: fmt.Sprintf("%d.%d.%d", ver[0], ver[1], ver[2]),
		lang:    pr.Language,
		keys:    map[string]bool{},
		dirs:    map[string]string{"": installDirID},
	}
	if b.lang == 0 {
		b.lang = 1033
	}
	if pr.Arch != "386" {
		b.compAttr = 256 // msidbComponentAttributes64bit
	}
	b.directories()
	b.files(files)
	b.folders()
	b.upgrades()
	if p.Service != nil {
		b.service(files)
	}
	b.purge(files)
	if err := b.properties(); err != nil {
		return nil, err
	}
	b.sequences()
	if b.err != nil {
		return nil, b.err
	}
	b.db.Summary = b.summary(files)
	return b.db, nil
}

// directories adds TARGETDIR > Program Files > the install_dir segments.
func (b *builder) directories() {
	pf := "ProgramFiles64Folder"
	if b.p.Product.Arch == "386" {
		pf = "ProgramFilesFolder"
	}
	b.add(directoryRow{Directory: "TARGETDIR", DefaultDir: "SourceDir"})
	b.add(directoryRow{Directory: pf, Parent: "TARGETDIR", DefaultDir: "."})
	parent := pf
	segs := installDirSegments(&b.p.Product)
	for i, seg := range segs {
		id := installDirID
		if i < len(segs)-1 {
			id = fmt.Sprintf("INSTALLDIR_%d", i+1)
		}
		b.add(directoryRow{Directory: id, Parent: parent, DefaultDir: defaultName(seg, map[string]bool{})})
		parent = id
	}
}

// dir returns the Directory id of a folder relative to the install
// directory ("" is the install directory), adding the rows of the folders
// on its way.
func (b *builder) dir(rel string) string {
	done := ""
	for _, seg := range folderSegments(rel) {
		parent := b.dirs[done]
		done = path.Join(done, seg)
		if _, ok := b.dirs[done]; !ok {
			b.dirs[done] = identifier("D_", done, b.keys)
			b.add(directoryRow{Directory: b.dirs[done], Parent: parent, DefaultDir: defaultName(seg, map[string]bool{})})
		}
	}
	return b.dirs[done]
}

// componentGUID is a component's GUID, stable across versions:
// UUIDv5(upgrade code, arch + component key).
func (b *builder) componentGUID(component string) string {
	return guidString(uuidV5(b.ns, "Component\x00"+b.p.Product.Arch+"\x00"+component))
}

// Component attributes.
const (
	compRegistryKeyPath = 4   // msidbComponentAttributesRegistryKeyPath
	compPermanent       = 16  // msidbComponentAttributesPermanent
	compNeverOverwrite  = 128 // msidbComponentAttributesNeverOverwrite
)

// files adds one component per file, keyed by the file, the File and
// MsiFileHash rows, and the Media row of the embedded cabinet. A config
// file's component is permanent (an uninstall, the one a major upgrade
// runs included, leaves it) and never overwritten (an install or repair
// finding the file leaves it as it is), so an administrator's edits stay.
func (b *builder) files(files []*fileInfo) {
	pr := &b.p.Product
	var title string // Feature.Title holds at most 64 characters
	if len([]rune(pr.Name)) <= 64 {
		title = pr.Name
	}
	b.add(featureRow{Feature: featureID, Title: title, Display: intp(1), Level: 1, Directory: installDirID})
	shorts := map[string]bool{}
	for i, f := range files {
		f.key = identifier("", f.Name, b.keys)
		f.component = identifier("C_", f.Name, b.keys)
		dir, base := path.Split(f.Name)
		attr := b.compAttr
		if f.Config {
			attr |= compPermanent | compNeverOverwrite
		}
		f.dir, f.fileName = b.dir(dir), defaultName(base, shorts)
		b.add(componentRow{Component: f.component, ComponentID: b.componentGUID(f.component), Directory: f.dir, Attributes: attr, KeyPath: f.key})
		b.add(featureComponentsRow{Feature: featureID, Component: f.component})
		b.add(fileRow{File: f.key, Component: f.component, FileName: f.fileName, FileSize: int(f.size), Attributes: intp(512), Sequence: i + 1})
		part := func(j int) int { return int(int32(binary.LittleEndian.Uint32(f.md5[4*j:]))) }
		b.add(msiFileHashRow{File: f.key, Part1: part(0), Part2: part(1), Part3: part(2), Part4: part(3)})
	}
	b.add(mediaRow{DiskID: 1, LastSequence: len(files), Cabinet: "#" + cabinetName})
}

// Access masks of LockPermissions rows: GENERIC_ALL, and modify (read,
// write, execute and delete: FILE_GENERIC_READ|WRITE|EXECUTE and DELETE).
const (
	genericAll = 0x10000000
	modify     = 0x1301bf
)

// folders adds, for each empty folder, a component with a CreateFolder row
// and, with an SDDL, an MsiLockPermissionsEx row; and one for each vendor
// folder above the install folder.
func (b *builder) folders() {
	for _, f := range b.p.Folders {
		rel := path.Join(folderSegments(f.Path)...)
		dir := b.dir(rel)
		comp := identifier("C_", "folder_"+rel, b.keys)
		b.add(componentRow{Component: comp, ComponentID: b.componentGUID(comp), Directory: dir, Attributes: b.compAttr})
		b.add(featureComponentsRow{Feature: featureID, Component: comp})
		b.add(createFolderRow{Directory: dir, Component: comp})
		if f.SDDL != "" {
			b.add(lockPermissionsRow{ID: identifier("L_", rel, b.keys), LockObject: dir, Table: "CreateFolder", SDDL: literal(f.SDDL)})
		}
		if g := f.Grant; g != nil {
			// LocalSystem gets full control in every descriptor these rows
			// make; Administrators is a name Windows Installer maps to its
			// SID whatever the system's language. A local account's domain
			// is the computer's name.
			domain := literal(g.Domain)
			if g.Domain == "" {
				domain = ref("ComputerName")
			}
			b.add(grantRow{LockObject: dir, Table: "CreateFolder", User: literal("Administrators"), Permission: intp(genericAll)})
			b.add(grantRow{LockObject: dir, Table: "CreateFolder", Domain: domain, User: literal(g.User), Permission: intp(modify)})
		}
	}
	// The vendor's folders above the install folder, each a component of
	// its own: uninstalling removes them when empty (Wine removes only the
	// folders of components, and their subfolders).
	segs := installDirSegments(&b.p.Product)
	for i := range len(segs) - 1 {
		dir := fmt.Sprintf("INSTALLDIR_%d", i+1)
		comp := identifier("C_vendor_", dir, b.keys)
		b.add(componentRow{Component: comp, ComponentID: b.componentGUID(comp), Directory: dir, Attributes: b.compAttr})
		b.add(featureComponentsRow{Feature: featureID, Component: comp})
		b.add(createFolderRow{Directory: dir, Component: comp})
	}
	if len(b.p.Folders) > 0 || len(segs) > 1 {
		b.execute = append(b.execute, seq("RemoveFolders", "", 3600), seq("CreateFolders", "", 3700))
	}
}

// properties adds the product's properties and its icon.
func (b *builder) properties() error {
	pr := &b.p.Product
	props := [][2]string{
		{"ProductCode", productCode(b.ns, pr.Arch, cmp.Or(pr.FullVersion, b.version))},
		{"ProductName", pr.Name},
		{"ProductVersion", b.version},
		{"ProductLanguage", strconv.Itoa(b.lang)},
		{"Manufacturer", pr.Manufacturer},
		{"UpgradeCode", guidString(b.ns)},
		{"ALLUSERS", "1"},
		{"ARPNOMODIFY", "1"},
		{"SecureCustomProperties", strings.Join(append([]string{downgradeProp, upgradeProp}, b.secure...), ";")},
	}
	if pr.URL != "" {
		props = append(props, [2]string{"ARPURLINFOABOUT", pr.URL}, [2]string{"ARPHELPLINK", pr.URL})
	}
	if pr.Icon != "" {
		data, err := os.ReadFile(pr.Icon)
		if err != nil {
			return fmt.Errorf("msi: icon: %w", err)
		}
		if len(data) < 6 || binary.LittleEndian.Uint32(data) != 0x00010000 {
			return fmt.Errorf("msi: icon %s is not a .ico file", pr.Icon)
		}
		b.add(iconRow{Name: iconID, Data: data})
		props = append(props, [2]string{"ARPPRODUCTICON", iconID})
	}
	for _, kv := range props {
		b.add(propertyRow{Property: kv[0], Value: kv[1]})
	}
	return nil
}

// upgrades adds the major upgrade: detect older versions, and other builds
// of this ProductVersion (another pre-release, a build after the tag), to
// remove, and newer ones to refuse with a launch condition.
func (b *builder) upgrades() {
	code := guidString(b.ns)
	b.add(upgradeRow{UpgradeCode: code, VersionMax: b.version, Attributes: 1 | 0x200, ActionProperty: upgradeProp}) // msidbUpgradeAttributesMigrateFeatures | VersionMaxInclusive
	b.add(upgradeRow{UpgradeCode: code, VersionMin: b.version, Attributes: 2, ActionProperty: downgradeProp})       // msidbUpgradeAttributesOnlyDetect
	b.add(launchConditionRow{Condition: "NOT " + downgradeProp, Description: literal("A newer version of " + b.p.Product.Name + " is already installed.")})
}

// service adds the service tables.
func (b *builder) service(files []*fileInfo) {
	s := b.p.Service
	exe, _ := serviceExe(b.p)
	var comp string
	for _, f := range files {
		if f.Name == exe {
			comp = f.component
		}
	}
	account, _ := startName(s.Account)
	display := s.DisplayName
	if display == "" {
		display = s.Name
	}
	name := literal(s.Name)
	arguments := quoteArgs(s.Args)
	if s.Wrapped {
		arguments = ""
	}
	effective := b.settings(s) // the formatted values that settings given at install replace
	if v, ok := effective[""]; ok {
		arguments = v
	}
	deps, err := dependencies(s.Dependencies)
	if err != nil && b.err == nil {
		b.err = err
	}
	var password formatted
	if userAccountRE.MatchString(account) {
		// Given at install only, hidden from logs, required by a launch
		// condition (InstallServices would fail without it, less clearly).
		password = ref(PasswordProperty)
		b.secure = append(b.secure, PasswordProperty)
		b.add(propertyRow{Property: "MsiHiddenProperties", Value: PasswordProperty})
		b.add(launchConditionRow{Condition: "Installed OR " + PasswordProperty, Description: literal(
			"The service runs as " + account + ": give its password, msiexec /i <this package> " + PasswordProperty + "=...")})
	}
	b.add(serviceInstallRow{
		ID: "Svc", Name: name, DisplayName: literal(display), ServiceType: 0x10, StartType: startTypes[s.Start],
		ErrorControl: 1, StartName: literal(account), Password: password, Arguments: arguments, Component: comp,
		Description: literal(s.Description), Dependencies: deps,
	})
	// Start on install (when it starts automatically), stop on install and
	// uninstall, delete on uninstall.
	event := 2 | 32 | 128
	if startTypes[s.Start] == 2 {
		event |= 1
	}
	b.add(serviceControlRow{ID: "SvcControl", Name: name, Event: event, Wait: intp(1), Component: comp})
	b.execute = append(b.execute,
		seq("StopServices", "VersionNT", 1900),
		seq("DeleteServices", "VersionNT", 2000),
		seq("InstallServices", "VersionNT", 5800),
		seq("StartServices", "VersionNT", 5900))
	configure := false
	if s.Start == serviceDelayed {
		// SERVICE_CONFIG_DELAYED_AUTO_START_INFO, on install and reinstall.
		b.add(serviceConfigRow{ID: "SvcDelayed", Name: name, Event: 1 | 4, ConfigType: 3, Argument: "1", Component: comp})
		configure = true
	}
	if s.RestartDelay > 0 {
		ms := strconv.FormatInt(s.RestartDelay.Milliseconds(), 10)
		var reset *int
		if s.ResetAfter > 0 {
			reset = intp(int(s.ResetAfter / time.Second))
		}
		actions, command := []string{"1", "1", "1"}, formatted("") // SC_ACTION_RESTART three times
		if len(s.FailureCommand) > 0 {
			// SC_ACTION_RESTART CommandAfter times, then SC_ACTION_RUN_COMMAND,
			// which the service manager repeats for every later failure.
			actions = append(slices.Repeat([]string{"1"}, s.CommandAfter), "3")
			command = literalMarked(failureCommandLine(s.FailureCommand))
		}
		b.add(serviceFailureActionsRow{ID: "SvcRecovery", Name: name, Event: 1 | 4, ResetPeriod: reset,
			Command: command, Actions: formatted(strings.Join(actions, "[~]")),
			DelayActions: formatted(strings.Repeat(ms+"[~]", len(actions)-1) + ms), Component: comp})
		// SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: recovery also when the
		// service stops with an error exit code (as svcpack's service
		// wrapper does after too many restarts), not only on a crash; the
		// zip's install-service.cmd does the same with sc failureflag.
		b.add(serviceConfigRow{ID: "SvcFailureFlag", Name: name, Event: 1 | 4, ConfigType: 4, Argument: "1", Component: comp})
		configure = true
	}
	if s.PreshutdownTimeout > 0 {
		// SERVICE_CONFIG_PRESHUTDOWN_INFO, in milliseconds, on install and
		// reinstall.
		ms := formatted(strconv.FormatInt(s.PreshutdownTimeout.Milliseconds(), 10))
		b.add(serviceConfigRow{ID: "SvcPreshutdown", Name: name, Event: 1 | 4, ConfigType: 7, Argument: ms, Component: comp})
		configure = true
	}
	if configure {
		b.execute = append(b.execute, seq("MsiConfigureServices", `VersionMsi >= "5.00"`, 5850))
	}
	if len(s.Env) > 0 && !s.Wrapped {
		v := formatted("[~]")
		for _, k := range slices.Sorted(maps.Keys(s.Env)) {
			if e, ok := effective[k]; ok {
				v += literal(k+"=") + e
			} else {
				v += literalMarked(k + "=" + s.Env[k])
			}
			v += "[~]"
		}
		key := literal(`SYSTEM\CurrentControlSet\Services\` + s.Name)
		b.add(registryRow{Registry: "SvcEnvironment", Root: 2, Key: key, Name: "Environment", Value: v, Component: comp})
	}
	if s.EventSource {
		b.eventSource(s.Name, comp)
	}
	if b.db.Table("Registry") != nil {
		b.execute = append(b.execute, seq("RemoveRegistryValues", "", 2600), seq("WriteRegistryValues", "", 5000))
	}
	if s.StopHelper != "" {
		var helper *fileInfo
		for _, f := range files {
			if f.Name == s.StopHelper {
				helper = f
			}
		}
		// After StopServices, before DeleteServices and RemoveFiles, when
		// the helper's own component is being removed (an uninstall, or
		// the one a major upgrade runs). Deferred and as LocalSystem, like
		// the service actions; its exit code is logged, not fatal: a
		// service that will not stop must not make the product impossible
		// to remove.
		b.add(customActionRow{Action: stopHelperAction, Type: caExe | caSourceFile | caContinue | caInScript | caNoImpersonate, Source: helper.key, Target: quoteArgs(s.StopArgs)})
		b.execute = append(b.execute, seq(stopHelperAction, "$"+helper.component+"=2", 1950))
	}
}

// eventSource adds the Registry rows of the service's event source, in its
// component: the key, created on install and removed with everything in it
// on uninstall (Name "*", no value), the message file as REG_EXPAND_SZ
// ("#%"), the supported types (error, warning, information) and
// CustomSource as REG_DWORD ("#"), the values eventlog.InstallAsEventCreate
// writes.
func (b *builder) eventSource(name, comp string) {
	key := literal(EventSourceKey(name))
	for _, r := range []struct {
		id    string
		name  formatted
		value formatted
	}{
		{"SvcEventSource", "*", ""},
		{"SvcEventMessageFile", "EventMessageFile", literal("#%" + EventMessageFile)},
		{"SvcEventTypes", "TypesSupported", "#7"},
		{"SvcEventCustom", "CustomSource", "#1"},
	} {
		b.add(registryRow{Registry: r.id, Root: 2, Key: key, Name: r.name, Value: r.value, Component: comp})
	}
}

// Custom action types (the Windows Installer SDK's msidbCustomActionType*).
const (
	caExe           = 2    // run an executable
	caTextData      = 3    // with caProperty: set a property from formatted text (type 51)
	caSourceFile    = 16   // the executable is a file the package installs (type 18)
	caProperty      = 48   // the source is a property
	caContinue      = 64   // ignore the exit code
	caInScript      = 1024 // deferred: run in the installation script
	caNoImpersonate = 2048 // run as LocalSystem
	caSetProperty   = caTextData | caProperty
)

const stopHelperAction = "SvcpackWaitStopped"

// settings adds the install-time settings of s: for each, AppSearch and a
// RegLocator read the value an earlier installation recorded into
// SVCPACK_OLD_<property>, a custom action restores it unless the
// property was given, and a registry value in a component conditioned on
// the property records it under RegistryKey. For a service that is not
// wrapped it returns, by environment variable ("" for the arguments), the
// formatted text of the effective value: a private property holding the
// default, which the given value replaces.
func (b *builder) settings(s *Service) map[string]formatted {
	effective := map[string]formatted{}
	locType := 2 // msidbLocatorTypeRawValue
	if b.compAttr != 0 {
		locType |= 16 // msidbLocatorType64bit
	}
	for i, st := range s.Settings {
		old := "SVCPACK_OLD_" + st.Property
		key, name := RegistryKey(s.Name), "Arguments"
		if st.Env != "" {
			key, name = key+`\Environment`, st.Env
		}
		sig := identifier("Setting_", st.Property, b.keys)
		b.add(appSearchRow{Property: old, Signature: sig})
		b.add(regLocatorRow{Signature: sig, Root: 2, Key: literal(key), Name: literal(name), Type: intp(locType)})
		restore := identifier("SvcpackRestore_", st.Property, b.keys)
		b.add(customActionRow{Action: restore, Type: caSetProperty, Source: st.Property, Target: ref(old)})
		b.both(seq(restore, "NOT "+st.Property+" AND "+old, 60+i))
		b.secure = append(b.secure, st.Property, old)

		comp := identifier("C_setting_", st.Property, b.keys)
		reg := identifier("R_setting_", st.Property, b.keys)
		b.add(componentRow{Component: comp, ComponentID: b.componentGUID(comp), Directory: installDirID, Attributes: b.compAttr | compRegistryKeyPath, Condition: st.Property, KeyPath: reg})
		b.add(featureComponentsRow{Feature: featureID, Component: comp})
		b.add(registryRow{Registry: reg, Root: 2, Key: literal(key), Name: literal(name), Value: ref(st.Property), Component: comp})

		if s.Wrapped {
			continue
		}
		prop, def := "SvcpackArgs", commandLine(s.Args)
		if st.Env != "" {
			prop, def = identifier("SvcpackEnv_", st.Env, b.keys), s.Env[st.Env]
		}
		switch {
		case strings.Contains(def, InstallDirMark):
			// A default naming the install folder is formatted once the
			// folder is known (CostFinalize), unless the setting was given.
			deflt := identifier("SvcpackDefault_", st.Property, b.keys)
			b.add(customActionRow{Action: deflt, Type: caSetProperty, Source: prop, Target: literalMarked(def)})
			b.both(seq(deflt, "NOT "+st.Property, 1100+i))
		case def != "": // a property's value is never empty: unset means ""
			b.add(propertyRow{Property: prop, Value: def})
		}
		set := identifier("SvcpackSet_", st.Property, b.keys)
		b.add(customActionRow{Action: set, Type: caSetProperty, Source: prop, Target: ref(st.Property)})
		b.both(seq(set, st.Property, 160+i))
		effective[st.Env] = ref(prop)
	}
	if len(s.Settings) > 0 {
		b.both(seq("AppSearch", "", 50))
	}
	return effective
}

// both adds a row to InstallUISequence and InstallExecuteSequence: the
// first that runs does the work (with /qn only the second does).
func (b *builder) both(r sequenceRow) {
	b.ui = append(b.ui, r)
	b.execute = append(b.execute, r)
}

// purge adds what uninstalling with PURGE=1 removes besides the product:
// the config files, every file of the install folder and of the Folders
// (logs, data, the program's own files: a wildcard, which Wine 8 ignores,
// and the files Folder.Purge names), then those folders and the
// vendor folders above the install folder, each when empty. RemoveFile
// rows have no condition, so each folder's rows name a private property
// that a custom action sets to the folder's path only when PURGE="1" on a
// removal that is not a major upgrade's; unset, Windows Installer skips the
// rows. They belong to a component that every uninstall removes (the
// service executable's, else the first file's that is not a config file).
// Their keys order the rows as RemoveFiles takes them: files first, then
// folders from the deepest up, so each folder is empty when its turn
// comes.
func (b *builder) purge(files []*fileInfo) {
	var anchor string
	exe := ""
	if b.p.Service != nil {
		exe, _ = serviceExe(b.p)
	}
	for _, f := range files {
		if !f.Config && (anchor == "" || f.Name == exe) {
			anchor = f.component
		}
	}
	if anchor == "" {
		return
	}
	depth := map[string]int{} // Directory id -> depth below the install folder
	var dirs []string         // in the order first named
	addDir := func(id string, d int) {
		if _, ok := depth[id]; !ok {
			dirs = append(dirs, id)
			depth[id] = d
		}
	}
	type fileRow struct{ dir, fileName, long string }
	var rows []fileRow
	for _, f := range files {
		if f.Config {
			rows = append(rows, fileRow{f.dir, f.fileName, path.Base(f.Name)})
			addDir(f.dir, strings.Count(f.Name, "/")) // conf/app.yaml is one folder down
		}
	}
	addDir(installDirID, 0)
	rows = append(rows, fileRow{installDirID, "*", "*"})
	for _, fo := range b.p.Folders {
		segs := folderSegments(fo.Path)
		dir := b.dirs[path.Join(segs...)]
		addDir(dir, len(segs))
		used := map[string]bool{}
		for _, name := range fo.Purge {
			rows = append(rows, fileRow{dir, defaultName(name, used), name})
		}
		rows = append(rows, fileRow{dir, "*", "*"})
	}
	segs := installDirSegments(&b.p.Product)
	for i := len(segs) - 2; i >= 0; i-- { // the vendor folders, when the install folder was their only content
		addDir(fmt.Sprintf("INSTALLDIR_%d", i+1), i-len(segs)+1)
	}
	props := map[string]string{}
	for i, dir := range dirs {
		prop := identifier("SvcpackPurge_", dir, b.keys)
		props[dir] = prop
		b.add(customActionRow{Action: prop, Type: caSetProperty, Source: prop, Target: ref(dir)})
		b.execute = append(b.execute, seq(prop, purgeProp+`="1" AND REMOVE~="ALL" AND NOT UPGRADINGPRODUCTCODE`, 1010+i))
	}
	for i, r := range rows {
		key := identifier(fmt.Sprintf("P%03d_", i), r.dir+"_"+r.long, b.keys)
		b.add(removeFileRow{FileKey: key, Component: anchor, FileName: r.fileName, DirProperty: props[r.dir], InstallMode: 2}) // msidbRemoveFileInstallModeOnRemove
	}
	byDepth := slices.Clone(dirs)
	slices.SortStableFunc(byDepth, func(a, b string) int { return depth[b] - depth[a] })
	for i, dir := range byDepth {
		key := identifier(fmt.Sprintf("Q%03d_", i), dir, b.keys)
		b.add(removeFileRow{FileKey: key, Component: anchor, DirProperty: props[dir], InstallMode: 2})
	}
	b.secure = append(b.secure, purgeProp)
}

// seq is a sequence row.
func seq(action, condition string, n int) sequenceRow {
	return sequenceRow{Action: action, Condition: condition, Sequence: intp(n)}
}

// sequences adds the five sequence tables: the standard actions, and in
// InstallExecuteSequence those the folders and the service need.
func (b *builder) sequences() {
	tables := []struct {
		name string
		rows []sequenceRow
	}{
		{"InstallExecuteSequence", append([]sequenceRow{
			seq("FindRelatedProducts", "", 25), seq("LaunchConditions", "", 100), seq("ValidateProductID", "", 700),
			seq("CostInitialize", "", 800), seq("FileCost", "", 900), seq("CostFinalize", "", 1000),
			seq("MigrateFeatureStates", "", 1200), seq("InstallValidate", "", 1400), seq("RemoveExistingProducts", "", 1401),
			seq("InstallInitialize", "", 1500), seq("ProcessComponents", "", 1600), seq("UnpublishFeatures", "", 1800),
			seq("RemoveFiles", "", 3500), seq("InstallFiles", "", 4000), seq("RegisterUser", "", 6000),
			seq("RegisterProduct", "", 6100), seq("PublishFeatures", "", 6300), seq("PublishProduct", "", 6400),
			seq("InstallFinalize", "", 6600),
		}, b.execute...)},
		{"InstallUISequence", append([]sequenceRow{
			seq("FindRelatedProducts", "", 25), seq("LaunchConditions", "", 100), seq("ValidateProductID", "", 700),
			seq("CostInitialize", "", 800), seq("FileCost", "", 900), seq("CostFinalize", "", 1000),
			seq("MigrateFeatureStates", "", 1200), seq("ExecuteAction", "", 1300),
		}, b.ui...)},
		{"AdminExecuteSequence", []sequenceRow{
			seq("CostInitialize", "", 800), seq("FileCost", "", 900), seq("CostFinalize", "", 1000),
			seq("InstallValidate", "", 1400), seq("InstallInitialize", "", 1500), seq("InstallAdminPackage", "", 3900),
			seq("InstallFiles", "", 4000), seq("InstallFinalize", "", 6600),
		}},
		{"AdminUISequence", []sequenceRow{
			seq("CostInitialize", "", 800), seq("FileCost", "", 900), seq("CostFinalize", "", 1000), seq("ExecuteAction", "", 1300),
		}},
		{"AdvtExecuteSequence", []sequenceRow{
			seq("CostInitialize", "", 800), seq("CostFinalize", "", 1000), seq("InstallValidate", "", 1400),
			seq("InstallInitialize", "", 1500), seq("PublishFeatures", "", 6300), seq("PublishProduct", "", 6400),
			seq("InstallFinalize", "", 6600),
		}},
	}
	for _, t := range tables {
		for _, r := range t.rows {
			r.tbl = t.name
			b.add(r)
		}
	}
}

// summary is the summary information stream.
func (b *builder) summary(files []*fileInfo) SummaryInfo {
	pr := &b.p.Product
	return SummaryInfo{
		Title:          "Installation Database",
		Subject:        pr.Name,
		Author:         pr.Manufacturer,
		Keywords:       "Installer",
		Comments:       "This installer database contains the logic and data required to install " + pr.Name + ".",
		Template:       fmt.Sprintf("%s;%d", archTemplates[pr.Arch], b.lang),
		RevisionNumber: packageCode(b.p, files, b.ns),
		Created:        b.p.Date,
		Saved:          b.p.Date,
		PageCount:      msiVersionNeeded,
		WordCount:      2, // compressed source files
		Creator:        "svcpack",
		Security:       2,
	}
}

// dependencyRE is a Windows service name the installers may name.
var dependencyRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,255}$`)

// dependencies is the ServiceInstall.Dependencies value: each name, then
// [~] (a null) after each and one more at the end, as the list of
// null-terminated names the service manager takes.
func dependencies(names []string) (formatted, error) {
	if len(names) == 0 {
		return "", nil
	}
	var f formatted
	for _, n := range names {
		if !dependencyRE.MatchString(n) {
			return "", fmt.Errorf("msi: dependency %q is not a service name: want letters, digits and _ . -", n)
		}
		f += literal(n) + "[~]"
	}
	return f + "[~]", nil
}
