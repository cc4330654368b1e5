package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
)

// svcpack removes only folders it made, whatever dist names: a release
// writes DistMarker into the dist folder it makes (through its staging
// folder) and the cache writes cacheMarker into its own, and neither a
// dist, a cache nor a staging or swap folder left by a killed run is
// replaced or removed unless it is missing, empty or marked. A dist made
// before the marker existed is recognised by the artifacts.json or
// partial.json that svcpack wrote there, a cache by its state.json or
// raw.json; the next release marks them. The markers are no artifacts:
// checksums.txt and artifacts.json do not list them.

// DistMarker is the file a release writes into dist/ to say that svcpack
// made the folder and may replace it.
const DistMarker = ".svcpack-dist"

// cacheMarker is DistMarker for the cache folder.
const cacheMarker = ".svcpack-cache"

// markerText is what both markers hold.
const markerText = "svcpack made this folder and replaces or removes it as a whole: keep nothing else here.\n"

// checkDistOwned returns nil when svcpack may replace or remove dir as a
// release's dist folder, else an error that says why not and what to do.
func checkDistOwned(dir string) error {
	return checkOwned(dir, DistMarker, func() bool {
		if m, err := ReadManifest(dir); err == nil && m.Name != "" && m.Version != "" {
			return true
		}
		_, err := ReadPart(dir)
		return err == nil
	})
}

// checkCacheOwned is checkDistOwned for a cache folder.
func checkCacheOwned(dir string) error {
	return checkOwned(dir, cacheMarker, func() bool {
		for _, f := range []string{"state.json", "raw.json"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.Mode().IsRegular() {
				return true
			}
		}
		return false
	})
}

// checkOwned returns nil when dir is missing, empty, holds marker, or
// legacy says an older svcpack made it.
func checkOwned(dir, marker string, legacy func() bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0:
		return nil
	case err != nil:
		return err
	}
	if st, err := os.Lstat(filepath.Join(dir, marker)); err == nil && st.Mode().IsRegular() {
		return nil
	}
	if legacy() {
		return nil
	}
	var names []string
	for i, e := range entries {
		if i == 3 {
			names = append(names, "...")
			break
		}
		names = append(names, e.Name())
	}
	return fmt.Errorf("%s holds files (%s) and no %s: svcpack did not make it, and replaces or removes only "+
		"folders it made; choose another folder, or move those files away (an empty folder will do)",
		dir, strings.Join(names, ", "), marker)
}

// writeMarker writes marker into dir, which svcpack made or owns, unless
// it is there already.
func writeMarker(dir, marker string) error {
	p := filepath.Join(dir, marker)
	if b, err := os.ReadFile(p); err == nil && string(b) == markerText {
		return nil
	}
	return packager.WriteFileAtomic(p, 0o644, packager.WriteBytes([]byte(markerText)))
}

// markStaging marks a release's staging folder: with a hard link to the
// marker of dist when it has one, so that a release that changes nothing
// rewrites no file of dist.
func markStaging(staging, dist string) error {
	old := filepath.Join(dist, DistMarker)
	if b, err := os.ReadFile(old); err == nil && string(b) == markerText {
		if link(old, filepath.Join(staging, DistMarker)) == nil {
			return nil
		}
	}
	return writeMarker(staging, DistMarker)
}

// ownedLeftover reports whether a folder that a killed run left beside
// dist (.<dist>.staging-*, .<dist>.old-*) is svcpack's to remove: empty, a
// marked staging folder, or a swap folder holding only an old dist that
// svcpack may remove.
func ownedLeftover(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	switch {
	case len(entries) == 0:
		return true
	case len(entries) == 1 && entries[0].Name() == "dist" && entries[0].IsDir():
		return checkDistOwned(filepath.Join(dir, "dist")) == nil
	}
	st, err := os.Lstat(filepath.Join(dir, DistMarker))
	return err == nil && st.Mode().IsRegular()
}

// Clean removes the dist folder dist and its cache folder, each only if
// svcpack made it (see DistMarker); it removes nothing when either is not
// svcpack's.
func Clean(dist string) error {
	cache := config.CacheDir(dist)
	if err := errors.Join(checkDistOwned(dist), checkCacheOwned(cache)); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	return errors.Join(os.RemoveAll(dist), os.RemoveAll(cache))
}
