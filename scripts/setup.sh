#!/usr/bin/env bash
# Installs what ringwatch needs on a fresh Debian machine (Node 20 already present),
# then the npm dependencies. Safe to rerun: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A NEED=(
  [influxd]=influxdb            # local InfluxDB 1.x, started by the stack and the tests
  [mosquitto]=mosquitto         # reference broker for the broker benchmark
  [mosquitto_pub]=mosquitto-clients  # interop test
  [redis-server]=redis-server   # broker cluster test
  [chromium]=chromium           # web map browser tests
  [espeak-ng]=espeak-ng         # optional: simulated speakers render what they broadcast to WAV
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${NEED[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund
echo "setup: done"
