//go:build unix

package release

import (
	"os"
	"syscall"
)

// partOpenFlags open a part's file without following a symbolic link
// (O_NOFOLLOW) and without waiting for a named pipe's writer (O_NONBLOCK):
// openPartFile then refuses both by the opened file's type.
const partOpenFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
