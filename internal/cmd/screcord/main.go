// Command screcord stands in for sc.exe where a test wants to know exactly
// what a script asked of the service manager: it appends the arguments it
// received (as the C runtime split its command line, as sc.exe's own
// would), one JSON array a line, to sc-calls.jsonl beside its executable,
// then runs the system's sc.exe with them and exits with its exit code.
// Copied as sc.exe into the folder a .cmd script runs from, it is the sc
// that cmd finds first.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "screcord:", err)
	}
	os.Exit(code)
}

func run(args []string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 1, err
	}
	line, err := json.Marshal(append([]string{}, args...))
	if err != nil {
		return 1, err
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(exe), "sc-calls.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return 1, err
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 1, err
	}
	cmd := exec.Command(filepath.Join(os.Getenv("SystemRoot"), "system32", "sc.exe"), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 1, fmt.Errorf("running sc.exe: %w", err)
	}
	return 0, nil
}
