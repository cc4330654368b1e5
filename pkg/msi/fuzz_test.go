package msi

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/richardlehane/mscfb"
	"github.com/svcpack/svcpack/internal/textread"
	"github.com/svcpack/svcpack/pkg/winargv"
)

// FuzzPackage writes packages whose product name, service display name,
// description, argument and environment value are arbitrary: Validate
// refuses them, or Write succeeds, github.com/richardlehane/mscfb reads the
// result, and its string pool holds each value as the tables need it
// (code page 1252; [ ] { } escaped in Formatted columns, arguments quoted).
func FuzzPackage(f *testing.F) {
	for _, s := range []string{"x", "[ProductName]", "[~]", `a "b" \c`, "{x}", "%PATH%", "é€", "日本", "\x00", "a\r\nb"} {
		f.Add(s, s)
	}
	dir := f.TempDir()
	exe := filepath.Join(dir, "svc.exe")
	if err := os.WriteFile(exe, []byte("MZ fuzz"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		p := Package{
			Product: Product{Name: "P " + a, Manufacturer: "M", Version: "1.2.3", UpgradeCode: "6b2a1e7c-5d4f-4e3a-9b2c-1d0e8f7a6b5c", Arch: "amd64"},
			Files:   []File{{Name: "svc.exe", Src: exe}},
			Service: &Service{Name: "svc", DisplayName: "D " + b, Description: a, Args: []string{b}, Env: map[string]string{"V": a}},
			Date:    time.Unix(1700000000, 0),
			TempDir: t.TempDir(),
		}
		if p.Validate() != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, p); err != nil {
			t.Fatalf("Validate accepted what Write refused: %v", err)
		}
		r, err := mscfb.New(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("mscfb: %v", err)
		}
		name, _ := encodeStreamName("_StringData", true)
		var data []byte
		for e, err := r.Next(); err == nil; e, err = r.Next() {
			if e.Name == name {
				data, _ = io.ReadAll(e)
			}
		}
		if data == nil {
			t.Fatal("no _StringData stream")
		}
		for _, s := range []string{"P " + a, string(literal("D " + b)), string(quoteArgs([]string{b})), string(literal("V=" + a))} {
			enc, err := encode1252(s)
			if err != nil {
				t.Fatalf("Validate accepted %q, which code page 1252 cannot hold", s)
			}
			if !bytes.Contains(data, enc) {
				t.Errorf("the string pool lacks %q", s)
			}
		}
	})
}

// FuzzFormatted: any text, with the install folder's mark or not, escaped
// for a Formatted column reads back, by the rules of Windows Installer's
// formatting (textread.MSIFormat), as the text with the folder in place of
// the mark; a command line of it splits into the arguments.
func FuzzFormatted(f *testing.F) {
	for _, s := range []string{"x", "[ProductName]", "[~]", `[\[]`, "{x}", "{[x]}", "[%PATH]", "[#f] [$c] [!f]", `a\`, "\"", ""} {
		f.Add(s)
	}
	const dir = `C:\Program Files\A b\`
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.Contains(s, "\x00") {
			return
		}
		props := map[string]string{installDirID: dir}
		if got, err := textread.MSIFormat(string(literal(s)), props); err != nil || got != s {
			t.Fatalf("literal(%q) = %s reads %q, %v", s, literal(s), got, err)
		}
		args := []string{s, InstallDirMark + s, s + InstallDirMark, "next"}
		line, err := textread.MSIFormat(string(quoteArgs(args)), props)
		want := []string{s, dir + s, s + dir, "next"}
		if err != nil || !slices.Equal(winargv.Split(line), want) {
			t.Fatalf("quoteArgs(%q) = %s reads %q (%v), want %q", args, quoteArgs(args), winargv.Split(line), err, want)
		}
	})
}
