package msi

import (
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/textread"
	"github.com/svcpack/svcpack/pkg/winargv"
)

// hostileFormatted holds every sequence Windows Installer's formatting gives
// a meaning to, and backslashes before quotes and at the end.
const hostileFormatted = `[P] [%PATH] [#f] [$c] [!f] [~] [\[] {x} {[y]} "q\" a\`

// TestFormattedColumns walks every column the package writes that Windows
// Installer formats (by the category in its row type's tag): with config
// text holding hostileFormatted in every field that reaches one, each value
// msiinfo exports reads back (textread.MSIFormat) with nothing formatting
// would change but the package's own references, and the fields read back
// exactly as written.
func TestFormattedColumns(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	p := samplePackage(t, "amd64")
	p.Product.Name = "P " + hostileFormatted
	s := p.Service
	s.DisplayName, s.Description = "D "+hostileFormatted, hostileFormatted
	s.Args = []string{hostileFormatted, InstallDirMark + "[x]", "-dir", InstallDirMark}
	s.Env = map[string]string{"PORT": hostileFormatted, "MODE": InstallDirMark + hostileFormatted, "{X}[Y]": "z"}
	s.StopHelper, s.StopArgs = "hello.exe", []string{hostileFormatted + `\`}
	s.Account = `NT SERVICE\h{e}llo`
	s.FailureCommand = []string{InstallDirMark + `tools\[n] {x} & 100%.exe`, hostileFormatted, `a "b" 100% & ^ c\`,
		InstallDirMark, "", `trailing\`, "%TEMP% !x! ^&"}
	s.CommandAfter = 2
	path := buildPackage(t, p)

	// The package's own references: properties, folders, settings.
	const dir = `C:\Program Files\Acme\Hello\`
	refs := map[string]string{installDirID: dir}
	for _, name := range []string{"SvcpackArgs", "SvcpackEnv_PORT", "PORT", "SERVICE_ARGS", "SVCPACK_OLD_PORT",
		"SVCPACK_OLD_SERVICE_ARGS", "INSTALLDIR_1", "D_conf"} {
		refs[name] = "<" + name + ">"
	}
	tables := strings.Fields(run(t, msiinfo, "tables", path))
	read := map[string][]map[string]string{} // table -> rows read back
	for _, r := range allRows() {
		cols, err := rowColumns(r)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(tables, r.table()) {
			continue // a table this package does not write
		}
		out := run(t, msiinfo, "export", path, r.table())
		lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		for _, line := range lines[3:] {
			cells := strings.Split(line, "\t")
			row := map[string]string{}
			for i, c := range cols {
				if i >= len(cells) {
					break
				}
				v := strings.ReplaceAll(cells[i], "\x1b", "\n") // msiinfo's escape of a newline
				if formattedCategories[c.Category] {
					got, err := textread.MSIFormat(v, refs)
					if err != nil {
						t.Errorf("%s.%s = %q: %v", r.table(), c.Name, v, err)
					}
					v = got
				}
				row[c.Name] = v
			}
			read[r.table()] = append(read[r.table()], row)
		}
	}
	one := func(table, key, v string) map[string]string {
		for _, row := range read[table] {
			if row[key] == v {
				return row
			}
		}
		t.Fatalf("%s: no row %s = %q in %q", table, key, v, read[table])
		return nil
	}
	svc := one("ServiceInstall", "ServiceInstall", "Svc")
	eq(t, "ServiceInstall.DisplayName", svc["DisplayName"], s.DisplayName)
	eq(t, "ServiceInstall.Description", svc["Description"], s.Description)
	eq(t, "ServiceInstall.StartName", svc["StartName"], s.Account)
	eq(t, "LaunchCondition.Description", one("LaunchCondition", "Condition", "NOT "+downgradeProp)["Description"],
		"A newer version of "+p.Product.Name+" is already installed.")
	wantArgs := []string{hostileFormatted, dir + "[x]", "-dir", dir}
	def := one("CustomAction", "Action", "SvcpackDefault_SERVICE_ARGS")["Target"]
	if got := winargv.Split(def); !slices.Equal(got, wantArgs) {
		t.Errorf("the arguments' default reads %q, want %q", got, wantArgs)
	}
	stop := one("CustomAction", "Action", stopHelperAction)["Target"]
	if got := winargv.Split(stop); !slices.Equal(got, s.StopArgs) {
		t.Errorf("the stop helper's arguments read %q, want %q", got, s.StopArgs)
	}
	// The failure command: restart twice, then the command for every
	// later failure; its command line reads back as the program (in
	// quotes, the install folder filled in) and the arguments exactly.
	fa := one("MsiServiceConfigFailureActions", "MsiServiceConfigFailureActions", "SvcRecovery")
	eq(t, "the failure actions", fa["Actions"], "1\x001\x003")
	eq(t, "the failure delays", fa["DelayActions"], "5000\x005000\x005000")
	prog := `"` + dir + `tools\[n] {x} & 100%.exe" `
	if cmd, ok := strings.CutPrefix(fa["Command"], prog); !ok {
		t.Errorf("the failure command %q does not start with %q", fa["Command"], prog)
	} else if got, want := winargv.Split(cmd), append(s.FailureCommand[1:3:3], dir, "", `trailing\`, "%TEMP% !x! ^&"); !slices.Equal(got, want) {
		t.Errorf("the failure command's arguments read %q, want %q", got, want)
	}
	env := one("Registry", "Registry", "SvcEnvironment")["Value"]
	wantEnv := "\x00MODE=" + dir + hostileFormatted + "\x00PORT=<SvcpackEnv_PORT>\x00{X}[Y]=z\x00"
	eq(t, "the service's Environment", env, wantEnv)
	if v := one("Property", "Property", "SvcpackEnv_PORT")["Value"]; v != hostileFormatted {
		t.Errorf("Property SvcpackEnv_PORT = %q (a Text column, not formatted), want %q", v, hostileFormatted)
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s reads %q, want %q", what, got, want)
	}
}
