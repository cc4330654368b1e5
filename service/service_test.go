//go:build !windows

package service

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestNotifyAndSignal runs a service body in console mode with a fake
// NOTIFY_SOCKET, checks READY=1 arrives after ready() and STOPPING=1 after
// SIGTERM cancels the context.
func TestNotifyAndSignal(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)

	stopped := make(chan error, 1)
	go func() {
		stopped <- RunNotify("test", func(ctx context.Context, ready func()) error {
			ready()
			<-ctx.Done()
			return nil
		})
	}()
	read := func() string {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 256)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("reading notify socket: %v", err)
		}
		return string(buf[:n])
	}
	if got := read(); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "STOPPING=1" {
		t.Fatalf("second notification %q, want STOPPING=1", got)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("RunNotify: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunNotify did not return after SIGTERM")
	}
}

func TestEmptyName(t *testing.T) {
	if err := Run("", func(context.Context) error { return nil }); err == nil {
		t.Fatal("Run with empty name: want error")
	}
}
