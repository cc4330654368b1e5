//go:build !unix

package release

import "os"

// inode is 0 where os.FileInfo carries no inode; size and mtime then
// identify a file's version in the cache.
func inode(os.FileInfo) uint64 { return 0 }
