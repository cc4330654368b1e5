package magetargets

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPartPatterns(t *testing.T) {
	dir := t.TempDir()
	spaced := filepath.Join(dir, "part one")
	if err := os.Mkdir(spaced, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg  string
		want []string
	}{
		{"parts/*", []string{"parts/*"}},
		{"a/* b/*", []string{"a/*", "b/*"}},
		{spaced, []string{spaced}},
		{filepath.Join(dir, "no such") + " x", []string{filepath.Join(dir, "no"), "such", "x"}},
	} {
		if got := partPatterns(tc.arg); !slices.Equal(got, tc.want) {
			t.Errorf("partPatterns(%q) = %q, want %q", tc.arg, got, tc.want)
		}
	}
}
