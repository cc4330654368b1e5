//go:build cgo

package softhsm

const cgoEnabled = true
