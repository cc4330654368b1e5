package windows

import (
	"crypto/sha1"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/msi"
)

// LogFolderSDDL is the security descriptor of the wrapper's log folder in
// the MSI: SYSTEM and Administrators full control, Users read, and the
// service account modify, so a LocalService, NetworkService or virtual
// account service can write its logs under Program Files. LocalSystem can
// write anywhere: no descriptor then.
func LogFolderSDDL(account, service string) string {
	var sid string
	switch account {
	case "LocalService":
		sid = "LS"
	case "NetworkService":
		sid = "NS"
	case `NT SERVICE\` + service:
		sid = serviceSID(service)
	default:
		return ""
	}
	return "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1301bf;;;" + sid + ")"
}

// WritableFolder is an MSI folder at path that the service's account may
// modify: by an SDDL for the built-in and virtual accounts, by a grant
// naming the account for a user or a group managed service account (whose
// SID only the host knows); none for LocalSystem.
func WritableFolder(path, account, service string) msi.Folder {
	f := msi.Folder{Path: path, SDDL: LogFolderSDDL(account, service)}
	if config.ManagedAccountRE.MatchString(account) || config.UserAccountRE.MatchString(account) {
		domain, user, _ := strings.Cut(account, `\`)
		f.Grant = &msi.Account{Domain: strings.TrimPrefix(domain, "."), User: user}
	}
	return f
}

// serviceSID is the SID of the virtual account NT SERVICE\<name>:
// S-1-5-80 followed by the SHA-1 of the upper-cased name in UTF-16LE, read
// as five little-endian 32-bit numbers.
func serviceSID(name string) string {
	u := utf16.Encode([]rune(strings.ToUpper(name)))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	h := sha1.Sum(b)
	parts := []string{"S-1-5-80"}
	for i := 0; i < 5; i++ {
		parts = append(parts, strconv.FormatUint(uint64(binary.LittleEndian.Uint32(h[4*i:])), 10))
	}
	return strings.Join(parts, "-")
}
