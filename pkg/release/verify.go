package release

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
)

// Difference is one artifact that two releases of the same inputs produced
// differently.
type Difference struct {
	// Path is the artifact path relative to dist.
	Path string
	// Detail says how it differs: missing from one run, sizes, or the first
	// differing byte offset.
	Detail string
}

// Verify releases s twice, into two temporary dist directories, with the
// same inputs, and compares every artifact byte for byte. It returns the
// artifacts that differ (none means the release is reproducible). The
// config's own dist/ is not touched.
func Verify(ctx context.Context, s *config.Spec, o Options) ([]Difference, error) {
	rep := o.reporter()
	tmp, err := os.MkdirTemp("", "svcpack-verify-")
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(tmp)
	var dists [2]string
	for i := range dists {
		rep.printf(Normal, "svcpack verify: release %d of 2\n", i+1)
		quiet := o
		quiet.Dist = filepath.Join(tmp, fmt.Sprintf("run%d", i+1), "dist")
		if quiet.Verbosity == Normal {
			quiet.Verbosity = Quiet
		}
		res, err := Release(ctx, s, quiet)
		if err != nil {
			return nil, fmt.Errorf("verify: release %d: %w", i+1, err)
		}
		dists[i] = res.Dist
	}
	diffs, err := CompareDirs(dists[0], dists[1])
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for _, d := range diffs {
		rep.printf(Quiet, "svcpack verify: %s differs: %s\n", d.Path, d.Detail)
	}
	if len(diffs) == 0 {
		m, err := ReadManifest(dists[0])
		if err == nil {
			rep.printf(Normal, "svcpack verify: %d artifacts identical in two releases\n", len(m.Artifacts)+1)
		}
	}
	return diffs, nil
}

// CompareDirs compares two release directories file by file.
func CompareDirs(a, b string) ([]Difference, error) {
	fa, err := listFiles(a)
	if err != nil {
		return nil, err
	}
	fb, err := listFiles(b)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for n := range fa {
		names = append(names, n)
		seen[n] = true
	}
	for n := range fb {
		if !seen[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var diffs []Difference
	for _, n := range names {
		switch {
		case !fa[n]:
			diffs = append(diffs, Difference{n, "only in the second release"})
		case !fb[n]:
			diffs = append(diffs, Difference{n, "only in the first release"})
		default:
			detail, err := compareFiles(filepath.Join(a, n), filepath.Join(b, n))
			if err != nil {
				return nil, err
			}
			if detail != "" {
				diffs = append(diffs, Difference{filepath.ToSlash(n), detail})
			}
		}
	}
	return diffs, nil
}

func listFiles(root string) (map[string]bool, error) {
	out := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out[rel] = true
		return nil
	})
	return out, err
}

// compareFiles returns "" when equal, else where they first differ.
func compareFiles(a, b string) (string, error) {
	fa, err := os.Open(a)
	if err != nil {
		return "", err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return "", err
	}
	defer fb.Close()
	sa, _ := fa.Stat()
	sb, _ := fb.Stat()
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	var off int64
	for {
		na, errA := io.ReadFull(fa, bufA)
		nb, errB := io.ReadFull(fb, bufB)
		n := min(na, nb)
		if i := mismatch(bufA[:n], bufB[:n]); i >= 0 {
			return fmt.Sprintf("first difference at byte %d (sizes %d and %d)", off+int64(i), sa.Size(), sb.Size()), nil
		}
		if na != nb {
			return fmt.Sprintf("sizes %d and %d; equal up to byte %d", sa.Size(), sb.Size(), off+int64(n)), nil
		}
		off += int64(n)
		doneA := errA == io.EOF || errA == io.ErrUnexpectedEOF
		doneB := errB == io.EOF || errB == io.ErrUnexpectedEOF
		if errA != nil && !doneA {
			return "", errA
		}
		if errB != nil && !doneB {
			return "", errB
		}
		if doneA || doneB {
			return "", nil
		}
	}
}

func mismatch(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// FormatDifferences renders differences one per line.
func FormatDifferences(diffs []Difference) string {
	var b strings.Builder
	for _, d := range diffs {
		fmt.Fprintf(&b, "%s: %s\n", d.Path, d.Detail)
	}
	return b.String()
}
