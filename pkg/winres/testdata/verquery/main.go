// Command verquery prints the VERSIONINFO strings of an exe as JSON, read
// with the Windows API (GetFileVersionInfoW, VerQueryValueW), for the winres
// tests under Wine.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: verquery FILE.exe")
		os.Exit(2)
	}
	version := syscall.NewLazyDLL("version.dll")
	sizeProc := version.NewProc("GetFileVersionInfoSizeW")
	infoProc := version.NewProc("GetFileVersionInfoW")
	queryProc := version.NewProc("VerQueryValueW")
	path, _ := syscall.UTF16PtrFromString(os.Args[1])
	size, _, err := sizeProc.Call(uintptr(unsafe.Pointer(path)), 0)
	if size == 0 {
		fmt.Fprintln(os.Stderr, "GetFileVersionInfoSizeW:", err)
		os.Exit(1)
	}
	buf := make([]byte, size)
	if ok, _, err := infoProc.Call(uintptr(unsafe.Pointer(path)), 0, size, uintptr(unsafe.Pointer(&buf[0]))); ok == 0 {
		fmt.Fprintln(os.Stderr, "GetFileVersionInfoW:", err)
		os.Exit(1)
	}
	query := func(sub string) (uintptr, uint32, bool) {
		s, _ := syscall.UTF16PtrFromString(sub)
		var p uintptr
		var n uint32
		ok, _, _ := queryProc.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(s)), uintptr(unsafe.Pointer(&p)), uintptr(unsafe.Pointer(&n)))
		return p, n, ok != 0
	}
	out := map[string]string{}
	// The first translation the file declares.
	p, n, ok := query(`\VarFileInfo\Translation`)
	if !ok || n < 4 {
		fmt.Fprintln(os.Stderr, "no translation")
		os.Exit(1)
	}
	tr := unsafe.Slice((*uint16)(unsafe.Pointer(p)), 2)
	block := fmt.Sprintf(`\StringFileInfo\%04X%04X\`, tr[0], tr[1])
	out["Translation"] = fmt.Sprintf("%04X%04X", tr[0], tr[1])
	for _, k := range []string{"CompanyName", "FileDescription", "FileVersion", "InternalName", "LegalCopyright", "OriginalFilename", "ProductName", "ProductVersion"} {
		if p, n, ok := query(block + k); ok && n > 0 {
			out[k] = syscall.UTF16ToString(unsafe.Slice((*uint16)(unsafe.Pointer(p)), n))
		}
	}
	if p, n, ok := query(`\`); ok && n >= 52 {
		f := unsafe.Slice((*uint32)(unsafe.Pointer(p)), 13)
		out["FixedFileVersion"] = fmt.Sprintf("%d.%d.%d.%d", f[2]>>16, f[2]&0xffff, f[3]>>16, f[3]&0xffff)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
