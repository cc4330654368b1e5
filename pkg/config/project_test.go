package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// outsideFile writes a file in a folder of its own, outside any project.
func outsideFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// symlink makes link (inside the project of cfg) point at target.
func symlink(t *testing.T, cfg, link, target string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(filepath.Dir(cfg), link)); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
}

// TestDistInsideProject: the config's dist, and the cache folder beside
// it, must resolve inside the project folder, unless the user allows
// otherwise (-dist-outside, SVCPACK_DIST_OUTSIDE=1).
func TestDistInsideProject(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct {
		name, dist string
		link       [2]string // a symbolic link made in the project first
		env        Env
		want       []string // empty: accepted
	}{
		{name: "default"},
		{name: "nested", dist: "out/dist"},
		{name: "parent", dist: "../x", want: []string{"svcpack.yaml:2: dist:", `"../x" is outside the project folder`,
			"-dist-outside (SVCPACK_DIST_OUTSIDE=1) to allow it"}},
		{name: "absolute", dist: filepath.Join(outside, "dist"), want: []string{"is outside the project folder"}},
		{name: "project itself", dist: ".", want: []string{`"." is the project folder`, "such as dist"}},
		{name: "through a link", dist: "out/dist", link: [2]string{"out", outside},
			want: []string{"is outside the project folder", "through a symbolic link"}},
		{name: "default through a link", link: [2]string{"dist", outside},
			want: []string{"svcpack.yaml:1: dist:", `"dist" is outside`}},
		{name: "dangling link", link: [2]string{"dist", filepath.Join(outside, "gone")}, want: []string{"resolving"}},
		{name: "cache through a link", link: [2]string{".dist.cache", outside},
			want: []string{"the cache folder .dist.cache", "is outside the project folder"}},
		{name: "allowed by env", dist: "../x", env: env(DistOutsideEnv, "1")},
		{name: "allowed by flag", dist: filepath.Join(outside, "dist"), env: Env{DistOutside: true}},
		{name: "link allowed", link: [2]string{"dist", outside}, env: Env{DistOutside: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := good
			if tc.dist != "" {
				yaml = strings.Replace(good, "main:", "dist: "+tc.dist+"\nmain:", 1)
			}
			cfg := project(t, yaml)
			if tc.link[0] != "" {
				symlink(t, cfg, tc.link[0], tc.link[1])
			}
			before := listDir(t, outside)
			s, err := load(cfg, tc.env)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !filepath.IsAbs(s.Dist) {
					t.Errorf("dist %q is not absolute", s.Dist)
				}
				return
			}
			if err == nil {
				t.Fatalf("dist %q loads, want a refusal", tc.dist)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if after := listDir(t, outside); after != before {
				t.Errorf("check changed the folder outside: %q -> %q", before, after)
			}
		})
	}
}

// TestShippedFilesInsideProject: files[].src, license_file and
// windows.icon must resolve inside the project folder, or lie in what
// allow_outside lists; signing keys may be anywhere.
func TestShippedFilesInsideProject(t *testing.T) {
	secret := outsideFile(t, "id_rsa")
	icon := filepath.Join(filepath.Dir(secret), "icon.png")
	if err := os.WriteFile(icon, pngIcon(t, 16), 0o644); err != nil {
		t.Fatal(err)
	}
	key := outsideFile(t, "release.asc")
	src := "{src: conf.yaml, config: true}"
	for _, tc := range []struct {
		name, from, to string
		link           [2]string
		want           []string // empty: accepted
	}{
		{name: "src absolute", from: src, to: "{src: " + secret + "}",
			want: []string{"svcpack.yaml:14: files[0].src:", `"` + secret + `" is outside the project folder`,
				"(it is " + secret + ")", "list it in allow_outside"}},
		{name: "src relative", from: src, to: "{src: @REL@}",
			want: []string{"files[0].src:", "is outside the project folder"}},
		{name: "src through a link", link: [2]string{"conf.yaml.link", secret}, from: src, to: "{src: conf.yaml.link}",
			want: []string{"files[0].src:", `"conf.yaml.link" is outside`, secret + ", through a symbolic link"}},
		{name: "license file", from: "vendor: Acme\n", to: "vendor: Acme\nlicense_file: " + secret + "\n",
			want: []string{"svcpack.yaml:5: license_file:", "is outside the project folder"}},
		{name: "default LICENSE through a link", link: [2]string{"LICENSE", secret},
			want: []string{"svcpack.yaml:1: license_file:", `"LICENSE" is outside`}},
		{name: "icon", from: "icon: icon.png", to: "icon: " + icon, want: []string{"windows.icon:", "is outside"}},
		{name: "allowed file", from: src, to: "{src: " + secret + "}\nallow_outside: [" + secret + "]"},
		{name: "allowed folder", from: src, to: "{src: " + secret + "}\nallow_outside: [" + filepath.Dir(secret) + "]"},
		{name: "allowed link", link: [2]string{"conf.yaml.link", secret}, from: src,
			to: "{src: conf.yaml.link}\nallow_outside: [" + secret + "]"},
		{name: "another allowed", from: src, to: "{src: " + secret + "}\nallow_outside: [" + icon + "]",
			want: []string{"files[0].src:", "is outside"}},
		{name: "signing key anywhere", from: "vendor: Acme\n", to: "vendor: Acme\ngpg: {key_file: " + key + "}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(good, tc.from, tc.to, 1)
			if !strings.Contains(good, tc.from) {
				t.Fatalf("test bug: %q not in config", tc.from)
			}
			cfg := project(t, yaml)
			if rel, err := filepath.Rel(filepath.Dir(cfg), secret); err == nil && strings.Contains(yaml, "@REL@") {
				writeFile(t, cfg, strings.Replace(yaml, "@REL@", filepath.ToSlash(rel), 1))
			}
			if tc.link[0] != "" {
				symlink(t, cfg, tc.link[0], tc.link[1])
			}
			_, err := load(cfg, env())
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("the config loads, want a refusal")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listDir is a folder's tree, one entry a line.
func listDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestShippedFilesTracked: in a git work tree, check warns about a shipped
// file git does not track, and says when .gitignore is why.
func TestShippedFilesTracked(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		testtool.Missing(t, "git")
	}
	dir := filepath.Dir(project(t, good))
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("*.yaml\n!svcpack.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "svcpack.yaml", "icon.png", "cmd", ".gitignore")
	warnings := func() string {
		t.Helper()
		c, err := load(filepath.Join(dir, FileName), env())
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(c.Warnings, "\n")
	}
	if w := warnings(); !strings.Contains(w, `files[0].src: warning: "conf.yaml" is ignored by git (.gitignore)`) ||
		!strings.Contains(w, "git add -f it") {
		t.Errorf("an ignored shipped file: warnings\n%s", w)
	}
	run("add", "-f", "conf.yaml")
	if w := warnings(); strings.Contains(w, "conf.yaml") {
		t.Errorf("a tracked shipped file: warnings\n%s", w)
	}
	// A name git would read as a pattern matching the tracked conf.yaml.
	if err := os.WriteFile(filepath.Join(dir, "[c]onf.txt"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "conf.yaml"), filepath.Join(dir, "conf.txt")); err != nil {
		t.Fatal(err)
	}
	run("add", "-A")
	run("rm", "-q", "--cached", "--", "[c]onf.txt")
	yaml := strings.Replace(good, "{src: conf.yaml, config: true}", "{src: '[c]onf.txt', config: true}", 1)
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if w := warnings(); !strings.Contains(w, `files[0].src: warning: "[c]onf.txt" is not tracked by git`) {
		t.Errorf("an untracked file whose name is a pattern of a tracked one: warnings\n%s", w)
	}
}
