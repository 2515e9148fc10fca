#!/usr/bin/env bash
# The system packages the test suite needs: PostgreSQL (the second database pass), Chromium (the
# real-browser tests), poppler's pdftoppm (letters looked at as PNG), the DejaVu fonts, and curl and jq (the
# README's REST API example, run as written).
# Installs what is missing when it can (root with apt-get); otherwise names it and fails.
set -euo pipefail
need=()
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${need[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
  exit 2
fi
