#!/bin/sh
# A signing command for svcpack's tests (windows.sign.command), standing in
# for a cloud signing service's tool: it signs $1 into $2 with the PEM
# certificate and key that SIGN_CERT and SIGN_KEY name, as such a tool signs
# with a key it holds. With SIGN_FAIL set it fails, saying that.
set -eu
if [ -n "${SIGN_FAIL:-}" ]; then
	echo "signing service: $SIGN_FAIL" >&2
	exit 3
fi
exec osslsigncode sign -h sha256 -certs "$SIGN_CERT" -key "$SIGN_KEY" -time 1700000000 -in "$1" -out "$2" >/dev/null
