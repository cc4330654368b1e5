package msi

// The standard tables Write authors, one struct per table. Each field is a
// column, in order; its msi tag gives the column name, the storage type in
// the Windows Installer SDK's export notation (s/S string, l/L localizable
// string, i/I integer of 2 or 4 bytes, v/V binary, followed by the size;
// upper case is nullable; a trailing * marks a key column) and the
// _Validation category, the one place that says how Windows Installer
// reads the column. The Go type follows the storage type: string for
// strings ("" is null), formatted for the categories Windows Installer
// formats at install time, int for integers, *int for nullable integers,
// []byte for binary data. rowColumns checks the tags against the field
// types, and a test runs it over every row type (allRows); addRow checks
// each value against its category (checkCategory).

// row is a row of one of the standard tables.
type row interface{ table() string }

// allRows lists one value of every row type, for the schema test.
func allRows() []row {
	return []row{
		sequenceRow{tbl: "InstallExecuteSequence"}, appSearchRow{}, componentRow{}, createFolderRow{}, customActionRow{},
		directoryRow{}, featureRow{}, featureComponentsRow{}, fileRow{}, iconRow{}, launchConditionRow{}, mediaRow{},
		msiFileHashRow{}, lockPermissionsRow{}, grantRow{}, serviceConfigRow{}, serviceFailureActionsRow{}, propertyRow{},
		registryRow{}, regLocatorRow{}, removeFileRow{}, serviceControlRow{}, serviceInstallRow{}, upgradeRow{},
	}
}

// sequenceRow is a row of one of the sequence tables (tbl names which).
type sequenceRow struct {
	Action    string `msi:"Action,s72*,Identifier"`
	Condition string `msi:"Condition,S255,Condition"`
	Sequence  *int   `msi:"Sequence,I2"`

	tbl string
}

func (r sequenceRow) table() string { return r.tbl }

type appSearchRow struct {
	Property  string `msi:"Property,s72*,Identifier"`
	Signature string `msi:"Signature_,s72*,Identifier"`
}

func (appSearchRow) table() string { return "AppSearch" }

type componentRow struct {
	Component   string `msi:"Component,s72*,Identifier"`
	ComponentID string `msi:"ComponentId,S38,Guid"`
	Directory   string `msi:"Directory_,s72,Identifier"`
	Attributes  int    `msi:"Attributes,i2"`
	Condition   string `msi:"Condition,S255,Condition"`
	KeyPath     string `msi:"KeyPath,S72,Identifier"`
}

func (componentRow) table() string { return "Component" }

type createFolderRow struct {
	Directory string `msi:"Directory_,s72*,Identifier"`
	Component string `msi:"Component_,s72*,Identifier"`
}

func (createFolderRow) table() string { return "CreateFolder" }

type customActionRow struct {
	Action       string    `msi:"Action,s72*,Identifier"`
	Type         int       `msi:"Type,i2"`
	Source       string    `msi:"Source,S72,CustomSource"`
	Target       formatted `msi:"Target,S255,Formatted"`
	ExtendedType *int      `msi:"ExtendedType,I4"`
}

func (customActionRow) table() string { return "CustomAction" }

type directoryRow struct {
	Directory  string `msi:"Directory,s72*,Identifier"`
	Parent     string `msi:"Directory_Parent,S72,Identifier"`
	DefaultDir string `msi:"DefaultDir,l255,DefaultDir"`
}

func (directoryRow) table() string { return "Directory" }

type featureRow struct {
	Feature     string `msi:"Feature,s38*,Identifier"`
	Parent      string `msi:"Feature_Parent,S38,Identifier"`
	Title       string `msi:"Title,L64,Text"`
	Description string `msi:"Description,L255,Text"`
	Display     *int   `msi:"Display,I2"`
	Level       int    `msi:"Level,i2"`
	Directory   string `msi:"Directory_,S72,UpperCase"`
	Attributes  int    `msi:"Attributes,i2"`
}

func (featureRow) table() string { return "Feature" }

type featureComponentsRow struct {
	Feature   string `msi:"Feature_,s38*,Identifier"`
	Component string `msi:"Component_,s72*,Identifier"`
}

func (featureComponentsRow) table() string { return "FeatureComponents" }

type fileRow struct {
	File       string `msi:"File,s72*,Identifier"`
	Component  string `msi:"Component_,s72,Identifier"`
	FileName   string `msi:"FileName,l255,Filename"`
	FileSize   int    `msi:"FileSize,i4"`
	Version    string `msi:"Version,S72,Version"`
	Language   string `msi:"Language,S20,Language"`
	Attributes *int   `msi:"Attributes,I2"`
	Sequence   int    `msi:"Sequence,i4"`
}

func (fileRow) table() string { return "File" }

type iconRow struct {
	Name string `msi:"Name,s72*,Identifier"`
	Data []byte `msi:"Data,v0,Binary"`
}

func (iconRow) table() string { return "Icon" }

type launchConditionRow struct {
	Condition   string    `msi:"Condition,s255*,Condition"`
	Description formatted `msi:"Description,l255,Formatted"`
}

func (launchConditionRow) table() string { return "LaunchCondition" }

type mediaRow struct {
	DiskID       int    `msi:"DiskId,i2*"`
	LastSequence int    `msi:"LastSequence,i4"`
	DiskPrompt   string `msi:"DiskPrompt,L64,Text"`
	Cabinet      string `msi:"Cabinet,S255,Cabinet"`
	VolumeLabel  string `msi:"VolumeLabel,S32,Text"`
	Source       string `msi:"Source,S72,Property"`
}

func (mediaRow) table() string { return "Media" }

type msiFileHashRow struct {
	File    string `msi:"File_,s72*,Identifier"`
	Options int    `msi:"Options,i2"`
	Part1   int    `msi:"HashPart1,i4"`
	Part2   int    `msi:"HashPart2,i4"`
	Part3   int    `msi:"HashPart3,i4"`
	Part4   int    `msi:"HashPart4,i4"`
}

func (msiFileHashRow) table() string { return "MsiFileHash" }

type lockPermissionsRow struct {
	ID         string    `msi:"MsiLockPermissionsEx,s72*,Identifier"`
	LockObject string    `msi:"LockObject,s72,Identifier"`
	Table      string    `msi:"Table,s32,Text"`
	SDDL       formatted `msi:"SDDLText,l0,FormattedSDDLText"`
	Condition  string    `msi:"Condition,S255,Condition"`
}

func (lockPermissionsRow) table() string { return "MsiLockPermissionsEx" }

// grantRow is a row of the legacy LockPermissions table, which names the
// account (MsiLockPermissionsEx's SDDL takes SIDs only).
type grantRow struct {
	LockObject string    `msi:"LockObject,s72*,Identifier"`
	Table      string    `msi:"Table,s32*,Text"`
	Domain     formatted `msi:"Domain,S255*,Formatted"`
	User       formatted `msi:"User,s255*,Formatted"`
	Permission *int      `msi:"Permission,I4"`
}

func (grantRow) table() string { return "LockPermissions" }

type serviceConfigRow struct {
	ID         string    `msi:"MsiServiceConfig,s72*,Identifier"`
	Name       formatted `msi:"Name,l255,Formatted"`
	Event      int       `msi:"Event,i2"`
	ConfigType int       `msi:"ConfigType,i4"`
	Argument   formatted `msi:"Argument,S0,Formatted"`
	Component  string    `msi:"Component_,s72,Identifier"`
}

func (serviceConfigRow) table() string { return "MsiServiceConfig" }

type serviceFailureActionsRow struct {
	ID            string    `msi:"MsiServiceConfigFailureActions,s72*,Identifier"`
	Name          formatted `msi:"Name,l255,Formatted"`
	Event         int       `msi:"Event,i2"`
	ResetPeriod   *int      `msi:"ResetPeriod,I4"`
	RebootMessage formatted `msi:"RebootMessage,L255,Formatted"`
	Command       formatted `msi:"Command,L255,Formatted"`
	Actions       formatted `msi:"Actions,S255,Formatted"`
	DelayActions  formatted `msi:"DelayActions,S255,Formatted"`
	Component     string    `msi:"Component_,s72,Identifier"`
}

func (serviceFailureActionsRow) table() string { return "MsiServiceConfigFailureActions" }

type propertyRow struct {
	Property string `msi:"Property,s72*,Identifier"`
	Value    string `msi:"Value,l0,Text"`
}

func (propertyRow) table() string { return "Property" }

type registryRow struct {
	Registry  string    `msi:"Registry,s72*,Identifier"`
	Root      int       `msi:"Root,i2"`
	Key       formatted `msi:"Key,l255,RegPath"`
	Name      formatted `msi:"Name,L255,Formatted"`
	Value     formatted `msi:"Value,L0,Formatted"`
	Component string    `msi:"Component_,s72,Identifier"`
}

func (registryRow) table() string { return "Registry" }

type regLocatorRow struct {
	Signature string    `msi:"Signature_,s72*,Identifier"`
	Root      int       `msi:"Root,i2"`
	Key       formatted `msi:"Key,s255,RegPath"`
	Name      formatted `msi:"Name,S255,Formatted"`
	Type      *int      `msi:"Type,I2"`
}

func (regLocatorRow) table() string { return "RegLocator" }

type removeFileRow struct {
	FileKey     string `msi:"FileKey,s72*,Identifier"`
	Component   string `msi:"Component_,s72,Identifier"`
	FileName    string `msi:"FileName,L255,WildCardFilename"`
	DirProperty string `msi:"DirProperty,s72,Identifier"`
	InstallMode int    `msi:"InstallMode,i2"`
}

func (removeFileRow) table() string { return "RemoveFile" }

type serviceControlRow struct {
	ID        string    `msi:"ServiceControl,s72*,Identifier"`
	Name      formatted `msi:"Name,l255,Formatted"`
	Event     int       `msi:"Event,i2"`
	Arguments formatted `msi:"Arguments,L255,Formatted"`
	Wait      *int      `msi:"Wait,I2"`
	Component string    `msi:"Component_,s72,Identifier"`
}

func (serviceControlRow) table() string { return "ServiceControl" }

type serviceInstallRow struct {
	ID             string    `msi:"ServiceInstall,s72*,Identifier"`
	Name           formatted `msi:"Name,s255,Formatted"`
	DisplayName    formatted `msi:"DisplayName,L255,Formatted"`
	ServiceType    int       `msi:"ServiceType,i4"`
	StartType      int       `msi:"StartType,i4"`
	ErrorControl   int       `msi:"ErrorControl,i4"`
	LoadOrderGroup formatted `msi:"LoadOrderGroup,S255,Formatted"`
	Dependencies   formatted `msi:"Dependencies,S255,Formatted"`
	StartName      formatted `msi:"StartName,S255,Formatted"`
	Password       formatted `msi:"Password,S255,Formatted"`
	Arguments      formatted `msi:"Arguments,S255,Formatted"`
	Component      string    `msi:"Component_,s72,Identifier"`
	Description    formatted `msi:"Description,L255,Formatted"`
}

func (serviceInstallRow) table() string { return "ServiceInstall" }

type upgradeRow struct {
	UpgradeCode    string    `msi:"UpgradeCode,s38*,Guid"`
	VersionMin     string    `msi:"VersionMin,S20*,Text"`
	VersionMax     string    `msi:"VersionMax,S20*,Text"`
	Language       string    `msi:"Language,S255*,Language"`
	Attributes     int       `msi:"Attributes,i4*"`
	Remove         formatted `msi:"Remove,S255,Formatted"`
	ActionProperty string    `msi:"ActionProperty,s72,UpperCase"`
}

func (upgradeRow) table() string { return "Upgrade" }

// intp returns a pointer to n, for nullable integer columns.
func intp(n int) *int { return &n }
