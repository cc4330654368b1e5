package service

import (
	"fmt"
	"net"
)

// sdNotify sends one sd_notify(3) message to the systemd socket. An address
// starting with '@' is in the abstract namespace.
func sdNotify(socket, state string) error {
	addr := &net.UnixAddr{Name: socket, Net: "unixgram"}
	if socket[0] == '@' {
		addr.Name = "\x00" + socket[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return fmt.Errorf("service: notify %s: %w", socket, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("service: notify %s: %w", socket, err)
	}
	return nil
}
