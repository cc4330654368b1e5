package installsh_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/installsh"
)

var update = flag.Bool("update", false, "rewrite testdata/install.sh from the sample script")

// goldenFingerprint is testdata/public.gpg's, as gpg printed it.
const goldenFingerprint = "F16F5FAFCB05649493A1F27D476BE35193EBFCB7"

// sample is a script with every field set: an apt and a dnf repository
// and three tarballs.
func sample(t *testing.T) installsh.Script {
	t.Helper()
	key, err := os.ReadFile("testdata/public.gpg")
	if err != nil {
		t.Fatal(err)
	}
	const dl = "https://example.com/hello/releases/1.2.3/"
	return installsh.Script{
		Name: "hello", Service: "hello-svc", Version: "1.2.3", KeyName: "acme-hello",
		Key: key, Fingerprint: goldenFingerprint,
		Apt: &installsh.Apt{URL: "https://example.com/hello/apt", Suite: "stable", Component: "main",
			Origin: "acme", Architectures: []string{"amd64", "arm64"}},
		Dnf: &installsh.Dnf{URL: "https://example.com/hello/rpm", Priority: 10},
		Tarballs: []installsh.Tarball{
			{OS: "linux", Arch: "amd64", URL: dl + "hello_1.2.3_linux_amd64.tar.gz",
				File: "hello_1.2.3_linux_amd64.tar.gz", Binary: "hello", Unit: "hello-svc.service",
				BinPath: "/usr/bin/hello", Files: []installsh.TarballFile{
					{Src: "config.yaml", Dst: "/etc/hello/config.yaml", Config: true},
					{Src: "LICENSE", Dst: "/usr/share/doc/hello/LICENSE"}}},
			{OS: "linux", Arch: "arm64", URL: dl + "hello_1.2.3_linux_arm64.tar.gz",
				File: "hello_1.2.3_linux_arm64.tar.gz", Binary: "hello", Unit: "hello-svc.service",
				BinPath: "/usr/bin/hello"},
			{OS: "darwin", Arch: "arm64", URL: dl + "hello_1.2.3_darwin_arm64.tar.gz",
				File: "hello_1.2.3_darwin_arm64.tar.gz", Binary: "hello", Installer: "install.sh"},
		},
		ChecksumsURL: dl + "checksums.txt", SignatureURL: dl + "checksums.txt.asc",
	}
}

// render is s.Write's output; it fails the test on an error.
func render(t *testing.T, s installsh.Script) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden compares the sample's script with testdata/install.sh
// (go test -update rewrites it) and writes it twice: the same bytes.
func TestGolden(t *testing.T) {
	got := render(t, sample(t))
	if again := render(t, sample(t)); !bytes.Equal(got, again) {
		t.Fatal("two scripts of one Script differ")
	}
	if *update {
		if err := os.WriteFile("testdata/install.sh", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/install.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the script differs from testdata/install.sh (go test -update rewrites it):\n%s", diff(want, got))
	}
}

// diff names the first line that differs.
func diff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, a, b)
		}
	}
	return "same lines"
}

// variants are scripts of different shapes: the sample, apt alone, dnf
// alone, tarballs alone.
func variants(t *testing.T) map[string]installsh.Script {
	full := sample(t)
	apt, dnf, tarballs := full, full, full
	apt.Dnf, apt.Tarballs, apt.Apt = nil, nil, &installsh.Apt{URL: "http://127.0.0.1:8080/", Origin: "x"}
	dnf.Apt, dnf.Tarballs, dnf.Dnf = nil, nil, &installsh.Dnf{URL: "https://example.com/rpm"}
	tarballs.Apt, tarballs.Dnf = nil, nil
	return map[string]installsh.Script{"full": full, "apt": apt, "dnf": dnf, "tarballs": tarballs}
}

// TestShellsParse: dash -n, bash -n (POSIX mode) and shellcheck (every
// check down to style) read every variant without a complaint.
func TestShellsParse(t *testing.T) {
	for _, c := range []struct {
		pkg  string
		args []string
	}{
		{"dash", []string{"dash", "-n"}},
		{"bash", []string{"bash", "--posix", "-n"}},
		{"shellcheck", []string{"shellcheck", "--shell=sh", "--severity=style"}},
	} {
		t.Run(c.args[0], func(t *testing.T) {
			prog := testtool.Need(t, c.args[0], c.pkg)
			for name, s := range variants(t) {
				p := filepath.Join(t.TempDir(), "install.sh")
				if err := os.WriteFile(p, render(t, s), 0o755); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(prog, append(c.args[1:], p)...).CombinedOutput(); err != nil || len(out) > 0 {
					t.Errorf("%s: %s: %v\n%s", name, strings.Join(c.args, " "), err, out)
				}
			}
		})
	}
}

// codeMarker begins the code, after the values.
const codeMarker = "\n# ---------------------------------------------------------------------------\n# The code."

// TestCodeHoldsNoValue: the code after the values is the same bytes for
// scripts of different values (hostile ones among them), so no value can
// have become code; and every value line is NAME='...'.
func TestCodeHoldsNoValue(t *testing.T) {
	hostile := sample(t)
	hostile.Version = `$(touch pwned) "; rm -rf / #'`
	hostile.Apt.URL = "https://example.com/'$(id)'`id`;x"
	hostile.Tarballs[0].URL = "https://example.com/a'b\"c;d|e&f>g"
	var code string
	for name, s := range variants(t) {
		for _, s := range []installsh.Script{s, hostile} {
			text := string(render(t, s))
			i := strings.Index(text, codeMarker)
			if i < 0 {
				t.Fatalf("%s: no code marker", name)
			}
			if code == "" {
				code = text[i:]
			} else if text[i:] != code {
				t.Fatalf("%s: the code differs between scripts:\n%s", name, diff([]byte(code), []byte(text[i:])))
			}
			checkValueLines(t, text[:i])
		}
	}
}

// checkValueLines checks that each line of the values block is a comment,
// NAME='word', T_NAME='word', a case label 'word'), a line of the key
// here-document, or one of the fixed lines around them.
func checkValueLines(t *testing.T, values string) {
	t.Helper()
	fixed := map[string]bool{"#!/bin/sh": true, "set -eu": true, "": true, "tarball() {": true, "\tcase $1 in": true,
		"\t\t;;": true, "\t*) return 1 ;;": true, "\tesac": true, "}": true, "key_armored() {": true,
		"\tcat <<'END_OF_KEY'": true, "END_OF_KEY": true, "tarball_files() {": true}
	inKey := false
	for line := range strings.Lines(values) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "\tcat <<'END_OF_KEY'":
			inKey = true
		case line == "END_OF_KEY":
			inKey = false
		case inKey:
			if strings.Trim(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" &&
				!strings.HasPrefix(line, "-----") {
				t.Errorf("key line %q is not armor", line)
			}
			continue
		}
		if fixed[line] || strings.HasPrefix(line, "#") {
			continue
		}
		if args, ok := strings.CutPrefix(line, "\t\tship "); ok {
			// ship 'src' 'dst' 'keep': three words; a word holds no space
			// but inside its quotes, so the line splits at "' '".
			words := strings.Split(args, "' '")
			if len(words) != 3 || !isWord(words[0]+"'") || !isWord("'"+words[1]+"'") || !isWord("'"+words[2]) {
				t.Errorf("value line %q is not ship and three words", line)
			}
			continue
		}
		name, v, ok := strings.Cut(strings.TrimLeft(line, "\t"), "=")
		if !ok {
			name, v = "", strings.TrimSuffix(strings.TrimLeft(line, "\t"), ")")
		}
		if strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" || !isWord(v) {
			t.Errorf("value line %q is not NAME='word'", line)
		}
	}
}

// isWord reports whether v is one single-quoted shell word: quoted runs
// joined by \' only.
func isWord(v string) bool {
	inner, ok := strings.CutPrefix(v, "'")
	if inner, ok2 := strings.CutSuffix(inner, "'"); ok && ok2 && len(v) >= 2 {
		for _, part := range strings.Split(inner, `'\''`) {
			if strings.Contains(part, "'") {
				return false
			}
		}
		return true
	}
	return false
}

// TestRefuses: what the script cannot carry, or could not install, is
// refused with the field and what would be valid.
func TestRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*installsh.Script)
		want   string
	}{
		{"no name", func(s *installsh.Script) { s.Name = "" }, `Name: "": want a package name`},
		{"a name with a slash", func(s *installsh.Script) { s.Name = "a/b" }, `Name: "a/b"`},
		{"a name like an option", func(s *installsh.Script) { s.Name = "-y" }, `Name: "-y"`},
		{"a name with a quote", func(s *installsh.Script) { s.Name = "it's" }, `Name: "it's"`},
		{"a key name with a dot first", func(s *installsh.Script) { s.KeyName = ".hidden" }, `KeyName: ".hidden"`},
		{"a service name with a space", func(s *installsh.Script) { s.Service = "a b" }, `Service: "a b"`},
		{"no version", func(s *installsh.Script) { s.Version = "" }, "Version: empty"},
		{"a short fingerprint", func(s *installsh.Script) { s.Fingerprint = "ABCD" }, "Fingerprint: \"ABCD\": want"},
		{"another key's fingerprint", func(s *installsh.Script) { s.Fingerprint = strings.Repeat("AB", 20) },
			"Fingerprint: " + strings.Repeat("AB", 20) + " is not Key's fingerprint, which is " + goldenFingerprint},
		{"no key", func(s *installsh.Script) { s.Key = nil }, "Key: empty"},
		{"an armored key", func(s *installsh.Script) { s.Key = []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n") },
			"Key: "},
		{"two keys", func(s *installsh.Script) { s.Key = append(append([]byte(nil), s.Key...), s.Key...) },
			"Key: 2 keys"},
		{"nothing to install from", func(s *installsh.Script) { s.Apt, s.Dnf, s.Tarballs = nil, nil, nil },
			"Apt, Dnf, Tarballs: none is set"},
		{"an ftp URL", func(s *installsh.Script) { s.Apt.URL = "ftp://example.com/apt" },
			`Apt.URL: "ftp://example.com/apt"`},
		{"a URL with a space", func(s *installsh.Script) { s.Apt.URL = "https://example.com/a b" }, "Apt.URL:"},
		{"a URL like an option", func(s *installsh.Script) { s.Apt.URL = "-o/etc/passwd" }, "Apt.URL:"},
		{"a URL without a host", func(s *installsh.Script) { s.Apt.URL = "https:///apt" }, "Apt.URL:"},
		{"a non-ASCII URL", func(s *installsh.Script) { s.Apt.URL = "https://example.com/é" }, "Apt.URL:"},
		{"a dnf URL with a variable", func(s *installsh.Script) { s.Dnf.URL = "https://example.com/$basearch" },
			"Dnf.URL: \"https://example.com/$basearch\": want a URL without '$'"},
		{"a dnf priority of 100", func(s *installsh.Script) { s.Dnf.Priority = 100 },
			"Dnf.Priority: 100: want 1 to 99"},
		{"an origin with a space", func(s *installsh.Script) { s.Apt.Origin = "Acme Corp" }, `Apt.Origin: "Acme Corp"`},
		{"no origin", func(s *installsh.Script) { s.Apt.Origin = "" }, `Apt.Origin: ""`},
		{"a suite with a slash", func(s *installsh.Script) { s.Apt.Suite = "a/b" }, `Apt.Suite: "a/b"`},
		{"an architecture in capitals", func(s *installsh.Script) { s.Apt.Architectures = []string{"AMD64"} },
			`Apt.Architectures[0]: "AMD64"`},
		{"tarballs without checksums", func(s *installsh.Script) { s.ChecksumsURL = "" }, `ChecksumsURL: ""`},
		{"tarballs without a signature", func(s *installsh.Script) { s.SignatureURL = "" }, `SignatureURL: ""`},
		{"a windows tarball", func(s *installsh.Script) { s.Tarballs[0].OS = "windows" },
			`Tarballs[0].OS: "windows": want linux or darwin`},
		{"an unknown architecture", func(s *installsh.Script) { s.Tarballs[0].Arch = "x86_64" },
			`Tarballs[0].Arch: "x86_64"`},
		{"two tarballs of one platform", func(s *installsh.Script) { s.Tarballs[1].Arch = "amd64" },
			"Tarballs[1]: a second tarball for linux/amd64"},
		{"a binary outside the tarball", func(s *installsh.Script) { s.Tarballs[0].Binary = "../hello" },
			`Tarballs[0].Binary: "../hello"`},
		{"an absolute unit path", func(s *installsh.Script) { s.Tarballs[0].Unit = "/etc/x.service" },
			`Tarballs[0].Unit: "/etc/x.service"`},
		{"a linux tarball without a unit", func(s *installsh.Script) { s.Tarballs[0].Unit = "" },
			"Tarballs[0].Unit: empty"},
		{"a relative bin path", func(s *installsh.Script) { s.Tarballs[0].BinPath = "usr/bin/hello" },
			`Tarballs[0].BinPath: "usr/bin/hello"`},
		{"a bin path in /", func(s *installsh.Script) { s.Tarballs[0].BinPath = "/hello" },
			`Tarballs[0].BinPath: "/hello"`},
		{"a bin path with ..", func(s *installsh.Script) { s.Tarballs[0].BinPath = "/usr/../hello" },
			`Tarballs[0].BinPath: "/usr/../hello"`},
		{"a linux installer", func(s *installsh.Script) { s.Tarballs[0].Installer = "install.sh" },
			`Tarballs[0].Installer: "install.sh": want none for linux`},
		{"a darwin tarball without its installer", func(s *installsh.Script) { s.Tarballs[2].Installer = "" },
			"Tarballs[2].Installer: empty"},
		{"a darwin unit", func(s *installsh.Script) { s.Tarballs[2].Unit = "hello.service" },
			`Tarballs[2].Unit: "hello.service": want none for darwin`},
		{"a checksums entry with a space", func(s *installsh.Script) { s.Tarballs[0].File = "a b.tar.gz" },
			`Tarballs[0].File: "a b.tar.gz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sample(t)
			tc.change(&s)
			err := s.Write(&bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "installsh: ") {
				t.Errorf("Write: %v\nwant an error with %q", err, tc.want)
			}
			if verr := s.Validate(); fmt.Sprint(verr) != fmt.Sprint(err) {
				t.Errorf("Validate: %v; Write: %v", verr, err)
			}
		})
	}
}

// TestRefusesASecretKey: a key with its secret part would publish it.
func TestRefusesASecretKey(t *testing.T) {
	k, _, fpr := newKey(t)
	secret := k.Run(t, "--export-secret-keys")
	s := sample(t)
	s.Key, s.Fingerprint = []byte(secret), fpr
	if err := s.Write(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "Key: holds a secret key") {
		t.Errorf("Write of a secret key: %v", err)
	}
}

// controls are characters that no value may hold.
var controls = []string{"\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u0085", "\u009b", "\u2028", "\u2029"}

// TestControlCharactersInEveryField sets every string field found by
// reflection (a new field is covered the day it is added) to a value with
// each control character: Write refuses it, naming the field and the
// value.
func TestControlCharactersInEveryField(t *testing.T) {
	var fields []string
	for _, c := range controls {
		s := sample(t)
		fields = fields[:0]
		eachString(reflect.ValueOf(&s).Elem(), "", func(path string, v reflect.Value) {
			fields = append(fields, path)
			old := v.String()
			bad := "x" + c + "y"
			v.SetString(bad)
			err := s.Write(&bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), "installsh: "+path+":") ||
				!strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
				t.Errorf("%s = %q: Write: %v", path, bad, err)
			}
			v.SetString(old)
		})
	}
	if len(fields) < 30 {
		t.Errorf("reflection found %d string fields, want all of them (30 or more): %v", len(fields), fields)
	}
}

// eachString calls f with every settable string in v (fields, slice
// elements, pointed-to structs), named as Go would write them.
func eachString(v reflect.Value, path string, f func(string, reflect.Value)) {
	switch v.Kind() {
	case reflect.String:
		f(path, v)
	case reflect.Pointer:
		if !v.IsNil() {
			eachString(v.Elem(), path, f)
		}
	case reflect.Slice:
		for i := range v.Len() {
			eachString(v.Index(i), fmt.Sprintf("%s[%d]", path, i), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			if path != "" {
				name = path + "." + name
			}
			eachString(v.Field(i), name, f)
		}
	}
}

// TestDefaults: Service and KeyName default to Name, the apt suite and
// component to stable and main.
func TestDefaults(t *testing.T) {
	s := sample(t)
	s.Service, s.KeyName, s.Apt.Suite, s.Apt.Component = "", "", "", ""
	text := string(render(t, s))
	for _, want := range []string{"\nSERVICE='hello'\n", "\nKEYNAME='hello'\n", "\nAPT_SUITE='stable'\n",
		"\nAPT_COMPONENT='main'\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("the script lacks %q", want)
		}
	}
}

// TestFilesAreData: a shipped file's paths that mean something to a shell
// reach ship as the exact words written (the script's own function run
// with a stand-in ship that prints its arguments); a path leaving the
// tarball or its folder is refused.
func TestFilesAreData(t *testing.T) {
	sh := testtool.Need(t, "dash", "dash")
	s := sample(t)
	files := []installsh.TarballFile{
		{Src: "conf/$(touch pwned) `id` 'q'.yaml", Dst: "/etc/hello/a b;c'd $HOME.yaml", Config: true},
		{Src: "-rf", Dst: "/etc/hello/--help"},
	}
	s.Tarballs[0].Files = files
	script := string(render(t, s))
	values, _, _ := strings.Cut(script, "\n# The repositories' public key")
	dir := t.TempDir()
	prog := values + "\nship() { printf '%s|%s|%s\\n' \"$1\" \"$2\" \"$3\"; }\ntarball_files linux/amd64\n"
	cmd := exec.Command(sh, "-c", prog)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	want := files[0].Src + "|" + files[0].Dst + "|keep\n" + files[1].Src + "|" + files[1].Dst + "|\n"
	if err != nil || string(out) != want {
		t.Errorf("ship got:\n%s(%v)\nwant:\n%s", out, err, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("running the values made files: %v", entries)
	}
	for _, f := range []installsh.TarballFile{{Src: "../x", Dst: "/etc/x"}, {Src: "x", Dst: "etc/x"},
		{Src: "/x", Dst: "/etc/x"}, {Src: "x", Dst: "/etc/../x"}, {Src: "a//b", Dst: "/etc/x"}} {
		s.Tarballs[0].Files = []installsh.TarballFile{f}
		if err := s.Validate(); err == nil {
			t.Errorf("%+v was accepted", f)
		}
	}
}
