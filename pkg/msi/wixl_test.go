package msi

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// wixlSource describes the sample package's payload and service to wixl.
const wixlSource = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Hello Service" Language="1033" Version="1.2.3" Manufacturer="Acme Corp" UpgradeCode="6b2a1e7c-5d4f-4e3a-9b2c-1d0e8f7a6b5c">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="product.cab" EmbedCab="yes"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version is already installed."/>
    <Icon Id="product.ico" SourceFile="product.ico"/>
    <Property Id="ARPPRODUCTICON" Value="product.ico"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="AcmeDir" Name="Acme">
          <Directory Id="INSTALLDIR" Name="Hello">
            <Component Id="MainExe" Guid="11111111-2222-3333-4444-555555555555" Win64="yes">
              <File Id="hello.exe" Name="hello.exe" Source="hello.exe" KeyPath="yes"/>
              <ServiceInstall Id="svc" Name="hello" DisplayName="Hello Service" Description="Says hello over HTTP" Type="ownProcess" Start="auto" ErrorControl="normal" Account="NT AUTHORITY\LocalService" Arguments="run"/>
              <ServiceControl Id="svcctl" Name="hello" Start="install" Stop="both" Remove="uninstall" Wait="yes"/>
              <RegistryValue Root="HKLM" Key="SYSTEM\CurrentControlSet\Services\hello" Name="Environment" Type="multistring" Value="PORT=8080"/>
            </Component>
            <Component Id="Config" Guid="11111111-2222-3333-4444-555555555556" Win64="yes">
              <File Id="config.yaml" Name="config.yaml" Source="config.yaml" KeyPath="yes"/>
            </Component>
          </Directory>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="MainExe"/><ComponentRef Id="Config"/></Feature>
  </Product>
</Wix>
`

// column returns the values of the first column of an msiinfo export,
// after its three header lines.
func column(export string, n int) []string {
	var out []string
	lines := strings.Split(strings.ReplaceAll(export, "\r\n", "\n"), "\n")
	for _, l := range lines[min(3, len(lines)):] {
		if f := strings.Split(l, "\t"); l != "" && len(f) > n {
			out = append(out, f[n])
		}
	}
	sort.Strings(out)
	return out
}

// TestWixlParity builds the same payload and service with msitools' wixl
// and checks that every standard action, table and service event wixl
// writes is in our package too, and that file hashes agree.
func TestWixlParity(t *testing.T) {
	wixl := testtool.Need(t, "wixl", "wixl")
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	ours := buildPackage(t, p)

	dir := filepath.Dir(p.Files[0].Src)
	if err := os.WriteFile(filepath.Join(dir, "p.wxs"), []byte(wixlSource), 0o644); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(t.TempDir(), "wixl.msi")
	cmd := exec.Command(wixl, "-a", "x64", "-o", theirs, "p.wxs")
	cmd.Dir = dir // wixl resolves Source= against its working directory
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl: %v\n%s", err, out)
	}

	have := map[string]bool{}
	for _, tbl := range strings.Fields(run(t, msiinfo, "tables", ours)) {
		have[tbl] = true
	}
	for _, tbl := range strings.Fields(run(t, msiinfo, "tables", theirs)) {
		switch tbl {
		case "_SummaryInformation", "_ForceCodepage":
			continue
		}
		// wixl also writes empty tables (AppSearch, Signature, ...); only
		// the ones with rows matter.
		if len(column(run(t, msiinfo, "export", theirs, tbl), 0)) > 0 && !have[tbl] {
			t.Errorf("wixl writes rows in table %s; we do not have it", tbl)
		}
	}
	for _, tbl := range []string{"InstallExecuteSequence", "InstallUISequence", "AdminExecuteSequence", "AdminUISequence", "AdvtExecuteSequence"} {
		our := strings.Join(column(run(t, msiinfo, "export", ours, tbl), 0), " ")
		actions := column(run(t, msiinfo, "export", theirs, tbl), 0)
		if len(actions) < 4 {
			t.Fatalf("wixl's %s has only %v: the comparison would be vacuous", tbl, actions)
		}
		for _, action := range actions {
			if !strings.Contains(" "+our+" ", " "+action+" ") {
				t.Errorf("%s: wixl has %s, we do not", tbl, action)
			}
		}
	}
	// Service events: wixl's Start=install Stop=both Remove=uninstall.
	if w, o := column(run(t, msiinfo, "export", theirs, "ServiceControl"), 2), column(run(t, msiinfo, "export", ours, "ServiceControl"), 2); strings.Join(w, ",") != strings.Join(o, ",") {
		t.Errorf("ServiceControl events: wixl %v, ours %v", w, o)
	}
	if w, o := column(run(t, msiinfo, "export", theirs, "ServiceInstall"), 7), column(run(t, msiinfo, "export", ours, "ServiceInstall"), 7); strings.Join(w, ",") != strings.Join(o, ",") {
		t.Errorf("ServiceInstall accounts: wixl %v, ours %v", w, o)
	}
	// MD5 file hashes of hello.exe and config.yaml, computed by wixl.
	ourHash := run(t, msiinfo, "export", ours, "MsiFileHash")
	for _, l := range strings.Split(run(t, msiinfo, "export", theirs, "MsiFileHash"), "\r\n")[3:] {
		if l != "" && !strings.Contains(ourHash, l) {
			t.Errorf("MsiFileHash row %q (wixl) not in ours:\n%s", l, ourHash)
		}
	}
}
