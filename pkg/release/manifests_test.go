package release

import (
	"bytes"
	"context"
	"debug/macho"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/svcpack/svcpack/internal/brewtest"
	"github.com/svcpack/svcpack/internal/nupkgtest"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/manifests/chocolatey"
	"github.com/svcpack/svcpack/pkg/packager"
)

// manifestsYAML releases the example service with every package-manager
// format.
const manifestsYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Ops <ops@example.com>
license: MIT
description: Says hello over HTTP
homepage: https://github.com/acme/hello
download_url: https://github.com/acme/hello/releases/download/v{{.Version}}/{{.File}}
formats: [zip, msi, tar.gz, universal, winget, scoop, chocolatey, homebrew]
windows:
  copyright: (c) Acme Corp
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}
service:
  args: [run, -addr, "127.0.0.1:8080", -config, "{{.ConfigDir}}/config.yaml"]
  env: {PORT: "8080"}
  restart: {delay: 7s}
files:
  - {src: examples/hello/config.yaml, dst: config.yaml, config: true}
`

// manifestsTargets are the targets of the manifests' release.
var manifestsTargets = []string{"windows/386", "windows/amd64", "windows/arm64", "linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}

// manifestsDirs are the directories of releases shared by tests, removed
// when they have all run.
var manifestsDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range manifestsDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// manifestsRelease is the release the manifests' tests read, made once.
var manifestsRelease = struct {
	sync.Mutex
	spec *config.Spec
	res  *Result
}{}

// releaseManifests makes (once per test binary) and returns the release
// of manifestsYAML.
func releaseManifests(t *testing.T) (*config.Spec, *Result) {
	t.Helper()
	m := &manifestsRelease
	m.Lock()
	defer m.Unlock()
	if m.res == nil {
		s := helloProject(t, manifestsYAML, manifestsTargets...)
		dist, err := os.MkdirTemp("", "svcpack-manifests-")
		if err != nil {
			t.Fatal(err)
		}
		// Removed by TestMain's cleanup of manifestsDirs.
		manifestsDirs = append(manifestsDirs, dist)
		res, err := Release(context.Background(), s, Options{Dist: filepath.Join(dist, "dist")})
		if err != nil {
			t.Fatal(err)
		}
		m.spec, m.res = s, res
	}
	return m.spec, m.res
}

// artifactsOf are the release's artifacts of kind, by path.
func artifactsOf(res *Result, kind packager.Kind) map[string]Artifact {
	out := map[string]Artifact{}
	for _, a := range res.Artifacts {
		if a.Kind == kind {
			out[a.Path] = a
		}
	}
	return out
}

// TestManifestsReproducible releases the manifests' config again, forced,
// into another directory: every file (manifests, .nupkg, formula,
// universal binary) is the same bytes.
func TestManifestsReproducible(t *testing.T) {
	spec, res := releaseManifests(t)
	again, err := Release(context.Background(), spec, Options{Dist: filepath.Join(t.TempDir(), "dist"), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := CompareDirs(res.Dist, again.Dist)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("a second release differs: %s: %s", d.Path, d.Detail)
	}
	if len(again.Artifacts) != len(res.Artifacts) {
		t.Errorf("%d artifacts, then %d", len(res.Artifacts), len(again.Artifacts))
	}
}

// TestWingetManifests validates the winget manifests of a release against
// winget's published schemas (python3-jsonschema) and reads them back with
// PyYAML: one installer per MSI, whose ProductCode and UpgradeCode are the
// ones msiinfo reads in that MSI, whose SHA-256 is sha256sum's, at the URL
// download_url makes.
func TestWingetManifests(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	spec, res := releaseManifests(t)
	files := artifactsOf(res, packager.KindWinget)
	if len(files) != 3 {
		t.Fatalf("winget manifests: %v", slices.Sorted(maps.Keys(files)))
	}
	dir := "winget/manifests/a/AcmeCorp/hello/1.4.2/"
	schemas := filepath.Join("..", "manifests", "winget", "testdata", "schema")
	for name, kind := range map[string]string{"AcmeCorp.hello.yaml": "version", "AcmeCorp.hello.locale.en-US.yaml": "defaultLocale", "AcmeCorp.hello.installer.yaml": "installer"} {
		if _, ok := files[dir+name]; !ok {
			t.Fatalf("no %s in %v", dir+name, slices.Sorted(maps.Keys(files)))
		}
		testtool.ValidateJSONSchema(t, filepath.Join(schemas, "manifest."+kind+".1.10.0.json"), filepath.Join(res.Dist, dir+name))
	}
	locale := testtool.ReadYAML(t, filepath.Join(res.Dist, dir+"AcmeCorp.hello.locale.en-US.yaml"))
	for k, want := range map[string]string{"Publisher": spec.Vendor, "PackageName": spec.Windows.ProductName, "License": "MIT",
		"ShortDescription": spec.Description, "PackageUrl": spec.Homepage, "Copyright": "(c) Acme Corp", "PackageVersion": "1.4.2"} {
		eq(t, "defaultLocale "+k, locale[k], want)
	}
	inst := testtool.ReadYAML(t, filepath.Join(res.Dist, dir+"AcmeCorp.hello.installer.yaml"))
	eq(t, "InstallerType", inst["InstallerType"], "msi")
	eq(t, "Scope", inst["Scope"], "machine")
	eq(t, "ReleaseDate", inst["ReleaseDate"], "2023-11-14")
	msis := artifactsOf(res, packager.KindMSI)
	installers, _ := inst["Installers"].([]any)
	if len(installers) != len(msis) || len(msis) != 3 {
		t.Fatalf("%d installers for %d MSIs", len(installers), len(msis))
	}
	sums := sha256sums(t, res.Dist)
	seen := map[string]bool{}
	for _, x := range installers {
		in := x.(map[string]any)
		u := in["InstallerUrl"].(string)
		file := path.Base(u)
		a, ok := msis[file]
		if !ok {
			t.Fatalf("installer URL %s names no MSI of the release", u)
		}
		seen[file] = true
		eq(t, file+" URL", u, "https://github.com/acme/hello/releases/download/v1.4.2/"+file)
		eq(t, file+" Architecture", in["Architecture"], map[string]string{"386": "x86", "amd64": "x64", "arm64": "arm64"}[a.Arch])
		eq(t, file+" InstallerSha256", strings.ToLower(in["InstallerSha256"].(string)), sums[file])
		props := msiinfoProperties(t, msiinfo, filepath.Join(res.Dist, file))
		eq(t, file+" ProductCode", in["ProductCode"], props["ProductCode"])
		entries, _ := in["AppsAndFeaturesEntries"].([]any)
		if len(entries) != 1 {
			t.Fatalf("%s: AppsAndFeaturesEntries %v", file, entries)
		}
		e := entries[0].(map[string]any)
		eq(t, file+" AppsAndFeaturesEntries ProductCode", e["ProductCode"], props["ProductCode"])
		eq(t, file+" UpgradeCode", e["UpgradeCode"], props["UpgradeCode"])
	}
	eq(t, "MSIs with an installer", len(seen), len(msis))
}

// TestScoopManifest validates the Scoop manifest against Scoop's schema
// (python3-jsonschema) and reads it back: an archive per Windows zip at its
// URL with sha256sum's digest, the service scripts it runs present in the
// zips, the configuration file persisted, and autoupdate rules that give
// this release's URLs back for its version and find each zip's digest in
// checksums.txt (the rule run by Python's re).
func TestScoopManifest(t *testing.T) {
	python := testtool.Need(t, "python3", "python3")
	_, res := releaseManifests(t)
	files := artifactsOf(res, packager.KindScoop)
	a, ok := files["scoop/hello.json"]
	if len(files) != 1 || !ok || a.Target() != "" {
		t.Fatalf("scoop manifests: %v", files)
	}
	file := filepath.Join(res.Dist, "scoop", "hello.json")
	testtool.ValidateJSONSchema(t, filepath.Join("..", "manifests", "scoop", "testdata", "schema", "schema.json"), file)
	var m struct {
		Version, Description, Homepage, License, Bin string
		Architecture                                 map[string]struct{ URL, Hash string }
		Persist                                      []string
		PostInstall                                  []string `json:"post_install"`
		PreUninstall                                 []string `json:"pre_uninstall"`
		Checkver                                     struct{ GitHub string }
		Autoupdate                                   struct {
			Architecture map[string]struct{ URL string }
			Hash         struct{ URL, Regex string }
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	eq(t, "version", m.Version, "1.4.2")
	eq(t, "description", m.Description, "Says hello over HTTP")
	eq(t, "license", m.License, "MIT")
	eq(t, "bin", m.Bin, "hello.exe")
	eq(t, "persist", m.Persist, []string{"config.yaml"})
	eq(t, "checkver github", m.Checkver.GitHub, "https://github.com/acme/hello")
	sums := sha256sums(t, res.Dist)
	zips := artifactsOf(res, packager.KindZip)
	eq(t, "architectures", len(m.Architecture), len(zips))
	base := "https://github.com/acme/hello/releases/download/v"
	checksums, err := os.ReadFile(filepath.Join(res.Dist, packager.ChecksumsName))
	if err != nil {
		t.Fatal(err)
	}
	for arch, goarch := range map[string]string{"32bit": "386", "64bit": "amd64", "arm64": "arm64"} {
		zip := "hello_1.4.2_windows_" + goarch + ".zip"
		if _, ok := zips[zip]; !ok {
			t.Fatalf("no %s", zip)
		}
		eq(t, arch+" url", m.Architecture[arch].URL, base+"1.4.2/"+zip)
		eq(t, arch+" hash", m.Architecture[arch].Hash, sums[zip])
		next := m.Autoupdate.Architecture[arch].URL
		eq(t, arch+" autoupdate url for 1.4.2", strings.ReplaceAll(next, "$version", "1.4.2"), m.Architecture[arch].URL)
		// Scoop's hash extraction: $sha256 and $basename substituted in
		// the rule, then matched against the checksums file.
		rule := strings.ReplaceAll(m.Autoupdate.Hash.Regex, "$sha256", "([a-fA-F0-9]{64})")
		rule = strings.ReplaceAll(rule, "$basename", regexp.QuoteMeta(path.Base(m.Architecture[arch].URL)))
		out, err := exec.Command(python, "-c", "import re, sys\nm = re.search(sys.argv[1], open(sys.argv[2]).read())\nprint(m.group(1) if m else '')", rule, filepath.Join(res.Dist, packager.ChecksumsName)).CombinedOutput()
		if err != nil {
			t.Fatalf("python re: %v\n%s", err, out)
		}
		eq(t, arch+" digest found by the autoupdate rule", strings.TrimSpace(string(out)), sums[zip])
		names := zipNames(t, filepath.Join(res.Dist, zip))
		for _, script := range []string{"install-service.cmd", "uninstall-service.cmd", "config.yaml", "hello.exe"} {
			if !slices.Contains(names, script) {
				t.Errorf("%s has no %s: %v", zip, script, names)
			}
		}
	}
	eq(t, "autoupdate checksums for 1.4.2", strings.ReplaceAll(m.Autoupdate.Hash.URL, "$version", "1.4.2"), base+"1.4.2/checksums.txt")
	if len(checksums) == 0 {
		t.Fatal("empty checksums.txt")
	}
	eq(t, "post_install", m.PostInstall[0], "& (Join-Path $dir 'install-service.cmd')")
	eq(t, "pre_uninstall", m.PreUninstall[0], "& (Join-Path $dir 'uninstall-service.cmd')")
}

// TestChocolateyPackage checks the .nupkg as a zip (unzip), an OPC
// package and a nuspec valid against Chocolatey's XSD (xmllint), and
// reads its scripts back: the 386 and amd64 MSIs' URLs and sha256sum's
// digests, silent msiexec arguments, and the ProductCodes msiinfo reads
// in those MSIs for the uninstall.
func TestChocolateyPackage(t *testing.T) {
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	spec, res := releaseManifests(t)
	files := artifactsOf(res, packager.KindChocolatey)
	if _, ok := files["chocolatey/hello.1.4.2.nupkg"]; len(files) != 1 || !ok {
		t.Fatalf("chocolatey packages: %v", slices.Sorted(maps.Keys(files)))
	}
	parts, n := nupkgtest.Check(t, filepath.Join(res.Dist, "chocolatey", "hello.1.4.2.nupkg"),
		filepath.Join("..", "manifests", "chocolatey", "testdata", "nuspec", "nuspec.xsd"), chocolatey.NuspecNamespace)
	m := n.Metadata
	for what, got := range map[string][2]string{
		"id": {m.ID, "hello"}, "version": {m.Version, "1.4.2"}, "title": {m.Title, spec.Windows.ProductName},
		"authors": {m.Authors, "Acme Corp"}, "description": {m.Description, "Says hello over HTTP"},
		"projectUrl": {m.ProjectURL, spec.Homepage}, "license": {m.License.Value, "MIT"}, "copyright": {m.Copyright, "(c) Acme Corp"},
	} {
		eq(t, "nuspec "+what, got[0], got[1])
	}
	install := string(parts["tools/chocolateyinstall.ps1"])
	args := psHashtable(t, install)
	sums := sha256sums(t, res.Dist)
	base := "https://github.com/acme/hello/releases/download/v1.4.2/"
	for arch, keys := range map[string][2]string{"386": {"url", "checksum"}, "amd64": {"url64bit", "checksum64"}} {
		msi := "hello_1.4.2_windows_" + arch + ".msi"
		eq(t, keys[0], args[keys[0]], base+msi)
		eq(t, keys[1], args[keys[1]], sums[msi])
	}
	eq(t, "fileType", args["fileType"], "msi")
	eq(t, "silentArgs", args["silentArgs"], "/qn /norestart")
	uninstall := string(parts["tools/chocolateyuninstall.ps1"])
	codes := regexp.MustCompile(`\$productCodes = @\(([^)]*)\)`).FindStringSubmatch(uninstall)
	if codes == nil {
		t.Fatalf("no product codes in the uninstall script:\n%s", uninstall)
	}
	var want []string
	for _, arch := range []string{"386", "amd64"} {
		want = append(want, "'"+msiinfoProperties(t, msiinfo, filepath.Join(res.Dist, "hello_1.4.2_windows_"+arch+".msi"))["ProductCode"]+"'")
	}
	eq(t, "uninstall product codes", strings.Split(codes[1], ", "), want)
}

// psHashtable reads the single-quoted values of a PowerShell hashtable
// literal's "key = 'value'" lines.
func psHashtable(t *testing.T, script string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(\w+)\s*=\s*'((?:[^']|'')*)'\s*$`).FindAllStringSubmatch(script, -1) {
		out[m[1]] = strings.ReplaceAll(m[2], "''", "'")
	}
	if len(out) == 0 {
		t.Fatalf("no values in:\n%s", script)
	}
	return out
}

// TestUniversalBinary reads the darwin/universal program with
// debug/macho.NewFatFile and llvm-lipo: the amd64 and arm64 slices, each
// byte for byte the thin program of its target; its tarball carries it, and
// artifacts.json and checksums.txt list both.
func TestUniversalBinary(t *testing.T) {
	lipoTool := testtool.NeedAny(t, "llvm", "llvm-lipo", "llvm-lipo-19", "llvm-lipo-18", "llvm-lipo-17", "llvm-lipo-16", "llvm-lipo-15", "llvm-lipo-14")
	_, res := releaseManifests(t)
	bins := artifactsOf(res, packager.KindBinary)
	fat, ok := bins["hello_darwin_universal/hello"]
	if !ok || fat.Target() != "darwin/universal" {
		t.Fatalf("no darwin/universal program: %v", slices.Sorted(maps.Keys(bins)))
	}
	fatFile := filepath.Join(res.Dist, fat.Path)
	data, err := os.ReadFile(fatFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := macho.NewFatFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[macho.Cpu]string{macho.CpuAmd64: "hello_darwin_amd64/hello", macho.CpuArm64: "hello_darwin_arm64/hello"}
	if len(f.Arches) != 2 {
		t.Fatalf("%d slices", len(f.Arches))
	}
	for _, a := range f.Arches {
		thin, err := os.ReadFile(filepath.Join(res.Dist, want[a.Cpu]))
		if err != nil {
			t.Fatalf("slice %v: %v", a.Cpu, err)
		}
		if !bytes.Equal(data[a.Offset:a.Offset+a.Size], thin) {
			t.Errorf("the %v slice is not %s", a.Cpu, want[a.Cpu])
		}
	}
	if out := string(runTool(t, "llvm", lipoTool, "-info", fatFile)); !strings.Contains(out, "x86_64 arm64") {
		t.Errorf("llvm-lipo -info: %s", out)
	}
	for arch, thinPath := range map[string]string{"x86_64": "hello_darwin_amd64/hello", "arm64": "hello_darwin_arm64/hello"} {
		out := filepath.Join(t.TempDir(), arch)
		runTool(t, "llvm", lipoTool, fatFile, "-thin", arch, "-output", out)
		got, _ := os.ReadFile(out)
		thin, _ := os.ReadFile(filepath.Join(res.Dist, thinPath))
		if !bytes.Equal(got, thin) {
			t.Errorf("llvm-lipo -thin %s is not %s", arch, thinPath)
		}
	}
	tgz := "hello_1.4.2_darwin_universal.tar.gz"
	a, ok := artifactsOf(res, packager.KindTarGz)[tgz]
	if !ok || a.Target() != "darwin/universal" {
		t.Fatalf("no %s: %+v", tgz, a)
	}
	inTar := runTool(t, "tar", "tar", "-xOzf", filepath.Join(res.Dist, tgz), "hello")
	if !bytes.Equal(inTar, data) {
		t.Errorf("%s carries another program than %s", tgz, fat.Path)
	}
	sums := sha256sums(t, res.Dist)
	for _, p := range []string{fat.Path, tgz} {
		if sums[p] == "" {
			t.Errorf("checksums.txt lacks %s", p)
		}
	}
	m := readManifest(t, res.Dist)
	found := 0
	for _, a := range m.Artifacts {
		if (a.Path == fat.Path || a.Path == tgz) && a.OS == "darwin" && a.Arch == "universal" {
			found++
		}
	}
	eq(t, "artifacts.json entries of darwin/universal", found, 2)
}

// TestHomebrewFormula has Ruby read the formula back (brewtest: ruby -c,
// then the formula evaluated on each platform and CPU): every Mac gets the
// universal tarball, Linux its CPU's, each at its URL with sha256sum's
// digest; the program and the configuration file are installed, and the
// service block runs the program with the configured arguments,
// environment and restart policy.
func TestHomebrewFormula(t *testing.T) {
	_, res := releaseManifests(t)
	files := artifactsOf(res, packager.KindHomebrew)
	if _, ok := files["homebrew/hello.rb"]; len(files) != 1 || !ok {
		t.Fatalf("formulas: %v", slices.Sorted(maps.Keys(files)))
	}
	formula := filepath.Join(res.Dist, "homebrew", "hello.rb")
	sums := sha256sums(t, res.Dist)
	base := "https://github.com/acme/hello/releases/download/v1.4.2/"
	for _, tc := range []struct{ os, cpu, tarball string }{
		{"macos", "intel", "hello_1.4.2_darwin_universal.tar.gz"},
		{"macos", "arm", "hello_1.4.2_darwin_universal.tar.gz"},
		{"linux", "intel", "hello_1.4.2_linux_amd64.tar.gz"},
		{"linux", "arm", "hello_1.4.2_linux_arm64.tar.gz"},
	} {
		r := brewtest.Read(t, formula, tc.os, tc.cpu)
		where := tc.os + "/" + tc.cpu
		eq(t, where+" class", r.Class, "Hello")
		eq(t, where+" url", r.Fields["url"], base+tc.tarball)
		eq(t, where+" sha256", r.Fields["sha256"], sums[tc.tarball])
		eq(t, where+" version", r.Fields["version"], "1.4.2")
		eq(t, where+" license", r.Fields["license"], "MIT")
		eq(t, where+" desc", r.Fields["desc"], "Says hello over HTTP")
		eq(t, where+" installs", r.Installs, [][]string{{"install", "bin", "hello"}, {"install", "etc/hello", "config.yaml"}, {"mkpath", "var/lib/hello"}, {"mkpath", "var/log/hello"}})
		eq(t, where+" service", r.Service, map[string]any{
			// -config names the file where the formula installs it.
			"run":               []any{"opt_bin/hello", "run", "-addr", "127.0.0.1:8080", "-config", "etc/hello/config.yaml"},
			"keep_alive":        map[string]any{"successful_exit": false},
			"throttle_interval": float64(7), "environment_variables": map[string]any{"PORT": "8080"},
			"working_dir": "var/lib/hello", "log_path": "var/log/hello.log", "error_log_path": "var/log/hello.log",
		})
		// The tarball holds what the formula installs.
		names := strings.Fields(string(runTool(t, "tar", "tar", "-tzf", filepath.Join(res.Dist, tc.tarball))))
		for _, f := range []string{"hello", "config.yaml"} {
			if !slices.Contains(names, f) {
				t.Errorf("%s has no %s: %v", tc.tarball, f, names)
			}
		}
	}
}

// zipNames lists a zip's members with unzip -Z1 (Info-ZIP's reader).
func zipNames(t *testing.T, file string) []string {
	t.Helper()
	return strings.Fields(string(runTool(t, "unzip", "unzip", "-Z1", file)))
}

// msiinfoProperties is the Property table of an MSI as msiinfo exports it.
func msiinfoProperties(t *testing.T, msiinfo, file string) map[string]string {
	t.Helper()
	out := runTool(t, "msitools", msiinfo, "export", file, "Property")
	props := map[string]string{}
	lines := strings.Split(strings.TrimRight(string(out), "\r\n"), "\n")
	for _, l := range lines[3:] {
		k, v, _ := strings.Cut(strings.TrimRight(l, "\r"), "\t")
		props[k] = v
	}
	if props["ProductCode"] == "" {
		t.Fatalf("msiinfo reads no ProductCode in %s:\n%s", file, out)
	}
	return props
}

// sha256sums are sha256sum's digests of every file checksums.txt lists,
// after sha256sum -c has checked them.
func sha256sums(t *testing.T, dist string) map[string]string {
	t.Helper()
	r := &fieldsRelease{res: &Result{Dist: dist}}
	if ok := r.checksumsOK(t); len(ok) == 0 {
		t.Fatal("sha256sum -c checked nothing")
	}
	b, err := os.ReadFile(filepath.Join(dist, packager.ChecksumsName))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, file, _ := strings.Cut(l, "  ")
		out[file] = sum
	}
	return out
}
