package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
)

// accountYAML runs the example as the local user .\svcuser, whose password
// the administrator gives at install.
const accountYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
formats: [zip, msi]
windows:
  msi: {upgrade_code: 4E3D2C1B-0A9F-4E8D-7C6B-5A4F3E2D1C0B}
service:
  args: [run, -addr, "127.0.0.1:%d"]
  account: .\svcuser
  wrap: false
`

// TestUserAccountInWine: a service that runs as a user account takes its
// password at install only. The MSI refuses to install without
// SERVICEPASSWORD (its launch condition), installs with it and registers
// the account; the package holds no password and marks the property
// hidden (Windows Installer keeps it out of logs); install-service.cmd refuses without SERVICE_PASSWORD and
// registers the account with it. (Wine starts services as the prefix's
// user whatever their account: logging on as the account is for
// windows-latest.)
func TestUserAccountInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	port := testtool.FreePort(t)
	c := helloProjectEnv(t, fmt.Sprintf(accountYAML, port), nil, "windows/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cret-Pw.7"
	msi := filepath.Join(res.Dist, "hello_1.4.2_windows_amd64.msi")
	if out, err := p.Run(3*time.Minute, "msiexec", "/i", msi, "/qn"); err == nil {
		t.Errorf("the MSI installed without SERVICEPASSWORD:\n%s", out)
	}
	logFile := p.HostPath(`C:\msi.log`)
	p.MustRun(3*time.Minute, "msiexec", "/i", msi, "/qn", "/l*v", `C:\msi.log`, "SERVICEPASSWORD="+secret)
	obj := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`, "/v", "ObjectName")
	if !strings.Contains(obj, `.\svcuser`) {
		t.Errorf("the MSI registered the account:\n%s", obj)
	}
	// The package marks the password hidden; Wine's msiexec logs hidden
	// properties anyway (Windows Installer does not), so the log is no
	// witness here: the Property table is.
	if log, err := os.ReadFile(logFile); err != nil || !strings.Contains(toUTF8(log), "SERVICEPASSWORD") {
		t.Errorf("the MSI log (%v) does not name the property", err)
	}
	props := msiinfoProperties(t, testtool.Need(t, "msiinfo", "msitools"), msi)
	if props["MsiHiddenProperties"] != "SERVICEPASSWORD" || props["SERVICEPASSWORD"] != "" {
		t.Errorf("MsiHiddenProperties %q, SERVICEPASSWORD %q in the package", props["MsiHiddenProperties"],
			props["SERVICEPASSWORD"])
	}
	p.MustRun(3*time.Minute, "msiexec", "/x", msi, "/qn")
	p.WaitServiceGone("hello", time.Minute)

	dir := p.HostPath(`C:\Program Files\Account Hello`)
	unpack(t, filepath.Join(res.Dist, "hello_1.4.2_windows_amd64.zip"), dir)
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "install-service.cmd"); err == nil ||
		!strings.Contains(out, "set SERVICE_PASSWORD") {
		t.Errorf("install-service.cmd without SERVICE_PASSWORD: %v\n%s", err, out)
	}
	out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "set SERVICE_PASSWORD="+secret+"&& install-service.cmd")
	if err != nil || strings.Contains(out, secret) {
		t.Errorf("install-service.cmd with SERVICE_PASSWORD: %v\n%s", err, out)
	}
	if obj := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`, "/v", "ObjectName"); !strings.Contains(obj, `.\svcuser`) {
		t.Errorf("install-service.cmd registered the account:\n%s", obj)
	}
}

// toUTF8 reads an msiexec log, which Wine writes as UTF-16LE or as bytes.
func toUTF8(b []byte) string {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe {
		var s strings.Builder
		for i := 2; i+1 < len(b); i += 2 {
			s.WriteRune(rune(b[i]) | rune(b[i+1])<<8)
		}
		return s.String()
	}
	return string(b)
}
