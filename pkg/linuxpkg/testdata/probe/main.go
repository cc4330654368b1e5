// Command probe tries one thing the sandbox may refuse and prints what
// happened, one line starting with RESULT, then exits 0: the tests of the
// unit's openings read the line from the journal.
//
//	probe write DIR     writes a file into DIR
//	probe bind PORT     listens on the TCP port
//	probe read FILE     reads FILE
//	probe sh COMMAND    runs /bin/sh -c COMMAND
//	probe jit           maps memory writable and executable
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) != 3 && !(len(os.Args) == 2 && os.Args[1] == "jit") {
		fmt.Println("RESULT usage: probe write|bind|read|sh ARG, or probe jit")
		return
	}
	detail, err := try(os.Args[1], os.Args[len(os.Args)-1])
	if err != nil {
		fmt.Printf("RESULT %s: fail: %v\n", os.Args[1], err)
		return
	}
	fmt.Printf("RESULT %s: ok %s\n", os.Args[1], detail)
}

func try(what, arg string) (string, error) {
	switch what {
	case "write":
		return "", os.WriteFile(filepath.Join(arg, "probe.txt"), []byte("written\n"), 0o644)
	case "bind":
		l, err := net.Listen("tcp", ":"+arg)
		if err != nil {
			return "", err
		}
		return l.Addr().String(), l.Close()
	case "read":
		b, err := os.ReadFile(arg)
		return strings.TrimSpace(string(b)), err
	case "sh":
		out, err := exec.Command("/bin/sh", "-c", arg).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%w: %s", err, strings.Join(strings.Fields(string(out)), " "))
		}
		return strings.Join(strings.Fields(string(out)), " "), nil
	case "jit":
		m, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			return "", err
		}
		return "", syscall.Munmap(m)
	}
	return "", fmt.Errorf("unknown probe %q", what)
}
