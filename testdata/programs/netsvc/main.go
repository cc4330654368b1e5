// Command netsvc is a plain net/http server that knows nothing of service
// managers: what most Go services users ship look like. It listens on -addr
// (default 127.0.0.1:$PORT, else 127.0.0.1:8080) and stops on SIGINT or
// SIGTERM.
//
//	/healthz          "ok"
//	/interfaces       one line per network interface: name, flags, addresses
//	                  (net.Interfaces and Addrs, which need netlink on Linux)
//	/resolve?name=N   the addresses net.LookupHost finds for N
//	/zone?name=Z      noon UTC on 2024-07-01 in time zone Z (zoneinfo)
//	/roots            the size of the TLS root bundle crypto/x509 reads
//	/write            writes a file into each directory systemd names in
//	                  STATE_DIRECTORY, CACHE_DIRECTORY and LOGS_DIRECTORY
//	/rules            the -rules file's path and content, read at start
//	/data             writes a file into -data and says where
//
// Like many programs it takes its configuration file as a flag and exits at
// start when it cannot read it (-rules), and writes its state where a flag
// says (-data): given paths that are wrong on one platform, it crash-loops
// there.
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
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	def := "127.0.0.1:8080"
	if p := os.Getenv("PORT"); p != "" {
		def = "127.0.0.1:" + p
	}
	addr := flag.String("addr", def, "listen address")
	rules := flag.String("rules", "", "rules file to read at start")
	data := flag.String("data", "", "folder to write state into")
	flag.Parse()
	if *rules != "" {
		b, err := os.ReadFile(*rules)
		if err != nil {
			log.Fatalf("netsvc: cannot load the rules: %v", err)
		}
		loaded = *rules + " " + strings.TrimSpace(string(b))
	}
	if *data != "" {
		if err := os.WriteFile(filepath.Join(*data, "started"), []byte("ok\n"), 0o600); err != nil {
			log.Fatalf("netsvc: the data folder is not writable: %v", err)
		}
		dataDir = *data
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr, nil); err != nil {
		log.Fatal(err)
	}
}

// What the flags gave: the rules file's path and content, the data folder.
var loaded, dataDir string

// serve answers on addr until ctx ends; ready, when set, is called once
// the listener is bound.
func serve(ctx context.Context, addr string, ready func()) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/interfaces", func(w http.ResponseWriter, _ *http.Request) {
		ifs, err := net.Interfaces()
		if err != nil {
			http.Error(w, "net.Interfaces: "+err.Error(), http.StatusInternalServerError)
			return
		}
		for _, i := range ifs {
			addrs, err := i.Addrs()
			if err != nil {
				http.Error(w, "Addrs of "+i.Name+": "+err.Error(), http.StatusInternalServerError)
				return
			}
			var list []string
			for _, a := range addrs {
				list = append(list, a.String())
			}
			fmt.Fprintf(w, "%s %v %s\n", i.Name, i.Flags, strings.Join(list, " "))
		}
	})
	mux.HandleFunc("/resolve", func(w http.ResponseWriter, r *http.Request) {
		addrs, err := net.DefaultResolver.LookupHost(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, strings.Join(addrs, " "))
	})
	mux.HandleFunc("/zone", func(w http.ResponseWriter, r *http.Request) {
		loc, err := time.LoadLocation(r.URL.Query().Get("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).In(loc).Format("15:04 MST"))
	})
	mux.HandleFunc("/roots", func(w http.ResponseWriter, _ *http.Request) {
		// The bundles crypto/x509 reads on Debian, Fedora and Alpine.
		for _, f := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
			if b, err := os.ReadFile(f); err == nil {
				fmt.Fprintf(w, "%s %d bytes\n", f, len(b))
				return
			}
		}
		http.Error(w, "no TLS root bundle readable", http.StatusInternalServerError)
	})
	mux.HandleFunc("/write", func(w http.ResponseWriter, _ *http.Request) {
		for _, v := range []string{"STATE_DIRECTORY", "CACHE_DIRECTORY", "LOGS_DIRECTORY"} {
			dir := os.Getenv(v)
			if dir == "" {
				fmt.Fprintf(w, "%s unset\n", v)
				continue
			}
			err := os.WriteFile(filepath.Join(dir, "netsvc-probe"), []byte("ok\n"), 0o600)
			fmt.Fprintf(w, "%s %s %v\n", v, dir, err)
		}
	})
	mux.HandleFunc("/rules", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, loaded) })
	mux.HandleFunc("/data", func(w http.ResponseWriter, _ *http.Request) {
		f := filepath.Join(dataDir, "probe")
		fmt.Fprintf(w, "%s %v\n", f, os.WriteFile(f, []byte("ok\n"), 0o600))
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Printf("netsvc: listening on %s", l.Addr())
	if ready != nil {
		ready()
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	log.Printf("netsvc: stopping")
	return srv.Shutdown(sctx)
}
