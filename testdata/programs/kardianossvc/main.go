// Command kardianossvc is an HTTP server written as a
// github.com/kardianos/service program: on Windows the library speaks to the
// Service Control Manager when svc.IsWindowsService() says the process is a
// service, elsewhere it runs until SIGINT or SIGTERM. It listens on -addr
// (default 127.0.0.1:$PORT, else 127.0.0.1:8080).
//
//	/healthz      "ok"
//	/interactive  whether kardianos/service thinks it runs from a console
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kardianos/service"
)

// program implements service.Interface.
type program struct {
	addr string
	srv  *http.Server
}

// Start begins serving without blocking, as the library requires.
func (p *program) Start(s service.Service) error {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/interactive", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, service.Interactive()) })
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(l)
	log.Printf("kardianossvc: listening on %s", l.Addr())
	return nil
}

// Stop shuts the server down.
func (p *program) Stop(s service.Service) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

func main() {
	def := "127.0.0.1:8080"
	if p := os.Getenv("PORT"); p != "" {
		def = "127.0.0.1:" + p
	}
	addr := flag.String("addr", def, "listen address")
	name := flag.String("name", "kardianossvc", "service name")
	flag.Parse()
	s, err := service.New(&program{addr: *addr}, &service.Config{Name: *name})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Run(); err != nil {
		log.Fatal(err)
	}
}
