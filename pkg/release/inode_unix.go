//go:build unix

package release

import (
	"os"
	"syscall"
)

// inode returns the file's inode number, part of what identifies one
// version of a file in the cache.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
