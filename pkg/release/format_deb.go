package release

// debPackager writes the Debian package (nfpm), with the hardened systemd
// unit, maintainer scripts and conffiles.
func debPackager() *Packager {
	return linuxPackager("deb", "Linux: a Debian package with the hardened systemd unit")
}
