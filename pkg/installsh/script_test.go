package installsh_test

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/installsh"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// loggers are stubs of every program the script might run, each logging
// its name and arguments to $LOG.
func loggers(t *testing.T, except ...string) string {
	stubs := map[string]string{}
	for _, name := range []string{"id", "uname", "mktemp", "rm", "mkdir", "sed", "awk", "tr", "head", "cat", "cut",
		"base64", "install", "curl", "wget", "tar", "sha256sum", "shasum", "gpg", "gpgv", "apt-get", "dnf", "yum",
		"rpm", "systemctl", "dpkg-query", "touch", "sh", "chmod"} {
		if !slices.Contains(except, name) {
			stubs[name] = `echo "$0 $*" >>"$LOG"`
		}
	}
	return toolbox(t, nil, stubs)
}

// TestArguments: --help prints the usage and runs no program; an unknown
// argument is refused with the usage; anyone but root is refused before
// anything is done.
func TestArguments(t *testing.T) {
	script := render(t, sample(t))
	for _, tc := range []struct {
		name    string
		args    []string
		uid     string
		wantErr bool
		want    []string
		ran     string // what the stubs logged
	}{
		{"help", []string{"--help"}, "0", false, []string{"Usage: curl -fsSL <URL of install.sh> | sudo sh",
			"Installs hello 1.2.3 (the service hello-svc)",
			"apt repository (Debian, Ubuntu): https://example.com/hello/apt",
			"dnf repository (Fedora, RHEL and the like): https://example.com/hello/rpm",
			"  darwin/arm64: https://example.com/hello/releases/1.2.3/hello_1.2.3_darwin_arm64.tar.gz",
			"Signing key (embedded in this script): " + goldenFingerprint}, ""},
		{"help after --tarball", []string{"--tarball", "-h"}, "0", false, []string{"Usage:"}, ""},
		{"an unknown option", []string{"--yes"}, "0", true,
			[]string{"Usage:", "install.sh: unknown argument: --yes"}, ""},
		{"an operand", []string{"hello"}, "0", true, []string{"install.sh: unknown argument: hello"}, ""},
		{"not root", nil, "1000", true, []string{"install.sh: run it as root"}, "id -u\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := loggers(t, "id")
			id := "#!/bin/sh\necho \"$0 $*\" >>\"$LOG\"\necho " + tc.uid + "\n"
			os.WriteFile(filepath.Join(path, "id"), []byte(id), 0o755)
			log := filepath.Join(t.TempDir(), "log")
			out, err := runScript(t, script, t.TempDir(), path, []string{"LOG=" + log}, tc.args...)
			if (err != nil) != tc.wantErr {
				t.Errorf("exit: %v, want an error: %v\n%s", err, tc.wantErr, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output lacks %q:\n%s", w, out)
				}
			}
			ran, _ := os.ReadFile(log)
			if got := regexp.MustCompile(`(?m)^\S*/`).ReplaceAllString(string(ran), ""); got != tc.ran {
				t.Errorf("programs run: %q, want %q", got, tc.ran)
			}
		})
	}
}

// TestHostileValues sets fields to values that would run a command were
// they code: each is refused by Write, or shown by --help as the very
// text it is, with no program run and no file made.
func TestHostileValues(t *testing.T) {
	values := []string{"$(touch pwned)", "$(touch${IFS}pwned)", "`touch${IFS}pwned`", "';touch${IFS}pwned;'",
		`";touch${IFS}pwned;"`, "x;touch pwned", "|touch${IFS}pwned", ">pwned", "-rf", "--help", `\'`, "a\nb", "a\rb"}
	fields := []struct {
		name  string
		set   func(*installsh.Script, string)
		shown bool // --help prints it
	}{
		{"Name", func(s *installsh.Script, v string) { s.Name = v }, true},
		{"Service", func(s *installsh.Script, v string) { s.Service = v }, true},
		{"KeyName", func(s *installsh.Script, v string) { s.KeyName = v }, false},
		{"Version", func(s *installsh.Script, v string) { s.Version = v }, true},
		{"Fingerprint", func(s *installsh.Script, v string) { s.Fingerprint = v }, true},
		{"Apt.URL", func(s *installsh.Script, v string) { s.Apt.URL = "https://example.com/" + v }, true},
		{"Apt.Origin", func(s *installsh.Script, v string) { s.Apt.Origin = v }, false},
		{"Apt.Architectures", func(s *installsh.Script, v string) { s.Apt.Architectures = []string{v} }, false},
		{"Dnf.URL", func(s *installsh.Script, v string) { s.Dnf.URL = "https://example.com/" + v }, true},
		{"Tarballs[0].URL", func(s *installsh.Script, v string) { s.Tarballs[0].URL = "https://example.com/" + v },
			true},
		{"Tarballs[0].File", func(s *installsh.Script, v string) { s.Tarballs[0].File = v }, false},
		{"Tarballs[0].Binary", func(s *installsh.Script, v string) { s.Tarballs[0].Binary = v }, false},
		{"Tarballs[0].BinPath", func(s *installsh.Script, v string) { s.Tarballs[0].BinPath = "/usr/bin/" + v }, false},
		{"ChecksumsURL", func(s *installsh.Script, v string) { s.ChecksumsURL = "https://example.com/" + v }, true},
	}
	accepted := 0
	for _, f := range fields {
		for _, v := range values {
			s := sample(t)
			f.set(&s, v)
			var b bytes.Buffer
			if err := s.Write(&b); err != nil {
				if !strings.HasPrefix(err.Error(), "installsh: "+f.name) {
					t.Errorf("%s = %q: refused for another field: %v", f.name, v, err)
				}
				continue
			}
			accepted++
			if !f.shown || strings.ContainsAny(v, "\r\n") {
				t.Errorf("%s = %q: accepted", f.name, v)
				continue
			}
			dir, log := t.TempDir(), filepath.Join(t.TempDir(), "log")
			out, err := runScript(t, b.Bytes(), dir, loggers(t), []string{"LOG=" + log}, "--help")
			if err != nil || !strings.Contains(out, v) {
				t.Errorf("%s = %q: --help: %v; the output does not show it as it is:\n%s", f.name, v, err, out)
			}
			if ran, _ := os.ReadFile(log); len(ran) > 0 {
				t.Errorf("%s = %q: --help ran %s", f.name, v, ran)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("%s = %q: --help made %s", f.name, v, entries[0].Name())
			}
		}
	}
	if accepted < 20 {
		t.Errorf("only %d hostile values were accepted (as data): the table proves little", accepted)
	}
}

// hostileDir is the release's folder on the server: every value the
// script downloads from holds shell syntax (and curl's globbing).
const hostileDir = "/dl/it's$(touch${IFS}pwned);`touch${IFS}pwned`[1-2]|>pwned/"

// TestTarballOnMacOS runs the tarball path of a darwin/arm64 machine (uname
// answers so; nothing leaves temporary folders, as the tarball's install.sh
// is a stub) against a served release: with gpgv, with gpg or with neither
// installed, the signature of checksums.txt is checked or said not to be,
// and the tarball's installer runs only when the tarball's SHA-256 and
// checksums.txt's signature are right. The release is in a folder whose
// name is shell code and curl glob syntax, downloaded with curl, wget and
// apt-helper.
func TestTarballOnMacOS(t *testing.T) {
	_, ours, fpr := newKey(t)
	_, theirs, _ := newKey(t)
	const file = "hello_1.0.0_darwin_arm64.tar.gz"
	tarball := tarGz(t, map[string]string{
		"hello": "#!/bin/sh\necho hello\n", "local.hello.plist": "<plist/>\n",
		"install.sh": "set -eu\ncd \"$(dirname \"$0\")\"\ntest -x ./hello\n" +
			"printf '%s\\n' \"installer ran with $# arguments\" >\"$INSTALLSH_TEST_MARK\"\n",
	})
	gpg := []string{"gpg", "gpgconf", "gpg-agent"}
	for _, tc := range []struct {
		name      string
		tools     []string // besides baseTools
		sum       string   // what checksums.txt says, "" for the right sum
		signer    *pgpsign.Signer
		tamper    bool   // checksums.txt changed after signing
		scriptFpr string // a tampered script's FINGERPRINT
		file      string // Tarball.File, "" for file
		machine   string // uname -m
		download  string // curl (""), wget, or apt-helper (neither on PATH)
		want      string // in the output
		ok        bool   // installed
	}{
		{name: "gpgv", tools: []string{"gpgv"}, want: "checksums.txt: good signature by " + fpr, ok: true},
		{name: "gpg", tools: gpg, want: "signing key " + fpr + " (checked with gpg)", ok: true},
		{name: "neither", want: "the signature of checksums.txt was NOT checked", ok: true},
		{name: "wget", tools: []string{"gpgv"}, download: "wget", want: "checksums.txt: good signature", ok: true},
		{name: "apt-helper", tools: []string{"gpgv"}, download: "apt-helper", want: "checksums.txt: good signature",
			ok: true},
		{name: "wrong sum, gpgv", tools: []string{"gpgv"}, sum: strings.Repeat("ab", 32),
			want: "checksums.txt says abab"},
		{name: "wrong sum, neither", sum: strings.Repeat("ab", 32), want: "checksums.txt says abab"},
		{name: "signed by another key, gpgv", tools: []string{"gpgv"}, signer: theirs,
			want: "is not a good one by the key"},
		{name: "signed by another key, gpg", tools: gpg, signer: theirs, want: "is not a good one by the key"},
		{name: "changed after signing", tools: []string{"gpgv"}, tamper: true, want: "is not a good one by the key"},
		{name: "another fingerprint, gpg", tools: gpg, scriptFpr: strings.Repeat("AB", 20),
			want: "the embedded key's fingerprint is " + fpr + ", not " + strings.Repeat("AB", 20)},
		{name: "another fingerprint, gpgv", tools: []string{"gpgv"}, scriptFpr: strings.Repeat("AB", 20),
			want: "checksums.txt: signed by " + fpr + ", not by " + strings.Repeat("AB", 20)},
		{name: "not in checksums.txt", file: "hello.tar.gz", want: "checksums.txt lists hello.tar.gz not once"},
		{name: "no tarball for amd64", machine: "x86_64", want: "no tarball for darwin/amd64, only for: darwin/arm64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := serve(t)
			r.publish(t, hostileDir, file, tarball, tc.sum, cmp.Or(tc.signer, ours))
			if tc.tamper {
				r.put(hostileDir+"checksums.txt", append(r.files[hostileDir+"checksums.txt"], "\n"...))
			}
			script := tarballScript(t, r, hostileDir, publicKey(t, ours), fpr, installsh.Tarball{
				OS: "darwin", Arch: "arm64", URL: r.url(hostileDir + file), File: cmp.Or(tc.file, file),
				Binary: "hello", Installer: "install.sh"})
			if tc.scriptFpr != "" {
				script = bytes.Replace(script, []byte("FINGERPRINT='"+fpr), []byte("FINGERPRINT='"+tc.scriptFpr), 1)
			}
			tools := append(slices.Clone(baseTools), tc.tools...)
			switch tc.download {
			case "":
				tools = append(tools, "curl")
			case "wget":
				tools = append(tools, "wget")
			case "apt-helper":
				if _, err := os.Stat("/usr/lib/apt/apt-helper"); err != nil {
					testtool.Missing(t, "/usr/lib/apt/apt-helper (Debian package apt)")
				}
			}
			path := toolbox(t, tools, map[string]string{
				"id":    "echo 0",
				"uname": `case $1 in -s) echo Darwin ;; -m) echo "$MACHINE" ;; esac`,
			})
			dir, mark := t.TempDir(), filepath.Join(t.TempDir(), "mark")
			out, err := runScript(t, script, dir, path, []string{"MACHINE=" + cmp.Or(tc.machine, "arm64"),
				"INSTALLSH_TEST_MARK=" + mark, "HOME=" + t.TempDir()})
			ran, _ := os.ReadFile(mark)
			if !strings.Contains(out, tc.want) || (err == nil) != tc.ok || (len(ran) > 0) != tc.ok {
				t.Errorf("exit %v, installer ran: %q; want %q, installed: %v; output:\n%s",
					err, ran, tc.want, tc.ok, out)
			}
			if tc.ok && !strings.Contains(string(ran), "installer ran with 0 arguments") {
				t.Errorf("the installer wrote %q", ran)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("the script made %s in its working folder", entries[0].Name())
			}
			if tc.ok && !slices.Contains(r.requested, hostileDir+file) {
				t.Errorf("the server was asked for %q, not %q", r.requested, hostileDir+file)
			}
		})
	}
}
