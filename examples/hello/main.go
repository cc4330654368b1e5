// Command hello is svcpack's example microservice and its default release
// target: an HTTP service that says hello with its version. It runs as a
// Windows service, a systemd unit or a launchd daemon through the svcpack
// service contract (github.com/svcpack/svcpack/service).
//
// Usage:
//
//	hello run [-addr host:port] [-config file]   serve until stopped (what the service managers run)
//	hello version                               print the version
//
// The listen address is -addr, else ADDR, else :PORT, else :8080. A greeting may be
// set in a config file (`greeting: Hi`): -config (which must exist), else
// HELLO_CONFIG, /etc/hello/config.yaml or config.yaml beside the executable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/svcpack/svcpack/service"
)

// version is stamped by the release's ldflags (-X main.version=...).
var version = "0.0.0-dev"

func main() {
	cmd := "run"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "run":
		fs := flag.NewFlagSet("run", flag.ExitOnError)
		addr := fs.String("addr", listenAddr(), "listen address host:port")
		config := fs.String("config", "", "config file (svcpack.yaml passes {{.ConfigDir}}/config.yaml)")
		_ = fs.Parse(os.Args[min(2, len(os.Args)):])
		logger := log.New(os.Stderr, "hello: ", log.LstdFlags)
		if err := service.RunNotify("hello", func(ctx context.Context, ready func()) error {
			greeting, err := loadGreeting(*config)
			if err != nil {
				return err
			}
			return serve(ctx, *addr, greeting, logger, ready)
		}); err != nil {
			logger.Printf("stopped with error: %v", err)
			os.Exit(1)
		}
	case "version":
		fmt.Println(version)
	default:
		fmt.Fprintf(os.Stderr, "hello: unknown command %q; usage: hello run | hello version\n", cmd)
		os.Exit(2)
	}
}

func listenAddr() string {
	if a := os.Getenv("ADDR"); a != "" {
		return a
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	return ":" + port
}

// loadGreeting reads `greeting:` from config, which must exist when given,
// else from the first config.yaml found.
func loadGreeting(config string) (string, error) {
	var paths []string
	if config != "" {
		if _, err := os.Stat(config); err != nil {
			return "", fmt.Errorf("-config: %w", err)
		}
		paths = append(paths, config)
	}
	if p := os.Getenv("HELLO_CONFIG"); p != "" {
		paths = append(paths, p)
	}
	paths = append(paths, "/etc/hello/config.yaml")
	if exe, err := os.Executable(); err == nil {
		paths = append(paths, filepath.Join(filepath.Dir(exe), "config.yaml"))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "greeting:"); ok {
				return strings.Trim(strings.TrimSpace(v), `"'`), nil
			}
		}
	}
	return "Hello", nil
}

// handler serves / and /healthz.
func handler(greeting string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s from hello %s\n", greeting, version)
	})
	return mux
}

// serve listens on addr, calls ready once bound, and shuts down gracefully
// (in-flight requests get up to 10 s) when ctx is cancelled.
func serve(ctx context.Context, addr, greeting string, logger *log.Logger, ready func()) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: handler(greeting), ReadHeaderTimeout: 10 * time.Second}
	logger.Printf("version %s listening on %s", version, ln.Addr())
	ready()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Printf("stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Printf("stopped")
	return nil
}
