//go:build !unix

package release

import "os"

// partOpenFlags open a part's file. There is no O_NOFOLLOW or O_NONBLOCK
// here: openPartFile refuses what is not a regular file by its name's type
// before opening it, and a name swapped meanwhile by comparing the opened
// file with it (os.SameFile).
const partOpenFlags = os.O_RDONLY
