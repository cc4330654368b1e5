// Command plainsvc is a test program that knows nothing of service
// managers, for exercising svcpack's service wrapper (cmd/svcwrap). It
// serves HTTP on -addr (default 127.0.0.1:$PORT, else 127.0.0.1:8080),
// prints a line to stdout every -tick, and on os.Interrupt (SIGINT, or
// CTRL_BREAK_EVENT on Windows) or SIGTERM writes the -marker file and exits 0.
// With -note FILE it only appends a line to FILE and exits: a failure
// command for the service manager to run.
//
// Endpoints:
//
//	/healthz       200 "ok", or 500 after /unhealthy
//	/pid           the process ID
//	/cwd           the working directory
//	/env?name=X    the value of environment variable X
//	/crash?code=N  exits with code N (default 3)
//	/unhealthy     makes /healthz answer 500 from now on
//	/ignore-stop   makes it ignore stop requests from now on
//	/print?n=N     prints N numbered lines "print <batch> <i>" to stdout
//	/stderr?msg=M  prints M to stderr
//	/spawn         starts a grandchild (a copy of itself on a free port,
//	               ignoring stop requests) and answers its PID; with
//	               ?inherit=1 the grandchild shares this program's stdout
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "plainsvc:", err)
		os.Exit(1)
	}
}

type server struct {
	out, errOut io.Writer
	mu          sync.Mutex // serialises output lines
	unhealthy   atomic.Bool
	ignoreStop  atomic.Bool
	batch       atomic.Int64
	exit        func(int)
}

func (s *server) println(w io.Writer, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, format+"\n", args...)
}

func (s *server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if s.unhealthy.Load() {
			http.Error(w, "unhealthy", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/pid", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, os.Getpid()) })
	mux.HandleFunc("/cwd", func(w http.ResponseWriter, _ *http.Request) {
		wd, err := os.Getwd()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, wd)
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, os.Getenv(r.URL.Query().Get("name")))
	})
	mux.HandleFunc("/crash", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.URL.Query().Get("code"))
		if err != nil {
			code = 3
		}
		s.println(s.out, "plainsvc: crashing with exit code %d", code)
		fmt.Fprintln(w, "crashing")
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		go func() { time.Sleep(100 * time.Millisecond); s.exit(code) }()
	})
	mux.HandleFunc("/unhealthy", func(w http.ResponseWriter, _ *http.Request) {
		s.unhealthy.Store(true)
		s.println(s.out, "plainsvc: now unhealthy")
		fmt.Fprintln(w, "unhealthy")
	})
	mux.HandleFunc("/ignore-stop", func(w http.ResponseWriter, _ *http.Request) {
		s.ignoreStop.Store(true)
		s.println(s.out, "plainsvc: ignoring stop requests")
		fmt.Fprintln(w, "ignoring")
	})
	mux.HandleFunc("/print", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "want n=<count>", http.StatusBadRequest)
			return
		}
		b := s.batch.Add(1)
		// One buffer, written in 4 KiB chunks that end mid-line: the
		// reader must reassemble lines.
		s.mu.Lock()
		bw := bufio.NewWriterSize(s.out, 4096)
		for i := 0; i < n; i++ {
			fmt.Fprintf(bw, "print %d %d\n", b, i)
		}
		err = bw.Flush()
		s.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, b)
	})
	mux.HandleFunc("/spawn", func(w http.ResponseWriter, r *http.Request) {
		exe, err := os.Executable()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cmd := exec.Command(exe, "-addr", "127.0.0.1:0", "-ignore-stop", "-marker", "grandchild-stopped.txt")
		if r.URL.Query().Get("inherit") == "1" {
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		}
		if err := cmd.Start(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		go cmd.Wait()
		s.println(s.out, "plainsvc: started grandchild %d", cmd.Process.Pid)
		fmt.Fprintln(w, cmd.Process.Pid)
	})
	mux.HandleFunc("/stderr", func(w http.ResponseWriter, r *http.Request) {
		s.println(s.errOut, "%s", r.URL.Query().Get("msg"))
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plainsvc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := "127.0.0.1:8080"
	if p := os.Getenv("PORT"); p != "" {
		def = "127.0.0.1:" + p
	}
	addr := fs.String("addr", def, "listen address")
	marker := fs.String("marker", "plainsvc-stopped.txt", "file written on a graceful stop")
	tick := fs.Duration("tick", 0, "print a line this often (0: never)")
	ignore := fs.Bool("ignore-stop", false, "ignore stop requests")
	note := fs.String("note", "", "append a line saying the service failed to this file, and exit (a failure command)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *note != "" {
		f, err := os.OpenFile(*note, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintf(f, "failed %s\n", time.Now().UTC().Format(time.RFC3339))
		return f.Close()
	}
	s := &server{out: stdout, errOut: stderr, exit: os.Exit}
	s.ignoreStop.Store(*ignore)

	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	srv := &http.Server{Addr: *addr, Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	s.println(stdout, "plainsvc: pid %d listening on %s", os.Getpid(), *addr)

	var tickc <-chan time.Time
	if *tick > 0 {
		t := time.NewTicker(*tick)
		defer t.Stop()
		tickc = t.C
	}
	for n := 1; ; n++ {
		select {
		case err := <-errc:
			return err
		case <-tickc:
			s.println(stdout, "plainsvc: tick %d", n)
		case sig := <-sigc:
			if s.ignoreStop.Load() {
				s.println(stdout, "plainsvc: got %v, ignoring it", sig)
				continue
			}
			s.println(stdout, "plainsvc: got %v, stopping", sig)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := srv.Shutdown(ctx)
			cancel()
			if werr := os.WriteFile(*marker, []byte(fmt.Sprintf("stopped %d on %v\n", os.Getpid(), sig)), 0o644); werr != nil {
				err = errors.Join(err, werr)
			}
			return err
		}
	}
}
