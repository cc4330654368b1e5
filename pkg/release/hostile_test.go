package release

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/config"
	"go.yaml.in/yaml/v3"
)

// Hostile input: text from svcpack.yaml reaches shell scripts run as root,
// systemd units, control files, .cmd scripts, XML and MSI tables. These
// tests put values that mean something in one of those languages into every
// text field of the schema (found through config.Fields, so a field added
// later is covered) and require each to be refused at load, with file:line,
// or carried as data: read back from every artifact by the readers of
// TestFieldsReachArtifacts and found exactly as written.

// hostileStrings each mean something in a language config text reaches.
func hostileStrings() []string {
	return []string{
		`it's "quoted" \ back\slash`,
		"$(touch pwned) `touch pwned2` ${HOME} $HOME",
		`a & b | c ^ d < e > f (g) %PATH% !PATH! %%`,
		`%n %i %% $$ ; \; -- trailing backslash\`,
		`<x> &amp; ]]></string><key>Evil</key>`,
		`[ProductName] [~] [\[] {x} [%PATH]`,
		"Pre-Depends: evil, Maintainer: x <y@example.com>",
		"é ÿ € œ Ω",
		"'; rm -rf / #",
		// Options, where a command would read them as such (the names'
		// rules refuse them; the scripts end options with -- before paths).
		// Windows' /switches are fed to its encoders in their own tests:
		// a /folder means something else to each platform's paths.
		"-rf", "--help",
	}
}

// controlStrings hold a character no text field may: each must be refused.
func controlStrings() []string {
	return []string{"a\nExecStartPre=+/bin/sh", "a\rb", "a\tb", "a\x00b", "a\x1b[31mb", "a\u0085b", "a\u2028b", "a\u2029b", "a\ufeffb", "a\ufffeb", "a\U0010ffffb"}
}

// hostileRows are the rows of the text fields that carry data. Left out:
// paths of host files (their content is what ships; a name is only opened),
// main, dist and ldflags (what go build is told to build, with which flags:
// the user's build, not data), and windows.sign.timestamp_url (it is
// contacted at release time).
func hostileRows(t *testing.T, rows []fieldRow) []fieldRow {
	t.Helper()
	kinds := map[string]reflect.Type{}
	for _, f := range config.Fields() {
		kinds[f.Path] = f.Type
	}
	skip := map[string]bool{"main": true, "dist": true, "ldflags": true, "windows.sign.timestamp_url": true}
	var out []fieldRow
	for _, r := range rows {
		typ := kinds[r.path]
		if skip[r.path] || typ == reflect.TypeOf(config.Path("")) {
			continue
		}
		switch {
		case typ.Kind() == reflect.String,
			typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.String,
			typ.Kind() == reflect.Map:
			out = append(out, r)
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d text fields found", len(out))
	}
	return out
}

// hostileValue is v in the field's own shape: a string, a one-item list,
// or a map with one entry.
func hostileValue(t *testing.T, r fieldRow, v string) any {
	for _, f := range config.Fields() {
		if f.Path != r.path {
			continue
		}
		switch f.Type.Kind() {
		case reflect.Slice:
			return []string{v}
		case reflect.Map:
			return map[string]string{"HOSTILE": v}
		}
		return v
	}
	t.Fatalf("no field %s", r.path)
	return nil
}

// loadErr is load that returns the error.
func (p *fieldsProject) loadErr(t *testing.T, cfg map[string]any) (*config.Spec, error) {
	t.Helper()
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(p.dir, config.FileName)
	writeTestFile(t, file, data)
	return Load(file, config.Env{Getenv: func(k string) string { return p.env[k] }})
}

// problemRE is one line of a config error: file:line: field: message.
var problemRE = regexp.MustCompile(`(?m)^\S*svcpack\.yaml:(\d+): ([A-Za-z0-9_.\[\]-]+): `)

// rowOf maps a problem's field path ("service.args[0]", "service.env.X")
// to its row's path.
func rowOf(field string, rows []fieldRow) string {
	p := regexp.MustCompile(`\[\d+\]`).ReplaceAllString(field, "")
	for _, r := range rows {
		if p == r.path || strings.HasPrefix(p, r.path+".") {
			return r.path
		}
	}
	return ""
}

// TestControlCharactersRefused sets every text field to a value holding a
// control character at once, for each such character: the load must fail
// naming each field with file:line.
func TestControlCharactersRefused(t *testing.T) {
	p := newFieldsProject(t)
	rows := hostileRows(t, p.rows)
	for _, c := range controlStrings() {
		cfg := p.baseConfig()
		for _, r := range rows {
			setConfig(cfg, r.path, hostileValue(t, r, c))
		}
		_, err := p.loadErr(t, cfg)
		if err == nil {
			t.Errorf("%q in every text field: the config loads", c)
			continue
		}
		named := map[string]bool{}
		for _, m := range problemRE.FindAllStringSubmatch(err.Error(), -1) {
			named[rowOf(m[2], rows)] = true
		}
		for _, r := range rows {
			if !named[r.path] {
				t.Errorf("%q in %s: no file:line error names the field:\n%v", c, r.path, err)
			}
		}
	}
}

// TestHostileValues puts each hostile string into every text field at
// once. Fields whose grammar refuses it must say so with file:line (they
// are set back and the rest loads); the accepted ones are released and read
// back from every artifact, exactly. Beyond the field readers, the unit is
// verified by systemd-analyze, and install.sh is run by the shell in a
// sandbox with its commands replaced by recorders: what they receive must
// be the configured values, and nothing the values say may run.
func TestHostileValues(t *testing.T) {
	p := newFieldsProject(t)
	rows := hostileRows(t, p.rows)
	for i, h := range hostileStrings() {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			cfg := p.baseConfig()
			accepted := map[string]any{}
			for _, r := range rows {
				v := hostileValue(t, r, h)
				setConfig(cfg, r.path, v)
				accepted[r.path] = v
			}
			var spec *config.Spec
			for attempt := 0; ; attempt++ {
				s, err := p.loadErr(t, cfg)
				if err == nil {
					spec = s
					break
				}
				ms := problemRE.FindAllStringSubmatch(err.Error(), -1)
				if attempt > 5 || len(ms) == 0 {
					t.Fatalf("the config does not load, and the errors name no field with file:line:\n%v", err)
				}
				for _, m := range ms {
					path := rowOf(m[2], rows)
					if path == "" {
						t.Fatalf("an error names %s, not the field that holds %q:\n%v", m[2], h, err)
					}
					if _, ok := accepted[path]; ok {
						delete(accepted, path)
						for _, r := range rows {
							if r.path == path { // a nil base is null: the field unset
								setConfig(cfg, r.path, r.base)
							}
						}
					}
				}
			}
			t.Logf("%q: %d of %d text fields take it: %v", h, len(accepted), len(rows), slices.Sorted(maps.Keys(accepted)))
			res, err := Release(context.Background(), spec, Options{Dist: filepath.Join(t.TempDir(), "dist")})
			if err != nil {
				t.Fatalf("release of a config check passed: %v", err)
			}
			r := &fieldsRelease{p: p, spec: spec, res: res}
			for _, row := range rows {
				if v, ok := accepted[row.path]; ok && row.check != nil {
					t.Run(row.path, func(t *testing.T) { row.check(t, r, v) })
				}
			}
			verifyUnit(t, r)
			runInstallScript(t, r)
		})
	}
}

// verifyUnit runs systemd-analyze verify on the deb's unit, next to the
// binary it starts.
func verifyUnit(t *testing.T, r *fieldsRelease) {
	sa := testtool.Need(t, "systemd-analyze", "systemd")
	root := t.TempDir()
	units := filepath.Join(root, "usr/lib/systemd/system")
	if out, err := exec.Command("mkdir", "-p", units).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := exec.Command("cp", "-a", "/usr/lib/systemd/system/.", units+"/").CombinedOutput(); err != nil {
		t.Fatalf("copying systemd units: %v\n%s", err, out)
	}
	unit := filepath.Join(units, r.spec.Service.Name+".service")
	writeTestFile(t, unit, []byte(r.unit(t)))
	// The services it depends on exist on the host it is for.
	for _, d := range r.spec.Service.DependsOn {
		if !strings.Contains(d.Name, ".") {
			writeTestFile(t, filepath.Join(units, d.Name+".service"), []byte("[Service]\nExecStart=/bin/true\n"))
		}
	}
	bin := filepath.Join(root, r.binDir(), r.spec.Name)
	writeTestFile(t, bin, r.debFiles(t)[strings.TrimPrefix(r.binDir(), "/")+"/"+r.spec.Name])
	os.Chmod(bin, 0o755)
	out, err := exec.Command(sa, "verify", "--root="+root, "--man=no", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s\n%s", err, out, r.unit(t))
	}
}

// installOptions are the options (and their values) install.sh gives its
// commands before the -- that ends them.
var installOptions = []string{"-d", "-m", "0755", "0644", "-o", "root", "-g", "wheel"}

// checkOptions fails the test when a command install.sh ran (argv, its
// name first) took anything but its own options before a --: a value
// there could be read as an option. launchctl takes no options from it.
func checkOptions(t *testing.T, argv []string) {
	t.Helper()
	if argv[0] == "launchctl" {
		return
	}
	end := slices.Index(argv, "--")
	if end < 0 {
		t.Errorf("install.sh ran %s without --: %q", argv[0], argv)
		return
	}
	for _, a := range argv[1:end] {
		if !slices.Contains(installOptions, a) {
			t.Errorf("install.sh gave %s %q before --: %q", argv[0], a, argv)
		}
	}
}

// runInstallScript runs the darwin tarball's install.sh with sh in a
// sandbox: launchctl, install, chown and id are recorders on PATH that log
// their arguments, NUL-separated, one command a line. The configuration
// files must be installed under their configured names, and no file may
// appear that a value asked a shell to create.
func runInstallScript(t *testing.T, r *fieldsRelease) {
	sh := testtool.Need(t, "sh", "dash")
	dir := t.TempDir()
	files := r.tarGzFiles(t, darwinT)
	for name, data := range files {
		writeTestFile(t, filepath.Join(dir, "pkg", name), data)
	}
	stubs := filepath.Join(dir, "stubs")
	log := filepath.Join(dir, "calls.log")
	record := "#!/bin/sh\n{ printf '%s' \"$(basename \"$0\")\"; for a in \"$@\"; do printf '\\0%s' \"$a\"; done; printf '\\n'; } >> " + log + "\n"
	for _, name := range []string{"launchctl", "install", "chown", "dirname"} {
		body := record
		switch name {
		case "launchctl":
			body += "[ \"$1\" = print ] && exit 1\nexit 0\n"
		case "dirname":
			body = "#!/bin/sh\n[ \"$1\" != -- ] || shift\nprintf '%s\\n' \"${1%/*}\"\n"
		}
		writeTestFile(t, filepath.Join(stubs, name), []byte(body))
		os.Chmod(filepath.Join(stubs, name), 0o755)
	}
	writeTestFile(t, filepath.Join(stubs, "id"), []byte("#!/bin/sh\necho 0\n"))
	os.Chmod(filepath.Join(stubs, "id"), 0o755)
	cmd := exec.Command(sh, "./install.sh")
	cmd.Dir = filepath.Join(dir, "pkg")
	cmd.Env = []string{"PATH=" + stubs + ":/usr/bin:/bin", "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("install.sh in a sandbox: %v\n%s", err, out)
	}
	calls, _ := os.ReadFile(log)
	var installs [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
		args := strings.Split(l, "\x00")
		if args[0] == "install" {
			installs = append(installs, args[1:])
		}
		checkOptions(t, args)
	}
	conf := "/usr/local/etc/" + r.spec.Name
	for _, f := range r.spec.Files {
		if !f.Config {
			continue
		}
		want := []string{"-m", "0644", "--", "./" + f.Dst, conf + "/" + f.Dst}
		if !slices.ContainsFunc(installs, func(a []string) bool { return slices.Equal(a, want) }) {
			t.Errorf("install.sh did not run install %q; it ran: %q\n%s", want, installs, out)
		}
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "pwned") {
			t.Errorf("a value ran as a shell command: %s exists", path)
		}
		return nil
	})
}
