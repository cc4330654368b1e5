package rpmrepo

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// released writes a signed repository of hello at versions into a new
// folder and returns it with its rpms.
func released(t *testing.T, s *pgpsign.Signer, versions ...string) (string, []RPM) {
	t.Helper()
	dir := t.TempDir()
	var rpms []RPM
	for _, v := range versions {
		rpms = append(rpms, writeRPM(t, dir, v, s))
	}
	writeRepo(t, dir, rpms, Options{Date: date, Signer: s})
	return dir, rpms
}

// listed returns what primary.xml.gz in dir lists, as name-version-release
// at location.
func listed(t *testing.T, dir string) []string {
	t.Helper()
	var p readPrimary
	readGzipXML(t, filepath.Join(dir, PrimaryPath), &p)
	var out []string
	for _, pkg := range p.Packages {
		out = append(out, fmt.Sprintf("%s-%s-%s at %s", pkg.Name, pkg.Version.Ver, pkg.Version.Rel, pkg.Location.Href))
	}
	return out
}

// TestGrow: a second release's tree holds both versions, the published
// rpm unchanged and at its place, and its metadata lists both; the
// previous tree is not written; two runs give the same bytes, releasing
// the same rpm again changes nothing, and keep 1 keeps only the newer
// (1.10.0 over 1.2.3: rpm's order, not the text's).
func TestGrow(t *testing.T) {
	_, s := signingKey(t)
	one, v1 := released(t, s, "1.2.3")
	before := readTree(t, one)
	added := []RPM{writeRPM(t, t.TempDir(), "1.10.0", s)}
	two, err := grow(t, one, s, added, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hello-1.10.0-1 at packages/hello-1.10.0-1.x86_64.rpm",
		"hello-1.2.3-1 at packages/hello-1.2.3-1.x86_64.rpm"}
	if got := listed(t, two); !reflect.DeepEqual(got, want) {
		t.Errorf("the grown primary.xml lists %q, want %q", got, want)
	}
	tree := readTree(t, two)
	if tree[v1[0].Href] != before[v1[0].Href] {
		t.Errorf("the grown tree changed the published %s", v1[0].Href)
	}
	if !reflect.DeepEqual(readTree(t, one), before) {
		t.Errorf("Grow changed the previous tree")
	}
	again, err := grow(t, one, s, added, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(readTree(t, again), tree) {
		t.Errorf("two runs over the same inputs gave different trees")
	}
	same, err := grow(t, two, s, added, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(readTree(t, same), tree) {
		t.Errorf("releasing the same rpm over the tree that has it changed the tree")
	}
	kept, err := grow(t, one, s, added, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := listed(t, kept); !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("keep 1: primary.xml lists %q, want %q", got, want[:1])
	}
	if _, ok := readTree(t, kept)[v1[0].Href]; ok {
		t.Errorf("keep 1 kept the older rpm's file")
	}
	if _, err := grow(t, kept, s, []RPM{writeRPM(t, t.TempDir(), "1.9.0", s)}, 1); err == nil ||
		!strings.Contains(err.Error(), "older than the 1 newest versions") {
		t.Errorf("Grow of an rpm keep drops: %v, want it refused", err)
	}
}

// TestGrowReturns: the previous tree's rpms come back as the files in it
// at their published locations, with an armored key as with a binary one.
func TestGrowReturns(t *testing.T) {
	_, s := signingKey(t)
	one, v1 := released(t, s, "1.2.3")
	added := writeRPM(t, t.TempDir(), "2.0.0", s)
	armored, err := s.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Grow(one, armored, []RPM{added, v1[0]}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The published one is the tree's, even when given again; each with the
	// SHA-256 of its file.
	want := []RPM{v1[0], added}
	for i := range want {
		data, err := os.ReadFile(want[i].File)
		if err != nil {
			t.Fatal(err)
		}
		want[i].SHA256 = fmt.Sprintf("%x", sha256.Sum256(data))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Grow = %+v, want %+v", got, want)
	}
}

// TestGrowRefuses: a changed rpm of a published version, a tree the key
// does not vouch for (unsigned, signed by another key, tampered), an rpm
// added to or missing from the tree, and what is not a repository are
// refused, each with what is wrong.
func TestGrowRefuses(t *testing.T) {
	_, s := signingKey(t)
	_, other := signingKey(t)
	one, v1 := released(t, s, "1.2.3")
	key, err := s.PublicKeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	next := writeRPM(t, t.TempDir(), "1.3.0", s)
	changed := RPM{File: filepath.Join(t.TempDir(), "changed.rpm"), Href: v1[0].Href}
	writeFile(t, changed.File, append(readFileT(t, v1[0].File), '\n'))
	outside, notClean := t.TempDir(), t.TempDir()
	writeRepo(t, outside, []RPM{{File: next.File, Href: "other/hello.rpm"}}, Options{Date: date, Signer: s})
	writeRepo(t, notClean, []RPM{{File: next.File, Href: "packages/./hello.rpm"}}, Options{Date: date, Signer: s})
	unsigned := t.TempDir()
	writeRepo(t, unsigned, []RPM{writeRPM(t, unsigned, "1.2.3", s)}, Options{Date: date})
	otherKey, _ := released(t, other, "1.2.3")
	badSig, err := s.SignArmored(strings.NewReader("another repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, prev string
		key        []byte
		added      []RPM
		want       string
	}{
		{"a published version changed", one, key, []RPM{changed}, changed.File + " is hello-0:1.2.3-1.x86_64, " +
			"which the previous tree " + one + " already has as " + filepath.Join(one, v1[0].Href) +
			" with other bytes"},
		{"a path not clean", notClean, key, nil, `at "packages/./hello.rpm", which is not a clean path`},
		{"unsigned", unsigned, key, nil, "repodata/repomd.xml is not signed"},
		{"signed by another key", otherKey, key, nil, "does not verify repodata/repomd.xml with the configured key"},
		{"a signature of something else", edited(t, one, SignaturePath, func([]byte) []byte { return badSig }), key,
			nil, "does not verify"},
		{"repomd.xml tampered", edited(t, one, RepomdPath, func(b []byte) []byte {
			return bytes.Replace(b, []byte("<revision>"), []byte("<revision>1"), 1)
		}), key, nil, "does not verify"},
		{"primary.xml.gz tampered", edited(t, one, PrimaryPath, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }),
			key, nil, "repodata/primary.xml.gz is not the one repodata/repomd.xml signs"},
		{"an rpm put in packages/", edited(t, one, "packages/extra.rpm", func([]byte) []byte {
			return readFileT(t, next.File)
		}), key, nil, "packages/extra.rpm is in packages/ but in no signed repodata/primary.xml.gz: " +
			"remove it, or publish it in a release"},
		{"a listed rpm missing", edited(t, one, v1[0].Href, nil), key, nil,
			"lists " + v1[0].Href + ", which is not in the tree"},
		{"a listed rpm changed", edited(t, one, v1[0].Href, func(b []byte) []byte { return append(b, '\n') }), key,
			nil, v1[0].Href + " is not the rpm repodata/primary.xml.gz lists"},
		{"an rpm outside packages/", outside, key, nil,
			`at "other/hello.rpm", which is not a clean path under packages/`},
		{"an added rpm outside packages/", one, key, []RPM{{File: next.File, Href: "x/hello.rpm"}},
			`location "x/hello.rpm" is not a clean path under packages/`},
		{"an added rpm over another", one, key, []RPM{{File: next.File, Href: v1[0].Href}},
			"would replace " + v1[0].Href},
		{"not a folder", v1[0].File, key, nil, "is not a folder"},
		{"no folder", filepath.Join(one, "none"), key, nil, "is not a folder"},
		{"not a repository", edited(t, t.TempDir(), "repodata/README", func([]byte) []byte { return []byte("x") }),
			key, nil, "is not a dnf repository (it has no repodata/repomd.xml)"},
		{"no key", one, nil, nil, "no public key was given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			added := tc.added
			if added == nil {
				added = []RPM{next}
			}
			_, err := Grow(tc.prev, tc.key, added, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "rpmrepo: ") {
				t.Errorf("Grow: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// edited copies the tree in dir and changes its file at rel with edit
// (which gets the file's bytes, nil when absent); a nil edit removes it.
func edited(t *testing.T, dir, rel string, edit func([]byte) []byte) string {
	t.Helper()
	out := t.TempDir()
	for p, data := range readTree(t, dir) {
		writeFile(t, filepath.Join(out, filepath.FromSlash(p)), []byte(data))
	}
	path := filepath.Join(out, filepath.FromSlash(rel))
	if edit == nil {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return out
	}
	old, _ := os.ReadFile(path)
	writeFile(t, path, edit(old))
	return out
}

func readFileT(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPreviousPaths lists the rpms under packages/ of a tree, nothing else,
// and nothing for a missing tree or a file.
func TestPreviousPaths(t *testing.T) {
	_, s := signingKey(t)
	one, v1 := released(t, s, "1.2.3", "1.10.0")
	writeFile(t, filepath.Join(one, "packages", "notes.txt"), []byte("not an rpm"))
	writeFile(t, filepath.Join(one, "elsewhere.rpm"), readFileT(t, v1[0].File))
	got, err := PreviousPaths(one)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{v1[1].Href, v1[0].Href}; !reflect.DeepEqual(got, want) {
		t.Errorf("PreviousPaths = %q, want %q", got, want)
	}
	for _, dir := range []string{filepath.Join(one, "none"), v1[0].File} {
		if got, err := PreviousPaths(dir); got != nil || err != nil {
			t.Errorf("PreviousPaths(%s) = %q, %v, want nothing", dir, got, err)
		}
	}
}

// TestGrowFromEmpty: the first release into an empty checkout (neither
// repodata/ nor packages/, here a README and .git) is the added rpms alone.
func TestGrowFromEmpty(t *testing.T) {
	_, s := signingKey(t)
	added := []RPM{writeRPM(t, t.TempDir(), "1.2.3", s)}
	empty := t.TempDir()
	writeFile(t, filepath.Join(empty, "README.md"), []byte("the dnf tree\n"))
	writeFile(t, filepath.Join(empty, ".git", "HEAD"), []byte("ref: refs/heads/gh-pages\n"))
	if !Fresh(empty) {
		t.Fatal("Fresh: a folder without repodata/ and packages/ holds a repository")
	}
	pub, err := s.PublicKeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Grow(empty, pub, added, 0)
	if err != nil || !reflect.DeepEqual(got, added) {
		t.Errorf("Grow from an empty folder: %v, %v; want %v", got, err, added)
	}
}

// TestRefusesSwappedRPM: an rpm that changes after Grow verified it (an
// rpm of the previous tree) or after Metadata read it (a new one) is
// refused, by Metadata and by the copy (RPM.WriteTo), rather than copied
// into a tree whose metadata lists other bytes.
func TestRefusesSwappedRPM(t *testing.T) {
	_, s := signingKey(t)
	first, old := released(t, s, "1.2.3")
	key, err := s.PublicKeyBinary()
	if err != nil {
		t.Fatal(err)
	}
	added := writeRPM(t, t.TempDir(), "1.3.0", s)
	swap := func(t *testing.T, file string) {
		orig, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.WriteFile(file, orig, 0o644) })
		if err := os.WriteFile(file, append(orig[:len(orig):len(orig)], 0), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	grown := func(t *testing.T) []RPM {
		rpms, err := Grow(first, key, []RPM{added}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return rpms
	}
	t.Run("previous rpm before Metadata", func(t *testing.T) {
		rpms := grown(t)
		swap(t, filepath.Join(first, filepath.FromSlash(old[0].Href)))
		if _, err := Metadata(rpms, Options{Date: date, Signer: s}); err == nil ||
			!strings.Contains(err.Error(), "changed while the repository was written") {
			t.Fatalf("Metadata over a swapped previous rpm: %v, want it refused", err)
		}
	})
	t.Run("rpm of a fresh repository before the copy", func(t *testing.T) {
		rpms := []RPM{added}
		if _, err := Metadata(rpms, Options{Date: date, Signer: s}); err != nil {
			t.Fatal(err)
		}
		swap(t, added.File)
		if _, err := rpms[0].WriteTo(io.Discard); err == nil ||
			!strings.Contains(err.Error(), "changed while the repository was written") {
			t.Fatalf("WriteTo over an rpm swapped after Metadata: %v, want it refused", err)
		}
	})
	for _, which := range []string{"previous", "added"} {
		t.Run(which+" rpm before the copy", func(t *testing.T) {
			rpms := grown(t)
			if _, err := Metadata(rpms, Options{Date: date, Signer: s}); err != nil {
				t.Fatal(err)
			}
			for _, r := range rpms {
				if _, err := r.WriteTo(io.Discard); err != nil {
					t.Fatalf("the unchanged %s is refused: %v", r.Href, err)
				}
			}
			file := added.File
			if which == "previous" {
				file = filepath.Join(first, filepath.FromSlash(old[0].Href))
			}
			swap(t, file)
			var refused bool
			for _, r := range rpms {
				if _, err := r.WriteTo(io.Discard); err != nil {
					if !strings.Contains(err.Error(), "changed while the repository was written") {
						t.Fatalf("WriteTo %s: %v", r.File, err)
					}
					refused = true
				}
			}
			if !refused {
				t.Fatalf("the swapped %s rpm was copied", which)
			}
		})
	}
}
