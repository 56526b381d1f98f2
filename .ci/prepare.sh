#!/usr/bin/env bash
# Makes what the system tests use on a fresh Debian machine (as root), skipping whatever is already there: Chromium
# and its driver (the playground test), Prometheus and promtool (the scrape test), then the Docker daemon and a local
# JRE base image (the container tests; see prepare-docker.sh). The tests fail, never skip, without them in CI.
# Prints the base image's name on standard output; progress goes to standard error.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || missing+=(chromium chromium-driver)
[ -x /usr/bin/prometheus ] || missing+=(prometheus)
if ((${#missing[@]})); then
  start=$SECONDS
  echo "[prepare] installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  echo "[prepare] installed in $((SECONDS - start)) s" >&2
fi

bash .ci/prepare-docker.sh
