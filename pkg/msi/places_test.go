package msi

import (
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// TestInstallDirMark: an argument or environment value naming the install
// folder reaches the tables as [INSTALLDIR], set once the folder is known
// (after CostFinalize) unless the setting was given; brackets of the text
// around it stay literal. Read back with msiinfo.
func TestInstallDirMark(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	p.Service.Args = []string{"run", "-config", InstallDirMark + `conf\[a].yaml`}
	p.Service.Env = map[string]string{"PORT": "8080", "DATA": InstallDirMark + "data"}
	path := buildPackage(t, p)
	ca := run(t, msiinfo, "export", path, "CustomAction")
	for _, want := range []string{
		"SvcpackDefault_SERVICE_ARGS\t51\tSvcpackArgs\trun -config \"[INSTALLDIR]conf\\[\\[]a[\\]].yaml\"",
	} {
		if !strings.Contains(ca, want) {
			t.Errorf("CustomAction lacks %q:\n%s", want, ca)
		}
	}
	// A variable without a setting is written into the Environment value.
	if reg := run(t, msiinfo, "export", path, "Registry"); !strings.Contains(reg, "[~]DATA=[INSTALLDIR]data[~]") {
		t.Errorf("Registry lacks DATA=[INSTALLDIR]data:\n%s", reg)
	}
	seq := run(t, msiinfo, "export", path, "InstallExecuteSequence")
	if !strings.Contains(seq, "SvcpackDefault_SERVICE_ARGS\tNOT SERVICE_ARGS\t1101") {
		t.Errorf("the default is not set after CostFinalize, unless given:\n%s", seq)
	}
	if props := run(t, msiinfo, "export", path, "Property"); strings.Contains(props, "SvcpackArgs") || strings.Contains(props, "\x00") {
		t.Errorf("a default naming the folder is a Property row:\n%s", props)
	}
	if svc := run(t, msiinfo, "export", path, "ServiceInstall"); !strings.Contains(svc, "[SvcpackArgs]") {
		t.Errorf("ServiceInstall does not take the arguments from the setting:\n%s", svc)
	}
}
