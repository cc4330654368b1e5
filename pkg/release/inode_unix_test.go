//go:build unix

package release

import (
	"os"
	"syscall"
)

// inode returns the file's inode number: tests tell a rewritten file from
// a kept one by it.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
