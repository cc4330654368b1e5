package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAptGrowth: apt.keep defaults to 5 and must be at least 1; apt.previous
// must be a folder, and may lie outside the project (it is only read); the
// same holds for dnf's.
func TestAptGrowth(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct {
		name, apt string
		keep      int
		want      []string // empty: accepted
		warn      string
	}{
		{name: "defaults", keep: 5},
		{name: "keep 1", apt: "apt: {keep: 1}", keep: 1},
		{name: "keep 0", apt: "apt: {keep: 0}", want: []string{"svcpack.yaml:", "apt.keep: 0 is below 1", "such as 5"}},
		{name: "keep negative", apt: "apt:\n  keep: -2", want: []string{"apt.keep: -2 is below 1"}},
		{name: "previous inside", apt: "apt: {previous: conf.yaml}",
			want: []string{"apt.previous: \"conf.yaml\" is not a folder", "previous release's apt tree"}},
		{name: "previous and its parent missing", apt: "apt: {previous: ../gone/apt}", keep: 5,
			warn: "does not exist yet: this release starts the apt tree"},
		{name: "previous missing", apt: "apt: {previous: apt-tree}", keep: 5, warn: "does not exist yet: this release starts the apt tree"},
		{name: "previous outside", apt: "apt: {previous: " + outside + "}", keep: 5},
		{name: "dnf keep 0", apt: "dnf: {keep: 0}", want: []string{"dnf.keep: 0 is below 1"}},
		{name: "dnf previous a file", apt: "dnf: {previous: conf.yaml}",
			want: []string{"dnf.previous:", "is not a folder", "previous release's dnf tree"}},
		{name: "dnf previous outside", apt: "dnf: {previous: " + outside + "}", keep: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := load(project(t, good+tc.apt+"\n"), Env{})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if s.Apt.Keep != tc.keep {
					t.Errorf("apt.keep is %d, want %d", s.Apt.Keep, tc.keep)
				}
				if w := strings.Join(s.Warnings, "\n"); tc.warn != "" && !strings.Contains(w, tc.warn) {
					t.Errorf("warnings %q: want %q", w, tc.warn)
				}
				return
			}
			if err == nil {
				t.Fatalf("load accepted %q", tc.apt)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("load: %v\nwant %q", err, w)
				}
			}
		})
	}
	// A relative previous is resolved against the config's folder.
	path := project(t, good+"apt: {previous: site/apt}\n")
	if err := os.MkdirAll(filepath.Join(filepath.Dir(path), "site/apt"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := load(path, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "site/apt"); string(s.Apt.Previous) != want {
		t.Errorf("apt.previous is %s, want %s", s.Apt.Previous, want)
	}
}

// TestGitRepos: a tap and a bucket take defaults from the maintainer, need
// their format, and refuse what git would read as an option or a bad ref.
func TestGitRepos(t *testing.T) {
	const formats = "formats: [homebrew, scoop]\ndownload_url: https://dl.example.com/{{.File}}\n" +
		"targets: [darwin/arm64, windows/amd64]\nmaintainer: Ann <ann@example.com>\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string // empty: accepted
	}{
		{name: "defaults", yaml: "homebrew: {tap: {repository: ../tap}}\nscoop: {bucket: {repository: https://github.com/acme/bucket.git}}"},
		{name: "no format", yaml: "homebrew: {tap: {repository: ../tap}}", want: []string{
			"homebrew.tap.repository: is set, and formats has no homebrew"}},
		{name: "option", yaml: "homebrew: {tap: {repository: -upload-pack=x}}", want: []string{
			`homebrew.tap.repository: "-upload-pack=x" begins with "-"`}},
		{name: "user in URL", yaml: "scoop: {bucket: {repository: 'https://me:secret@github.com/a/b'}}", want: []string{
			"holds credentials"}},
		{name: "ssh URL", yaml: "scoop: {bucket: {repository: 'ssh://git@github.com/a/b'}}", want: []string{
			"scoop.bucket.repository:"}},
		{name: "bad branch", yaml: "homebrew: {tap: {repository: ../tap, branch: a..b}}", want: []string{
			`homebrew.tap.branch: "a..b" is not a plain branch name`}},
		{name: "branch option", yaml: "homebrew: {tap: {repository: ../tap, branch: -f}}", want: []string{
			"homebrew.tap.branch:"}},
		{name: "bad folder", yaml: "scoop: {bucket: {repository: ../b, folder: ../x}}", want: []string{
			"scoop.bucket.folder:"}},
		{name: "branch alone", yaml: "scoop: {bucket: {branch: main}}", want: []string{
			"scoop.bucket.branch: is set, and scoop.bucket.repository is not"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(good, "targets: [linux/amd64, windows/amd64]\n", "", 1) + formats + tc.yaml + "\n"
			formats := []Format{{Name: "homebrew"}, {Name: "scoop"}, {Name: "zip"}}
			if tc.name == "no format" {
				yaml = strings.Replace(yaml, "formats: [homebrew, scoop]", "formats: [zip]", 1)
			}
			s, err := Load(project(t, yaml), Env{}, formats)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range []GitRepo{s.Homebrew.Tap, s.Scoop.Bucket} {
					if g.Branch != "main" || g.Author != "Ann <ann@example.com>" {
						t.Errorf("defaults: %+v", g)
					}
				}
				if s.Homebrew.Tap.Folder != "Formula" || s.Scoop.Bucket.Folder != "bucket" {
					t.Errorf("folders: %q, %q", s.Homebrew.Tap.Folder, s.Scoop.Bucket.Folder)
				}
				return
			}
			if err == nil {
				t.Fatalf("load accepted %q", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("load: %v\nwant %q", err, w)
				}
			}
		})
	}
}

// TestAccountForms: the accounts check accepts, and the ones it refuses.
func TestAccountForms(t *testing.T) {
	for _, tc := range []struct {
		account string
		ok      bool
	}{
		{"LocalService", true}, {`NT SERVICE\hello`, true}, {`ACME\svc-hello$`, true}, {`ACME\svc_user`, true},
		{`.\svcuser`, true}, {`ACME\a$b`, false}, {`ACME\"x"`, false}, {`ACME\x y`, false}, {`-x\y`, false},
		{`ACME\averyveryverylongname$`, false}, {`\user`, false}, {`a\b\c`, false}, {"root", false},
	} {
		msg := account(tc.account)
		if (msg == "") != tc.ok {
			t.Errorf("account %q: %q, want accepted %v", tc.account, msg, tc.ok)
		}
	}
}
