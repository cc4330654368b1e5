package msi

import (
	"fmt"
	"strconv"
	"strings"
)

// schema holds the column definitions of the standard tables this package
// writes, in the Windows Installer SDK's export notation: name:type, where
// type is s/S (string, upper case nullable), l/L (localizable string),
// i/I (integer of 2 or 4 bytes) or v/V (binary) followed by the size, and a
// trailing * marks a key column. Categories feed _Validation.
var schema = map[string]string{
	"AdminExecuteSequence":           "Action:s72*:Identifier Condition:S255:Condition Sequence:I2",
	"AdminUISequence":                "Action:s72*:Identifier Condition:S255:Condition Sequence:I2",
	"AdvtExecuteSequence":            "Action:s72*:Identifier Condition:S255:Condition Sequence:I2",
	"InstallExecuteSequence":         "Action:s72*:Identifier Condition:S255:Condition Sequence:I2",
	"InstallUISequence":              "Action:s72*:Identifier Condition:S255:Condition Sequence:I2",
	"Component":                      "Component:s72*:Identifier ComponentId:S38:Guid Directory_:s72:Identifier Attributes:i2 Condition:S255:Condition KeyPath:S72:Identifier",
	"CreateFolder":                   "Directory_:s72*:Identifier Component_:s72*:Identifier",
	"Directory":                      "Directory:s72*:Identifier Directory_Parent:S72:Identifier DefaultDir:l255:DefaultDir",
	"Feature":                        "Feature:s38*:Identifier Feature_Parent:S38:Identifier Title:L64:Text Description:L255:Text Display:I2 Level:i2 Directory_:S72:UpperCase Attributes:i2",
	"FeatureComponents":              "Feature_:s38*:Identifier Component_:s72*:Identifier",
	"File":                           "File:s72*:Identifier Component_:s72:Identifier FileName:l255:Filename FileSize:i4 Version:S72:Version Language:S20:Language Attributes:I2 Sequence:i4",
	"Icon":                           "Name:s72*:Identifier Data:v0:Binary",
	"LaunchCondition":                "Condition:s255*:Condition Description:l255:Formatted",
	"Media":                          "DiskId:i2* LastSequence:i4 DiskPrompt:L64:Text Cabinet:S255:Cabinet VolumeLabel:S32:Text Source:S72:Property",
	"MsiFileHash":                    "File_:s72*:Identifier Options:i2 HashPart1:i4 HashPart2:i4 HashPart3:i4 HashPart4:i4",
	"MsiLockPermissionsEx":           "MsiLockPermissionsEx:s72*:Identifier LockObject:s72:Identifier Table:s32:Text SDDLText:l0:FormattedSDDLText Condition:S255:Condition",
	"MsiServiceConfig":               "MsiServiceConfig:s72*:Identifier Name:l255:Formatted Event:i2 ConfigType:i4 Argument:S0:Formatted Component_:s72:Identifier",
	"MsiServiceConfigFailureActions": "MsiServiceConfigFailureActions:s72*:Identifier Name:l255:Formatted Event:i2 ResetPeriod:I4 RebootMessage:L255:Formatted Command:L255:Formatted Actions:S255:Formatted DelayActions:S255:Formatted Component_:s72:Identifier",
	"Property":                       "Property:s72*:Identifier Value:l0:Text",
	"Registry":                       "Registry:s72*:Identifier Root:i2 Key:l255:RegPath Name:L255:Formatted Value:L0:Formatted Component_:s72:Identifier",
	"ServiceControl":                 "ServiceControl:s72*:Identifier Name:l255:Formatted Event:i2 Arguments:L255:Formatted Wait:I2 Component_:s72:Identifier",
	"ServiceInstall":                 "ServiceInstall:s72*:Identifier Name:s255:Formatted DisplayName:L255:Formatted ServiceType:i4 StartType:i4 ErrorControl:i4 LoadOrderGroup:S255:Formatted Dependencies:S255:Formatted StartName:S255:Formatted Password:S255:Formatted Arguments:S255:Formatted Component_:s72:Identifier Description:L255:Text",
	"Upgrade":                        "UpgradeCode:s38*:Guid VersionMin:S20*:Text VersionMax:S20*:Text Language:S255*:Language Attributes:i4* Remove:S255:Formatted ActionProperty:s72:UpperCase",
}

// parseColumns turns a schema line into columns.
func parseColumns(spec string) ([]Column, error) {
	var cols []Column
	for _, f := range strings.Fields(spec) {
		parts := strings.Split(f, ":")
		if len(parts) < 2 || len(parts[1]) < 2 {
			return nil, fmt.Errorf("msi: bad column spec %q", f)
		}
		c := Column{Name: parts[0]}
		t := parts[1]
		if strings.HasSuffix(t, "*") {
			c.Key = true
			t = strings.TrimSuffix(t, "*")
		}
		if len(parts) > 2 {
			c.Category = parts[2]
		}
		n, err := strconv.Atoi(t[1:])
		if err != nil {
			return nil, fmt.Errorf("msi: bad column spec %q", f)
		}
		code := t[0]
		if code >= 'A' && code <= 'Z' {
			c.Nullable = true
			code += 'a' - 'A'
		}
		switch code {
		case 's', 'l':
			c.Type, c.Size, c.Localizable = String, n, code == 'l'
		case 'i':
			c.Type = Int16
			if n == 4 {
				c.Type = Int32
			}
		case 'v':
			c.Type = Binary
		default:
			return nil, fmt.Errorf("msi: bad column spec %q", f)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// createStandardTable creates one of the tables in schema.
func createStandardTable(db *Database, name string) (*Table, error) {
	if t := db.Table(name); t != nil {
		return t, nil
	}
	spec, ok := schema[name]
	if !ok {
		return nil, fmt.Errorf("msi: no schema for table %s", name)
	}
	cols, err := parseColumns(spec)
	if err != nil {
		return nil, err
	}
	return db.CreateTable(name, cols)
}
