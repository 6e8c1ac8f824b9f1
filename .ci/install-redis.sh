#!/usr/bin/env bash
# Installs Debian's redis-server for the Redis-mode tests (they start their own instance), only when it is missing.
set -euo pipefail
if [ -x /usr/bin/redis-server ]; then
  echo "redis-server already installed: $(/usr/bin/redis-server --version)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends redis-server
# The tests run their own server on a free port; the packaged service is not needed.
$SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
/usr/bin/redis-server --version
