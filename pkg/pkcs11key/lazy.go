package pkcs11key

import (
	"crypto"
	"io"
	"sync"
)

// Lazy returns a signer for the key c names that holds the token only while
// it signs: each Sign opens the key (loading the module and logging in) and
// closes it after. A release keeps its signers for as long as its spec
// lives; a token kept open that long would keep the module loaded with the
// configuration it was first loaded with, and other users of it waiting.
// Lazy opens the key once first, so that what Open refuses is refused now.
func Lazy(c Config) (crypto.Signer, error) {
	k, err := Open(c)
	if err != nil {
		return nil, err
	}
	pub := k.Public()
	if err := k.Close(); err != nil {
		return nil, err
	}
	return lazy{c: c, pub: pub}, nil
}

type lazy struct {
	c   Config
	pub crypto.PublicKey
}

func (l lazy) Public() crypto.PublicKey { return l.pub }

// tokenMu makes this process use its tokens one signature at a time: a
// release signs its packages in parallel; opening and closing a token from
// several goroutines at once loads and unloads its module under each other,
// and a token (SoftHSM2's file store among them) fails a session of another
// process (osslsigncode's) opened meanwhile.
var tokenMu sync.Mutex

// Exclusive runs f while no other signature of this process uses a token:
// for a program that opens the token itself, such as osslsigncode.
func Exclusive(f func() error) error {
	tokenMu.Lock()
	defer tokenMu.Unlock()
	return f()
}

func (l lazy) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	tokenMu.Lock()
	defer tokenMu.Unlock()
	k, err := Open(l.c)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	return k.Sign(rand, digest, opts)
}
