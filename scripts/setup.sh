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
  [openssl]=openssl             # the TLS tests make a throwaway CA and certificates
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${NEED[$cmd]}")
done
# Packages without a command to look for.
for pkg in fonts-wqy-zenhei; do   # CJK glyphs, so the zh-CN console renders in headless Chromium
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The packages ship system services (mosquitto on 1883, influxd on 8086, redis on 6379).
  # ringwatch starts its own instances (the benchmark's Mosquitto, the stack's influxd,
  # the tests' redis) on ports it chooses, so a service we just installed is stopped
  # rather than left holding the port `ringwatch up` uses for MQTT.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for svc in mosquitto influxdb redis-server; do
      case " ${missing[*]} " in *" $svc "*) $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true ;; esac
    done
  fi
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund
echo "setup: done"
