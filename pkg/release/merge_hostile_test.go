//go:build unix

package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
)

// hostileMerge is a merge of parts that may be hostile, for the tests
// below: the config, a good pair of parts (linux, windows) and a counter of
// the files the merge hashed.
type hostileMerge struct {
	c       *config.Spec
	linux   string
	windows string
	mu      sync.Mutex
	hashed  []string // part file paths, as the merge hashed them
}

func newHostileMerge(t *testing.T) *hostileMerge {
	t.Helper()
	const yaml = "name: hello\nmain: ./examples/hello\nvendor: Acme Corp\nmaintainer: Acme Corp <ops@example.com>\n" +
		"formats: [tar.gz, zip]\nservice:\n  args: [run]\n"
	c := helloProjectEnv(t, yaml, nil, "linux/amd64", "windows/amd64")
	good := releaseParts(t, c, t.TempDir(), [][]string{{"linux/*"}, {"windows/*"}})
	return &hostileMerge{c: c, linux: good[0], windows: good[1]}
}

// clone copies a part to a new folder and returns it with its manifest.
func (h *hostileMerge) clone(t *testing.T, part string) (string, *Part) {
	t.Helper()
	d := filepath.Join(t.TempDir(), "part")
	if err := os.CopyFS(d, os.DirFS(part)); err != nil {
		t.Fatal(err)
	}
	m, err := ReadPart(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, m
}

// merge merges parts into a new dist with one worker, calling hook (when
// not nil) after each file is hashed, and fails the test if the merge
// blocks. It returns dist and the merge's error.
func (h *hostileMerge) merge(t *testing.T, hook func(part, rel string), parts ...string) (string, error) {
	t.Helper()
	h.hashed = nil
	mergeHooks.hashed = func(part, rel string) {
		h.mu.Lock()
		h.hashed = append(h.hashed, filepath.Join(part, rel))
		h.mu.Unlock()
		if hook != nil {
			hook(part, rel)
		}
	}
	t.Cleanup(func() { mergeHooks.hashed = nil })
	dist := filepath.Join(t.TempDir(), "dist")
	done := make(chan error, 1)
	go func() {
		ps := OpenParts(context.Background(), parts, Options{})
		_, err := Merge(context.Background(), h.c, ps, Options{Dist: dist, Parallelism: 1})
		done <- err
	}()
	select {
	case err := <-done:
		return dist, err
	case <-time.After(2 * time.Minute):
		t.Fatalf("the merge of %v blocked", parts)
		return "", nil
	}
}

// refusedWith fails the test unless err is a MergeError holding every one
// of want.
func refusedWith(t *testing.T, err error, want ...string) {
	t.Helper()
	var me *MergeError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a MergeError", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%s", w, err)
		}
	}
}

// TestMergeHostileParts: what a part manifest lists is checked before any
// file of it is read, each listed file is read once, and every file (the
// manifest included) is opened without following a link or waiting on a
// named pipe; what dist/ gets is the copy the merge hashed, whatever
// happens to the part meanwhile.
func TestMergeHostileParts(t *testing.T) {
	h := newHostileMerge(t)

	t.Run("good", func(t *testing.T) {
		dist, err := h.merge(t, nil, h.linux, h.windows)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, part := range []string{h.linux, h.windows} {
			m, _ := ReadPart(part)
			for _, a := range m.Artifacts {
				want = append(want, filepath.Join(part, a.Path))
			}
		}
		slices.Sort(h.hashed)
		slices.Sort(want)
		if !slices.Equal(h.hashed, want) {
			t.Errorf("hashed %q, want each listed file once: %q", h.hashed, want)
		}
		// dist holds copies: a part changed afterwards does not change it.
		m, _ := ReadPart(h.linux)
		for _, a := range m.Artifacts {
			pi, _ := os.Stat(filepath.Join(h.linux, a.Path))
			di, err := os.Stat(filepath.Join(dist, a.Path))
			if err != nil || os.SameFile(pi, di) {
				t.Errorf("%s: dist's file is the part's (%v)", a.Path, err)
			}
		}
	})

	t.Run("repeated lines", func(t *testing.T) {
		// One large file listed 50,000 times: refused from the manifest,
		// before any file is read.
		d, m := h.clone(t, h.linux)
		one := m.Artifacts[0]
		for range 50000 - 1 {
			m.Artifacts = append(m.Artifacts, one)
		}
		m.Targets = append(m.Targets, m.Targets[0])
		b, _ := json.Marshal(m)
		writeTestFile(t, filepath.Join(d, PartName), b)
		start := time.Now()
		_, err := h.merge(t, nil, h.windows, d)
		t.Logf("refused in %v", time.Since(start))
		refusedWith(t, err, "part "+d+`: artifact "`+one.Path+`" is listed 50000 times in its partial.json`,
			`target "linux/amd64" is listed 2 times`)
		if len(h.hashed) > 0 {
			t.Errorf("the merge hashed %d files before refusing the manifest", len(h.hashed))
		}
	})

	t.Run("many wrong lines", func(t *testing.T) {
		// As many distinct names no packager makes: one line each, up to
		// a bound.
		d, m := h.clone(t, h.linux)
		one := m.Artifacts[0]
		for i := range 50000 {
			a := one
			a.Path = strconv.Itoa(i) + "/" + one.Path
			m.Artifacts = append(m.Artifacts, a)
		}
		b, _ := json.Marshal(m)
		writeTestFile(t, filepath.Join(d, PartName), b)
		_, err := h.merge(t, nil, h.windows, d)
		refusedWith(t, err, "is not one svcpack.yaml makes", "more)")
		if n := strings.Count(err.Error(), "\n"); n > maxProblems+1 {
			t.Errorf("the error has %d lines", n)
		}
		if len(h.hashed) > 0 {
			t.Errorf("the merge hashed %d files before refusing the manifest", len(h.hashed))
		}
	})

	t.Run("named pipes", func(t *testing.T) {
		// As a part's file and as its manifest: refused at once.
		file, m := h.clone(t, h.linux)
		fifo := filepath.Join(file, m.Artifacts[0].Path)
		os.Remove(fifo)
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := h.merge(t, nil, h.windows, file)
		refusedWith(t, err, "part "+file+": "+m.Artifacts[0].Path+" is not a regular file (a named pipe)")

		manifest, _ := h.clone(t, h.linux)
		os.Remove(filepath.Join(manifest, PartName))
		if err := syscall.Mkfifo(filepath.Join(manifest, PartName), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = h.merge(t, nil, h.windows, manifest)
		refusedWith(t, err, "part "+manifest+": partial.json is not a regular file (a named pipe)")
	})

	t.Run("linked manifest", func(t *testing.T) {
		d, _ := h.clone(t, h.linux)
		os.Remove(filepath.Join(d, PartName))
		if err := os.Symlink(filepath.Join(h.linux, PartName), filepath.Join(d, PartName)); err != nil {
			t.Fatal(err)
		}
		_, err := h.merge(t, nil, h.windows, d)
		refusedWith(t, err, "part "+d+": partial.json is not a regular file (a symbolic link)")
	})

	// swapped merges a copy of the linux part whose file rel is replaced
	// by swap once the merge has hashed the part's first file, and returns
	// the file's bytes as the part made it, dist and the merge's error.
	swapped := func(t *testing.T, pick func(*Part) string, swap func(*testing.T, string)) (string, []byte, string, error) {
		d, m := h.clone(t, h.linux)
		rel := pick(m)
		file := filepath.Join(d, rel)
		orig := mustRead(t, file)
		var once sync.Once
		dist, err := h.merge(t, func(part, _ string) {
			if part == d {
				once.Do(func() { swap(t, file) })
			}
		}, h.windows, d)
		return rel, orig, dist, err
	}
	// The largest file is copied first (and so hashed first), the
	// smallest last.
	first := func(m *Part) string {
		return slices.MaxFunc(m.Artifacts, func(a, b Artifact) int { return int(a.Size - b.Size) }).Path
	}
	last := func(m *Part) string {
		return slices.MinFunc(m.Artifacts, func(a, b Artifact) int { return int(a.Size - b.Size) }).Path
	}
	outside := filepath.Join(t.TempDir(), "outside")
	writeTestFile(t, outside, []byte("not the part's\n"))
	other := func(t *testing.T, file string) {
		b := mustRead(t, file)
		b[len(b)/2] ^= 0xff
		tmp := file + ".new"
		writeTestFile(t, tmp, b)
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	link := func(t *testing.T, file string) {
		tmp := file + ".new"
		if err := os.Symlink(outside, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	pipe := func(t *testing.T, file string) {
		os.Remove(file)
		if err := syscall.Mkfifo(file, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for name, swap := range map[string]func(*testing.T, string){"other content": other, "link outside": link} {
		t.Run("swapped after hashing, "+name, func(t *testing.T) {
			// dist gets the bytes hashed, not what is there now.
			rel, orig, dist, err := swapped(t, first, swap)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(filepath.Join(dist, rel))
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("dist's %s: %v, %v; want a regular file", rel, fi, err)
			}
			if got := mustRead(t, filepath.Join(dist, rel)); !bytes.Equal(got, orig) {
				t.Errorf("dist's %s is not the file the merge hashed", rel)
			}
		})
	}
	for name, tc := range map[string]struct {
		swap func(*testing.T, string)
		want string
	}{
		"other content": {other, "is not the file the part made"},
		"link outside":  {link, "is not a regular file (a symbolic link)"},
		"named pipe":    {pipe, "is not a regular file (a named pipe)"},
	} {
		t.Run("swapped before hashing, "+name, func(t *testing.T) {
			// Read after the swap, it is refused, without blocking.
			rel, _, dist, err := swapped(t, last, tc.swap)
			refusedWith(t, err, rel+" "+tc.want)
			if _, err := os.Stat(dist); !os.IsNotExist(err) {
				t.Errorf("the refused merge wrote %s", dist)
			}
		})
	}
}

// TestOpenPartFileDoesNotBlock: a named pipe opened as a part's file
// opens at once, and is refused by the open file's type.
func TestOpenPartFileDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	done := make(chan error, 1)
	go func() {
		f, err := root.OpenFile("pipe", partOpenFlags, 0) // what openPartFile opens, past its first check
		if err == nil {
			var fi os.FileInfo
			if fi, err = f.Stat(); err == nil && fi.Mode().IsRegular() {
				err = errors.New("a named pipe stat as a regular file")
			}
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("opening a named pipe with partOpenFlags blocked")
	}
	if _, _, err := openPartFile(root, "pipe"); err == nil || !strings.Contains(err.Error(), "a named pipe") {
		t.Errorf("openPartFile of a named pipe: %v", err)
	}
}
