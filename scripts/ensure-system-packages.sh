#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real, when the machine lacks them:
# chromium (browser tests), poppler-utils (reading the inbox's PDF case files back),
# fonts-dejavu-core (full Unicode in those PDFs), postgresql (tests/postgres starts a
# throwaway cluster from /usr/lib/postgresql/<version>/bin), nginx and tor (tests/ops runs
# the reverse proxy and an offline onion service from deploy/ and docs/OPERATOR-GUIDE.md),
# zbar-tools (zbarimg decodes the poster's QR code), systemd (systemd-analyze verify checks
# the unit files in deploy/systemd/), desktop-file-utils (desktop-file-validate checks the
# launcher «varsel-inbox install-launcher» writes).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/sbin/tor ] || missing+=(tor)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v desktop-file-validate >/dev/null 2>&1 || missing+=(desktop-file-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
