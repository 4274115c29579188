#!/usr/bin/env bash
# Installs the pinned browser dependencies (package-lock.json) with `npm ci` and places the
# built libsodium files the browser path loads under static/vendor/. `make run` and
# `make test` run it; the Dockerfile too. The copies are committed as well, so the wheel
# (built from tracked files) carries them: a test checks that they are byte for byte the
# files of the pinned package, so the committed copy can never drift from the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "npm is missing (sudo apt-get install nodejs npm)" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
install -m 0644 node_modules/libsodium-sumo/dist/modules-sumo/libsodium-sumo.js static/vendor/libsodium-sumo.js
install -m 0644 node_modules/libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js static/vendor/libsodium-wrappers.js
