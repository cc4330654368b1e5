//go:build !windows

package service

// runWindowsService is a no-op outside Windows.
func runWindowsService(string, NotifyFunc) (bool, error) { return false, nil }
