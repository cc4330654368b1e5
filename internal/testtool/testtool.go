// Package testtool gates tests on external validators (wine, msiinfo, dpkg,
// rpm, lintian, ...). A missing tool skips the test with a message naming the
// tool and the Debian package that provides it, unless SVCPACK_REQUIRE_TOOLS=1
// is set (as .ci/run does), in which case the test fails instead.
package testtool

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing tools must fail tests instead of skipping
// them, as requested by SVCPACK_REQUIRE_TOOLS=1.
func Required() bool {
	return os.Getenv("SVCPACK_REQUIRE_TOOLS") == "1"
}

// Need returns the absolute path of the named program. When the program is
// not on PATH, the test is skipped (or failed under SVCPACK_REQUIRE_TOOLS=1)
// with a message that names the Debian package to install.
func Need(t testing.TB, program, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	Missing(t, program+" (Debian package "+debianPackage+")")
	return ""
}

// NeedAny is Need for a program Debian installs under versioned names
// (llvm-lipo-14, ...): the first of programs on PATH.
func NeedAny(t testing.TB, debianPackage string, programs ...string) string {
	t.Helper()
	for _, p := range programs {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	Missing(t, programs[0]+" (Debian package "+debianPackage+")")
	return ""
}

// Missing skips or fails the test, per Required, because the described
// prerequisite is not available.
func Missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("required tool missing: %s; install it or unset SVCPACK_REQUIRE_TOOLS", what)
	}
	t.Skipf("skipping: %s not available (set SVCPACK_REQUIRE_TOOLS=1 to make this a failure)", what)
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// service under test to listen on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
