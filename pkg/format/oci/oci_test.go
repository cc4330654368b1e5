package oci

import (
	"context"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
)

// TestOCIPlatform maps targets to OCI platforms: the variants the image
// specification knows, none for the others.
func TestOCIPlatform(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"linux/amd64", "linux/amd64"},
		{"linux/amd64/v3", "linux/amd64/v3"},
		{"linux/arm/7", "linux/arm/v7"},
		{"linux/arm/6", "linux/arm/v6"},
		{"linux/arm", "linux/arm"},
		{"linux/arm64", "linux/arm64"},
		{"linux/arm64/v8.0", "linux/arm64/v8"},
		{"linux/arm64/v8.2", "linux/arm64/v8.2"},
		{"linux/386/softfloat", "linux/386"},
		{"linux/ppc64le/power9", "linux/ppc64le"},
	} {
		tg, err := platform.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := ociPlatform(tg).String(); got != tc.want {
			t.Errorf("%s: platform %s, want %s", tc.target, got, tc.want)
		}
	}
}

// TestOCIUserGroup: a uid alone runs the program with the group of the
// same number, the working directory's, not the runtime's group 0.
func TestOCIUserGroup(t *testing.T) {
	// The spec as Load leaves it: the working directory defaulted.
	c := &config.Spec{Name: "hello", OCI: config.OCI{User: "4400", WorkDir: "/var/lib/hello"}}
	img, err := ociImage(context.Background(), c, platform.Target{OS: "linux", Arch: "amd64"}, "/dev/null", "go")
	if err != nil {
		t.Fatal(err)
	}
	if img.Config.User != "4400:4400" {
		t.Errorf("User %q, want 4400:4400", img.Config.User)
	}
	dirs := 0
	for _, l := range img.Layers {
		for _, f := range l.Files {
			if f.Mode.IsDir() {
				dirs++
				if f.UID != 4400 || f.GID != 4400 {
					t.Errorf("%s owned by %d:%d", f.Name, f.UID, f.GID)
				}
			}
		}
	}
	if dirs != 1 {
		t.Errorf("%d folders in the layers, want the working directory", dirs)
	}
}

// TestOCIUser: oci.user's one parser; an id it cannot hold is an error,
// never 0 (root).
func TestOCIUser(t *testing.T) {
	for _, tc := range []struct {
		in       string
		uid, gid int
		err      string
	}{
		{"65532", 65532, 65532, ""},
		{"1:2", 1, 2, ""},
		{"4294967294:0", 4294967294, 0, ""},
		{"4294967295", 0, 0, "over 4294967294"},
		{"0:99999999999", 0, 0, "over 4294967294"},
		{"x", 0, 0, "not a number"},
	} {
		uid, gid, err := ociUser(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ociUser(%q) = %d, %d, %v; want an error saying %q", tc.in, uid, gid, err, tc.err)
			}
			continue
		}
		if err != nil || uid != tc.uid || gid != tc.gid {
			t.Errorf("ociUser(%q) = %d, %d, %v; want %d, %d", tc.in, uid, gid, err, tc.uid, tc.gid)
		}
	}
}
