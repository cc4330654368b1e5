//go:build !cgo

package pkcs11key

// Open would open the key named by c; without cgo no PKCS#11 module can be
// loaded, so it checks the URI and returns ErrNoCgo.
func Open(c Config) (Key, error) {
	if _, err := ParseURI(c.URI); err != nil {
		return nil, err
	}
	return nil, ErrNoCgo
}
