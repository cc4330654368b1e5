//go:build !linux

package service

// sdNotify does nothing outside Linux: systemd, and so NOTIFY_SOCKET, exist
// only there.
func sdNotify(socket, state string) error { return nil }
