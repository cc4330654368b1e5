
# ---------------------------------------------------------------------------
# The code. Above this line are only the values; below, no value is code:
# each is expanded in double quotes, passed after -- where a command takes
# it, or stands where a command reads no option (no value begins with -).

# Words split at blanks and newlines only, and none is a file name pattern.
IFS=' 	
'
set -f

PROG=install.sh
TMP=

say() { printf '%s: %s\n' "$PROG" "$*"; }

warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }

die() {
	warn "$*"
	exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

usage() {
	printf '%s\n' \
		"Installs $NAME $VERSION (the service $SERVICE) from its release's signed" \
		"package repositories, or from its tarball where none fits this system." \
		"" \
		"Usage: curl -fsSL <URL of install.sh> | sudo sh" \
		"       curl -fsSL <URL of install.sh> | sudo sh -s -- --tarball" \
		"       sudo sh install.sh [--tarball]" \
		"" \
		"  --tarball  install the release's tarball even where a repository fits" \
		"  --help     print this help and exit" \
		"" \
		"Signing key (embedded in this script): $FINGERPRINT"
	if [ -n "$APT_URL" ]; then
		printf '%s\n' "apt repository (Debian, Ubuntu): $APT_URL"
	fi
	if [ -n "$DNF_URL" ]; then
		printf '%s\n' "dnf repository (Fedora, RHEL and the like): $DNF_URL"
	fi
	if [ -n "$TARBALLS" ]; then
		printf '%s\n' "Tarballs (checked against $CHECKSUMS_URL):"
		for platform in $TARBALLS; do
			tarball "$platform"
			printf '%s\n' "  $platform: $T_URL"
		done
	fi
}

cleanup() {
	if [ -n "$TMP" ]; then
		if [ -d "$TMP/gnupg" ] && have gpgconf; then
			gpgconf --homedir "$TMP/gnupg" --kill all >/dev/null 2>&1 || true
		fi
		rm -rf -- "$TMP"
	fi
}

# key_binary decodes the embedded key: the armor's lines between the blank
# line after its first and the checksum (=...) and end (-----) lines.
key_binary() {
	key_armored | sed -e '1,/^$/d' -e '/^[=-]/d' | base64 --decode
}

# gnupg makes the temporary GNUPGHOME, with the embedded key imported.
gnupg() {
	if [ ! -d "$TMP/gnupg" ]; then
		mkdir -m 0700 -- "$TMP/gnupg"
		gpg --homedir "$TMP/gnupg" --batch --quiet --import -- "$TMP/key.gpg" 2>/dev/null ||
			die "gpg cannot read the embedded key"
	fi
}

# check_key checks, with gpg, that the embedded key has FINGERPRINT.
check_key() {
	if ! have gpg; then
		say "signing key $FINGERPRINT (gpg is not installed: the embedded key's fingerprint was not checked)"
		return 0
	fi
	gnupg
	fpr=$(gpg --homedir "$TMP/gnupg" --batch --with-colons --fingerprint 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }')
	if [ "$fpr" != "$FINGERPRINT" ]; then
		die "the embedded key's fingerprint is ${fpr:-unreadable}, not $FINGERPRINT: refusing it"
	fi
	say "signing key $FINGERPRINT (checked with gpg)"
}

# os_release prints a field of /etc/os-release, unquoted.
os_release() {
	if [ -r /etc/os-release ]; then
		sed -n "s/^$1=//p" /etc/os-release | head -n 1 | tr -d "\"'"
	fi
}

# family prints deb or rpm for the Debian and Fedora/RHEL families.
family() {
	for id in $(os_release ID) $(os_release ID_LIKE); do
		case $id in
		debian | ubuntu)
			echo deb
			return 0
			;;
		fedora | rhel | centos | rocky | almalinux | amzn | ol)
			echo rpm
			return 0
			;;
		esac
	done
}

# apt_fits reports whether the apt repository serves this system: there
# is one, apt-get is here, and the repository has the system's
# architecture.
apt_fits() {
	if [ -z "$APT_URL" ] || ! have apt-get; then
		return 1
	fi
	if [ -z "$APT_ARCHITECTURES" ]; then
		return 0
	fi
	system_arch=$(dpkg --print-architecture)
	for repo_arch in $APT_ARCHITECTURES; do
		if [ "$repo_arch" = "$system_arch" ]; then
			return 0
		fi
	done
	say "the apt repository has no packages for $system_arch, only for $APT_ARCHITECTURES"
	return 1
}

install_apt() {
	keyring="/etc/apt/keyrings/$KEYNAME.gpg"
	sources="/etc/apt/sources.list.d/$KEYNAME.sources"
	preferences="/etc/apt/preferences.d/$KEYNAME"
	say "installing $NAME $VERSION with apt from $APT_URL"
	{
		echo 'Types: deb'
		printf 'URIs: %s\n' "$APT_URL"
		printf 'Suites: %s\n' "$APT_SUITE"
		printf 'Components: %s\n' "$APT_COMPONENT"
		if [ -n "$APT_ARCHITECTURES" ]; then
			printf 'Architectures: %s\n' "$APT_ARCHITECTURES"
		fi
		printf 'Signed-By: %s\n' "$keyring"
	} >"$TMP/sources"
	{
		printf 'Package: %s\n' "$NAME"
		printf 'Pin: release o=%s\n' "$APT_ORIGIN"
		printf 'Pin-Priority: %s\n' "$APT_PIN_PRIORITY"
	} >"$TMP/preferences"
	install -d -m 0755 -- /etc/apt/keyrings /etc/apt/sources.list.d /etc/apt/preferences.d
	install -m 0644 -- "$TMP/key.gpg" "$keyring"
	install -m 0644 -- "$TMP/sources" "$sources"
	install -m 0644 -- "$TMP/preferences" "$preferences"
	apt-get update || die "apt-get update failed: see its errors above"
	apt-get install -y -- "$NAME" ||
		die "apt-get could not install $NAME: did apt-get update above reach $APT_URL?"
	# shellcheck disable=SC2016 # ${Version} is dpkg-query's, not the shell's
	installed=$(dpkg-query -W -f '${Version}' -- "$NAME")
	printf '%s\n' \
		"" \
		"$NAME $installed is installed from $APT_URL, pinned to it over any package" \
		"of the same name from elsewhere ($preferences)." \
		"" \
		"  status:   systemctl status $SERVICE" \
		"  logs:     journalctl -u $SERVICE" \
		"  upgrade:  apt-get update && apt-get upgrade" \
		"  remove:   apt-get remove $NAME   (apt-get purge $NAME also deletes its configuration)" \
		"  then drop the repository:" \
		"            rm $sources $preferences $keyring" \
		"            apt-get update"
}

install_dnf() {
	dnf=dnf
	if ! have dnf; then
		dnf=yum
	fi
	rpmkey="/etc/pki/rpm-gpg/RPM-GPG-KEY-$KEYNAME"
	repo="/etc/yum.repos.d/$KEYNAME.repo"
	say "installing $NAME $VERSION with $dnf from $DNF_URL"
	key_armored >"$TMP/key.asc"
	{
		printf '[%s]\n' "$KEYNAME"
		printf 'name=%s\n' "$NAME"
		printf 'baseurl=%s\n' "$DNF_URL"
		echo 'enabled=1'
		echo 'gpgcheck=1'
		echo 'repo_gpgcheck=1'
		printf 'gpgkey=file://%s\n' "$rpmkey"
		if [ -n "$DNF_PRIORITY" ]; then
			printf 'priority=%s\n' "$DNF_PRIORITY"
		fi
	} >"$TMP/repo"
	install -d -m 0755 -- /etc/pki/rpm-gpg /etc/yum.repos.d
	install -m 0644 -- "$TMP/key.asc" "$rpmkey"
	install -m 0644 -- "$TMP/repo" "$repo"
	rpm --import -- "$rpmkey"
	"$dnf" install -y -- "$NAME" || die "$dnf could not install $NAME from $DNF_URL"
	keyid=$(printf '%s\n' "$FINGERPRINT" | cut -c 33-40 | tr '[:upper:]' '[:lower:]')
	printf '%s\n' \
		"" \
		"$NAME is installed from $DNF_URL." \
		"" \
		"  status:   systemctl status $SERVICE" \
		"  logs:     journalctl -u $SERVICE" \
		"  upgrade:  $dnf upgrade $NAME" \
		"  remove:   $dnf remove $NAME" \
		"  then drop the repository:" \
		"            rm $repo $rpmkey" \
		"            rpm -e gpg-pubkey-$keyid"
}

goos() {
	case $(uname -s) in
	Linux) echo linux ;;
	Darwin) echo darwin ;;
	*) uname -s | tr '[:upper:]' '[:lower:]' ;;
	esac
}

goarch() {
	machine=$(uname -m)
	# A shell under Rosetta reports x86_64 on Apple silicon.
	if [ "$(uname -s)" = Darwin ] && [ "$(sysctl -n hw.optional.arm64 2>/dev/null || true)" = 1 ]; then
		machine=arm64
	fi
	case $machine in
	x86_64 | amd64) echo amd64 ;;
	aarch64 | arm64) echo arm64 ;;
	armv7* | armv8l) echo arm ;;
	i386 | i486 | i586 | i686) echo 386 ;;
	loongarch64) echo loong64 ;;
	*) echo "$machine" ;;
	esac
}

# download URL FILE, with curl, wget or (minimal Debian has neither) apt.
download() {
	if have curl; then
		curl -fsSL --globoff -o "$2" -- "$1" || die "could not download $1"
	elif have wget; then
		wget -q -O "$2" -- "$1" || die "could not download $1"
	elif [ -x /usr/lib/apt/apt-helper ]; then
		# Already root: no need for apt's sandbox user, which cannot
		# write into this script's private folder.
		/usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file -- "$1" "$2" >/dev/null ||
			die "could not download $1"
	else
		die "cannot download $1: install curl or wget"
	fi
}

# sha256 prints the SHA-256 of a file, in lower case.
sha256() {
	if have sha256sum; then
		sum=$(sha256sum -- "$1")
	elif have shasum; then
		sum=$(shasum -a 256 -- "$1")
	else
		die "cannot check $1: neither sha256sum nor shasum is installed"
	fi
	printf '%s\n' "${sum%% *}" | tr '[:upper:]' '[:lower:]'
}

# verify_checksums checks checksums.txt.asc with gpgv or gpg: it must be a
# good signature by the embedded key, whose fingerprint is FINGERPRINT.
verify_checksums() {
	status="$TMP/gpg.status"
	if have gpgv; then
		gpgv --homedir "$TMP/gpgv" --keyring "$TMP/key.gpg" --status-fd 1 -- \
			"$TMP/checksums.txt.asc" "$TMP/checksums.txt" >"$status" 2>"$TMP/gpg.log" || {
			cat -- "$TMP/gpg.log" >&2
			die "checksums.txt: the signature $SIGNATURE_URL is not a good one by the key $FINGERPRINT"
		}
	elif have gpg; then
		gnupg
		gpg --homedir "$TMP/gnupg" --batch --trust-model always --status-fd 1 --verify -- \
			"$TMP/checksums.txt.asc" "$TMP/checksums.txt" >"$status" 2>"$TMP/gpg.log" || {
			cat -- "$TMP/gpg.log" >&2
			die "checksums.txt: the signature $SIGNATURE_URL is not a good one by the key $FINGERPRINT"
		}
	else
		warn "neither gpgv nor gpg is installed: the signature of checksums.txt was NOT checked," \
			"only the tarball against checksums.txt"
		return 0
	fi
	signer=$(awk '$2 == "VALIDSIG" { print (NF >= 12 ? $12 : $3); exit }' "$status")
	if [ "$signer" != "$FINGERPRINT" ]; then
		die "checksums.txt: signed by ${signer:-no key}, not by $FINGERPRINT"
	fi
	say "checksums.txt: good signature by $FINGERPRINT"
}

# fetch_tarball downloads and checks the tarball and unpacks it in $TMP/x.
fetch_tarball() {
	download "$CHECKSUMS_URL" "$TMP/checksums.txt"
	download "$SIGNATURE_URL" "$TMP/checksums.txt.asc"
	verify_checksums
	want=$(F="$T_FILE" awk '{ f = $2; sub(/^\*/, "", f) }
		f == ENVIRON["F"] { n++; sum = tolower($1) }
		END { if (n == 1) print sum; else exit 1 }' "$TMP/checksums.txt") ||
		die "checksums.txt lists $T_FILE not once"
	download "$T_URL" "$TMP/tarball.tar.gz"
	got=$(sha256 "$TMP/tarball.tar.gz")
	if [ "$got" != "$want" ]; then
		die "$T_URL: SHA-256 $got, but checksums.txt says $want: not installing it"
	fi
	say "$T_FILE: SHA-256 $got, as checksums.txt says"
	mkdir -- "$TMP/x"
	tar -xzf "$TMP/tarball.tar.gz" -C "$TMP/x"
	for f in "$T_BINARY" "$T_UNIT" "$T_INSTALLER"; do
		if [ -n "$f" ] && [ ! -f "$TMP/x/$f" ]; then
			die "$T_FILE has no $f"
		fi
	done
}

install_tarball() {
	os=$(goos)
	arch=$(goarch)
	tarball "$os/$arch" || die "the release has no tarball for $os/$arch, only for: $TARBALLS"
	say "installing $NAME $VERSION for $os/$arch from $T_URL"
	fetch_tarball
	if [ "$os" = darwin ]; then
		sh -- "$TMP/x/$T_INSTALLER"
		printf '%s\n' \
			"" \
			"$NAME $VERSION is installed by its tarball's install.sh." \
			"  remove:   download $T_URL, unpack it and run: sudo ./install.sh --uninstall"
		return 0
	fi
	install_linux
}

# ship SRC DST KEEP: checks that the tarball holds SRC; once installing,
# installs it at DST (mode 0644), unless KEEP is set and DST exists: a
# configuration file the administrator may have edited stays as it is.
ship() {
	if [ ! -f "$TMP/x/$1" ]; then
		die "$T_FILE has no $1"
	fi
	if [ -z "$installing" ]; then
		return 0
	fi
	if [ -n "$3" ] && [ -e "$2" ]; then
		say "$2: kept as it is (the release's is $1 in the tarball)"
		return 0
	fi
	install -d -m 0755 -- "${2%/*}"
	install -m 0644 -- "$TMP/x/$1" "$2"
	shipped="$shipped $2"
}

install_linux() {
	installing='' shipped=''
	unit="/etc/systemd/system/$SERVICE.service"
	user=$(sed -n 's/^User=//p' "$TMP/x/$T_UNIT" | head -n 1)
	if [ -n "$user" ] && ! id -u -- "$user" >/dev/null 2>&1; then
		die "the service runs as the user $user, which does not exist: create it" \
			"(useradd --system --no-create-home $user) and run install.sh again"
	fi
	tarball_files "$os/$arch" # checks that each is in the tarball before anything is installed
	install -d -m 0755 -- "${T_BINPATH%/*}" /etc/systemd/system
	install -m 0755 -- "$TMP/x/$T_BINARY" "$T_BINPATH"
	install -m 0644 -- "$TMP/x/$T_UNIT" "$unit"
	installing=yes
	tarball_files "$os/$arch"
	if [ -d /run/systemd/system ]; then
		running=
		if systemctl is-active --quiet -- "$SERVICE.service"; then
			running=yes
		fi
		systemctl daemon-reload
		systemctl enable --now -- "$SERVICE.service"
		if [ -n "$running" ]; then
			systemctl restart -- "$SERVICE.service"
		fi
		started="is installed and started"
	else
		started="is installed; systemd is not running, so it was not started (systemctl enable --now $SERVICE)"
	fi
	printf '%s\n' \
		"" \
		"$NAME $VERSION $started." \
		"" \
		"  status:   systemctl status $SERVICE" \
		"  logs:     journalctl -u $SERVICE" \
		"  upgrade:  run install.sh --tarball again" \
		"  remove:   systemctl disable --now $SERVICE.service" \
		"            rm $unit $T_BINPATH$shipped" \
		"            systemctl daemon-reload"
}

main() {
	tarball_only=
	for arg in "$@"; do
		case $arg in
		--tarball) tarball_only=yes ;;
		--help | -h)
			usage
			return 0
			;;
		*)
			usage >&2
			die "unknown argument: $arg"
			;;
		esac
	done
	if [ "$(id -u)" != 0 ]; then
		die "run it as root: curl -fsSL <URL of install.sh> | sudo sh   (or: sudo sh install.sh)"
	fi
	if [ ! -t 0 ]; then
		# Read from a pipe (curl | sh): what runs below reads nothing
		# of it, and apt's questions take their defaults.
		exec </dev/null
		DEBIAN_FRONTEND=noninteractive
		export DEBIAN_FRONTEND
	fi
	umask 022
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/install.sh.XXXXXX")
	trap cleanup EXIT
	trap 'exit 1' HUP INT TERM
	if ! key_binary >"$TMP/key.gpg" || [ ! -s "$TMP/key.gpg" ]; then
		die "cannot decode the embedded key (base64 --decode)"
	fi
	check_key
	if [ -z "$tarball_only" ] && [ "$(uname -s)" = Linux ]; then
		case $(family) in
		deb)
			if apt_fits; then
				install_apt
				return 0
			fi
			;;
		rpm)
			if [ -n "$DNF_URL" ] && { have dnf || have yum; }; then
				install_dnf
				return 0
			fi
			;;
		esac
	fi
	if [ -z "$TARBALLS" ]; then
		die "no repository of $NAME fits this system ($(os_release PRETTY_NAME)), and the release has no tarball"
	fi
	install_tarball
}

# Last, so that a script cut short in download runs nothing.
main "$@"
