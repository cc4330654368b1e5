// Command argvsvc is a test service that reports how it was started: it
// writes the arguments it received and its environment, as JSON, to
// argv.json beside its executable (or to the file named by ARGVSVC_OUT),
// then runs as a service until it is stopped. Tests install it with
// svcpack's scripts and installers and compare, exactly, what a program
// receives with what the config said.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/svcpack/svcpack/service"
)

// Report is what argv.json holds.
type Report struct {
	// Args are the arguments after the program's name.
	Args []string `json:"args"`
	// Env is the environment, by name.
	Env map[string]string `json:"env"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "argvsvc:", err)
		os.Exit(1)
	}
}

func run() error {
	out := os.Getenv("ARGVSVC_OUT")
	if out == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		out = filepath.Join(filepath.Dir(exe), "argv.json")
	}
	r := Report{Args: os.Args[1:], Env: map[string]string{}}
	if r.Args == nil {
		r.Args = []string{}
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		r.Env[k] = v
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	return service.Run("argvsvc", func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})
}
