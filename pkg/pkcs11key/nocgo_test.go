//go:build !cgo

package pkcs11key_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/pkcs11key"
)

// TestOpenWithoutCgo: a build without cgo still compiles and says how to get
// token support.
func TestOpenWithoutCgo(t *testing.T) {
	_, err := pkcs11key.Open(pkcs11key.Config{Module: "/usr/lib/softhsm/libsofthsm2.so", URI: "pkcs11:token=a;object=b"})
	if !errors.Is(err, pkcs11key.ErrNoCgo) ||
		!strings.Contains(err.Error(), "build svcpack with CGO_ENABLED=1 and a C compiler") {
		t.Errorf("Open without cgo: %v", err)
	}
}
