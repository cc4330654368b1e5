// Command sdnotifysvc is an HTTP server that tells systemd when it is ready
// through github.com/coreos/go-systemd/v22/daemon (READY=1 once it listens,
// STOPPING=1 when it stops), and knows nothing of the Windows SCM. It
// listens on -addr (default 127.0.0.1:$PORT, else 127.0.0.1:8080) and stops
// on SIGINT or SIGTERM.
//
//	/healthz   "ok"
//	/notified  whether systemd was told READY=1 (true), or NOTIFY_SOCKET was not set (false)
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

func main() {
	def := "127.0.0.1:8080"
	if p := os.Getenv("PORT"); p != "" {
		def = "127.0.0.1:" + p
	}
	addr := flag.String("addr", def, "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr); err != nil {
		log.Fatal(err)
	}
}

func serve(ctx context.Context, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	notified, err := daemon.SdNotify(false, daemon.SdNotifyReady)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	log.Printf("sdnotifysvc: listening on %s, told systemd: %v", l.Addr(), notified)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/notified", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, notified) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	_, _ = daemon.SdNotify(false, daemon.SdNotifyStopping)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
