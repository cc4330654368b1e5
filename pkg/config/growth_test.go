package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAptGrowth: apt.keep defaults to 5 and must be at least 1; apt.previous
// must be a folder, and may lie outside the project (it is only read).
func TestAptGrowth(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct {
		name, apt string
		keep      int
		want      []string // empty: accepted
	}{
		{name: "defaults", keep: 5},
		{name: "keep 1", apt: "apt: {keep: 1}", keep: 1},
		{name: "keep 0", apt: "apt: {keep: 0}", want: []string{"svcpack.yaml:", "apt.keep: 0 is below 1", "such as 5"}},
		{name: "keep negative", apt: "apt:\n  keep: -2", want: []string{"apt.keep: -2 is below 1"}},
		{name: "previous inside", apt: "apt: {previous: conf.yaml}",
			want: []string{"apt.previous: \"conf.yaml\" is not a folder", "previous release's apt tree"}},
		{name: "previous missing", apt: "apt: {previous: ../gone}", want: []string{"apt.previous:", "is not a folder"}},
		{name: "previous outside", apt: "apt: {previous: " + outside + "}", keep: 5},
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
