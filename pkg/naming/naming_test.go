package naming

import (
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/platform"
)

func data(target string) matrix.TemplateData {
	t, err := platform.Parse(target)
	if err != nil {
		panic(err)
	}
	return matrix.TemplateData{Name: "name", Version: "1.2.3", Commit: "abc1234", Date: "2023-11-14T22:13:20Z"}.For(t)
}

func TestName(t *testing.T) {
	for _, tc := range []struct {
		tmpl, target string
		d            Data
		want, err    string
	}{
		{tmpl: "{{.Name}}_v{{.Version}}_{{.Os}}_{{.ArchName}}", target: "linux/arm/7", want: "name_v1.2.3_linux_armv7"},
		{tmpl: "{{.Name}}_v{{.Version}}_{{.Os}}_{{.Arch}}{{with .Variant}}v{{.}}{{end}}", target: "linux/arm/7", want: "name_v1.2.3_linux_armv7"},
		{tmpl: "{{.Name}}_{{.Os}}_{{.ArchName}}", target: "linux/amd64/v3", want: "name_linux_amd64_v3"},
		{tmpl: "{{.Name}}-{{.Commit}}", target: "darwin/arm64", want: "name-abc1234"},
		{tmpl: "{{.Conventional}}", target: "linux/amd64", d: Data{Format: "rpm", Conventional: "name-1.2.3^4.gabc-1.x86_64"}, want: "name-1.2.3^4.gabc-1.x86_64"},
		{tmpl: "{{.Format}}/{{.Name}}", target: "linux/amd64", d: Data{Format: "deb"}, err: "holds a path separator"},
		{tmpl: `{{.Name}}\x`, target: "linux/amd64", err: "holds a path separator"},
		{tmpl: "{{.Name}}_{{.Date}}", target: "linux/amd64", err: "is not a plain file name"},
		{tmpl: "{{.Name}} {{.Version}}", target: "linux/amd64", err: "is not a plain file name"},
		{tmpl: ".{{.Name}}", target: "linux/amd64", err: "is not a plain file name"},
		{tmpl: "{{.Name}}.", target: "linux/amd64", err: "is not a plain file name"},
		{tmpl: "{{.Variant}}", target: "linux/amd64", err: "the name is empty"},
		{tmpl: "{{.Nope}}", target: "linux/amd64", err: "can't evaluate field Nope"},
		{tmpl: "{{.Name", target: "linux/amd64", err: "unclosed action"},
		{tmpl: "{{printf \"%s/%s\" .Os .Arch}}", target: "linux/amd64", err: "holds a path separator"},
	} {
		d := tc.d
		d.TemplateData = data(tc.target)
		got, err := Name(tc.tmpl, d)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s for %s: %v", tc.tmpl, tc.target, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("%s for %s = %q, want %q", tc.tmpl, tc.target, got, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s for %s: %q, %v; want an error with %q", tc.tmpl, tc.target, got, err, tc.err)
		}
	}
}

func TestURL(t *testing.T) {
	const gh = "https://github.com/acme/name/releases/download/v{{.Version}}/{{.File}}"
	for _, tc := range []struct {
		tmpl, file, want, err string
	}{
		{gh, "name_1.2.3_windows_amd64.msi", "https://github.com/acme/name/releases/download/v1.2.3/name_1.2.3_windows_amd64.msi", ""},
		{gh, "name-1.2.3^4.gabc-1.x86_64.rpm", "https://github.com/acme/name/releases/download/v1.2.3/name-1.2.3%5E4.gabc-1.x86_64.rpm", ""},
		{"https://dl.example.com:8443/{{.Name}}/{{.Os}}/{{.File}}", "x.zip", "https://dl.example.com:8443/name/windows/x.zip", ""},
		{"ftp://example.com/{{.File}}", "x.zip", "", "is not an http(s) URL"},
		{"https:///{{.File}}", "x.zip", "", "is not an http(s) URL with a host"},
		{"https://u:p@example.com/{{.File}}", "x.zip", "", "holds credentials"},
		{"https://example.com/{{.File}}?raw=1", "x.zip", "", "holds a query"},
		{"https://example.com/{{.File}}#x", "x.zip", "", "holds a query"},
		{"https://example.com/{{.File}} x", "x.zip", "", "holds characters a URL does not"},
		{"https://example.com/{{.Nope}}", "x.zip", "", "can't evaluate field Nope"},
		// Non-ASCII comes out percent-encoded: one reading in any code page.
		{"https://example.com/\u00d2;x=$(calc.exe)/{{.File}}", "x.zip", "https://example.com/%C3%92;x=$%28calc.exe%29/x.zip", ""},
	} {
		got, err := URL(tc.tmpl, URLData{TemplateData: data("windows/amd64"), File: tc.file})
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s with %s = %q, %v; want %q", tc.tmpl, tc.file, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s with %s: %q, %v; want an error with %q", tc.tmpl, tc.file, got, err, tc.err)
		}
	}
}
