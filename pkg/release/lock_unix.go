//go:build unix

package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock takes the cache's lock for the whole run, so that two releases into
// one dist/ cannot interleave and a staging folder found at the start is
// known to be left by a run that died. It fails at once when another
// release holds it.
func (c *cache) lock() (unlock func(), err error) {
	path := filepath.Join(c.dir, "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another svcpack release into %s is running (it holds %s): wait for it", c.dist, path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
