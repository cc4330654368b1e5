package release

// apkPackager writes the Alpine package (nfpm), with the systemd unit.
func apkPackager() *Packager {
	return linuxPackager("apk", "Linux: an Alpine package with the systemd unit")
}
