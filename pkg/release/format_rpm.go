package release

// rpmPackager writes the RPM package (nfpm), with the hardened systemd unit
// and %config(noreplace) files.
func rpmPackager() *Packager {
	return linuxPackager("rpm", "Linux: an RPM package with the hardened systemd unit")
}
