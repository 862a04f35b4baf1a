#!/usr/bin/env bash
# Debian's Chromium for the browser suite (playwright-core drives /usr/bin/chromium; nothing is
# downloaded from a browser CDN). Returns at once when it is there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
run_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
run_as_root apt-get update -qq
run_as_root apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core > /dev/null
